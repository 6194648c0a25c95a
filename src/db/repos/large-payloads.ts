// Payloads too large for a queue message: written by accept() before queueing, read by the fanout consumer.
import { inArray } from "drizzle-orm";
import type { Db } from "../client";
import { largePayloads } from "../schema";
import { idChunks } from "../id-chunks";

export async function storeLargePayloads(db: Db, rows: { eventId: string; payload: string }[], now: number): Promise<void> {
  if (rows.length === 0) return;
  // One row per statement: each payload may approach D1's per-value limit. Do nothing on conflict so an
  // idempotent retry with the same event id keeps the bytes an already-queued message refers to.
  const statements = rows.map((row) =>
    db.insert(largePayloads).values({ eventId: row.eventId, payload: row.payload, createdAt: now }).onConflictDoNothing(),
  );
  await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
}

/** Statements (one per id chunk) deleting the payloads of events that travelled by reference. */
export function deleteLargePayloadsStatements(db: Db, eventIds: string[]) {
  return idChunks(eventIds).map((chunk) => db.delete(largePayloads).where(inArray(largePayloads.eventId, chunk)));
}

export async function loadLargePayloads(db: Db, eventIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const chunk of idChunks(eventIds)) {
    const rows = await db
      .select({ eventId: largePayloads.eventId, payload: largePayloads.payload })
      .from(largePayloads)
      .where(inArray(largePayloads.eventId, chunk))
      .all();
    for (const row of rows) out.set(row.eventId, row.payload);
  }
  return out;
}
