// Payloads too large for a queue message: written by accept() before queueing, read by the fanout consumer.
import { inArray } from "drizzle-orm";
import type { Db } from "../client";
import { largePayloads } from "../schema";

export async function storeLargePayloads(db: Db, rows: { eventId: string; payload: string }[], now: number): Promise<void> {
  if (rows.length === 0) return;
  // One row per statement: each payload may approach D1's per-value limit. Do nothing on conflict so an
  // idempotent retry with the same event id keeps the bytes an already-queued message refers to.
  const statements = rows.map((row) =>
    db.insert(largePayloads).values({ eventId: row.eventId, payload: row.payload, createdAt: now }).onConflictDoNothing(),
  );
  await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
}

export async function deleteLargePayloads(db: Db, eventIds: string[]): Promise<void> {
  for (let i = 0; i < eventIds.length; i += 100) {
    await db.delete(largePayloads).where(inArray(largePayloads.eventId, eventIds.slice(i, i + 100)));
  }
}

export function deleteLargePayloadsStatement(db: Db, eventIds: string[]) {
  return db.delete(largePayloads).where(inArray(largePayloads.eventId, eventIds));
}

export async function loadLargePayloads(db: Db, eventIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < eventIds.length; i += 100) {
    const rows = await db
      .select({ eventId: largePayloads.eventId, payload: largePayloads.payload })
      .from(largePayloads)
      .where(inArray(largePayloads.eventId, eventIds.slice(i, i + 100)))
      .all();
    for (const row of rows) out.set(row.eventId, row.payload);
  }
  return out;
}
