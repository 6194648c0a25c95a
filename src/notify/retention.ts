// Retention pruning: events (with their deliveries), attempts and spilled payloads older than RETENTION_DAYS,
// deleted in bounded chunks so one cron run never holds D1 for long.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";

export interface PruneResult {
  events: number;
  deliveries: number;
  attempts: number;
  large_payloads: number;
  /** True when the run stopped at its chunk budget with more left for the next run. */
  more: boolean;
}

const EVENTS_PER_CHUNK = 100;
const ATTEMPTS_PER_CHUNK = 500;
const MAX_CHUNKS = 20;

const changes = (r: { meta?: { changes?: number } }) => r.meta?.changes ?? 0;

export async function pruneOlderThan(db: Db, cutoffMs: number, maxChunks = MAX_CHUNKS): Promise<PruneResult> {
  const out: PruneResult = { events: 0, deliveries: 0, attempts: 0, large_payloads: 0, more: false };

  // Events and their deliveries go together, in one batch (one D1 transaction), so the subquery picks the
  // same events for both statements and no delivery outlives its event.
  let chunks = 0;
  for (; chunks < maxChunks; chunks++) {
    const oldEvents = sql`SELECT id FROM events WHERE accepted_at < ${cutoffMs} ORDER BY accepted_at LIMIT ${EVENTS_PER_CHUNK}`;
    const [dels, evs] = await db.batch([
      db.run(sql`DELETE FROM deliveries WHERE event_id IN (${oldEvents})`),
      db.run(sql`DELETE FROM events WHERE id IN (${oldEvents})`),
    ]);
    out.deliveries += changes(dels as { meta?: { changes?: number } });
    out.events += changes(evs as { meta?: { changes?: number } });
    if (changes(evs as { meta?: { changes?: number } }) < EVENTS_PER_CHUNK) break;
  }
  if (chunks === maxChunks) out.more = true;

  for (chunks = 0; chunks < maxChunks; chunks++) {
    const r = await db.run(
      sql`DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE started_at < ${cutoffMs} ORDER BY started_at LIMIT ${ATTEMPTS_PER_CHUNK})`,
    );
    out.attempts += changes(r);
    if (changes(r) < ATTEMPTS_PER_CHUNK) break;
  }
  if (chunks === maxChunks) out.more = true;

  const lp = await db.run(
    sql`DELETE FROM large_payloads WHERE event_id IN (SELECT event_id FROM large_payloads WHERE created_at < ${cutoffMs} LIMIT ${EVENTS_PER_CHUNK})`,
  );
  out.large_payloads += changes(lp);
  return out;
}
