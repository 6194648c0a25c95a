// Per-owner config versions: bumped in the same batch as any write that changes routing or endpoint
// delivery config, read by caches (fanout routing, Redis) to drop stale entries.
//
// A fanout isolate routes an owner's events by a version it read up to CONFIG_VERSION_TRUST_MS ago instead of
// reading it per batch (locally that read is a fifth of a single event's CPU; in production a round trip to D1).
// That stays exact because a write that changes routing answers its caller only ROUTING_CHANGE_SETTLE_MS after it
// committed: an event sent after the answer is routed by a version read issued after the commit.
import { sql } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { Db } from "../client";
import { configVersions } from "../schema";
import { idChunks } from "../id-chunks";

/** How long a fanout isolate trusts an owner's config version it read (src/fanout/router.ts). */
export const CONFIG_VERSION_TRUST_MS = 80;
/** Longer than the trust, with a margin for clocks that only advance with I/O in the Workers runtime. */
export const ROUTING_CHANGE_SETTLE_MS = 100;

/** Awaited after a committed write that bumped a config version, before the write is answered (commitRoutingChange). */
function settleRoutingChange(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ROUTING_CHANGE_SETTLE_MS));
}

/**
 * A write that changes an owner's routing: `statements` and the owner's version bump in one D1 batch (one
 * transaction: no cache sees the write without the bump), then the settle wait, so no caller can bump without
 * waiting. Resolves to the statements' own results, in order.
 */
export async function commitRoutingChange<T extends readonly [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]>(
  db: Db,
  ownerId: string,
  statements: T,
): Promise<BatchResponse<T>> {
  const results = await db.batch([...statements, bumpConfigVersion(db, ownerId)]);
  await settleRoutingChange();
  // The bump's own result is dropped; the rest are the statements' results, position for position.
  return results.slice(0, statements.length) as BatchResponse<T>;
}

/** A statement to include in the same db.batch() as the write it accompanies. */
export function bumpConfigVersion(db: Db, ownerId: string) {
  return db
    .insert(configVersions)
    .values({ ownerId, version: 1 })
    .onConflictDoUpdate({ target: configVersions.ownerId, set: { version: sql`${configVersions.version} + 1` } });
}

/**
 * Every fanout batch reads these, so this is a plain prepared statement: drizzle's query builder cost several
 * times the query itself in CPU (profiled at 200 events/s), and the consumer shares its isolate with delivery.
 */
export async function readConfigVersions(db: Db, ownerIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const chunk of idChunks(ownerIds)) {
    const placeholders = chunk.map(() => "?").join(",");
    const { results } = await db.$client
      .prepare(`SELECT owner_id, version FROM config_versions WHERE owner_id IN (${placeholders})`)
      .bind(...chunk)
      .all<{ owner_id: string; version: number }>();
    for (const row of results) out.set(row.owner_id, row.version);
  }
  return out;
}
