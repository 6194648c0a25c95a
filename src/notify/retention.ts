// Retention pruning: events (with their deliveries), attempts and spilled payloads older than RETENTION_DAYS,
// deleted in bounded chunks so one cron run never holds D1 for long.

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

const OLD_EVENTS = `SELECT id FROM events WHERE accepted_at < ?1 ORDER BY accepted_at LIMIT ${EVENTS_PER_CHUNK}`;

export async function pruneOlderThan(d1: D1Database, cutoffMs: number, maxChunks = MAX_CHUNKS): Promise<PruneResult> {
  const out: PruneResult = { events: 0, deliveries: 0, attempts: 0, large_payloads: 0, more: false };

  // Events and their deliveries go together in one batch (one D1 transaction), so the subquery picks the
  // same events for both statements and no delivery outlives its event.
  let chunks = 0;
  for (; chunks < maxChunks; chunks++) {
    const [dels, evs] = await d1.batch([
      d1.prepare(`DELETE FROM deliveries WHERE event_id IN (${OLD_EVENTS})`).bind(cutoffMs),
      d1.prepare(`DELETE FROM events WHERE id IN (${OLD_EVENTS})`).bind(cutoffMs),
    ]);
    out.deliveries += dels!.meta.changes;
    out.events += evs!.meta.changes;
    if (evs!.meta.changes < EVENTS_PER_CHUNK) break;
  }
  if (chunks === maxChunks) out.more = true;

  const oldAttempts = d1.prepare(
    `DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE started_at < ?1 ORDER BY started_at LIMIT ${ATTEMPTS_PER_CHUNK})`,
  );
  for (chunks = 0; chunks < maxChunks; chunks++) {
    const r = await oldAttempts.bind(cutoffMs).run();
    out.attempts += r.meta.changes;
    if (r.meta.changes < ATTEMPTS_PER_CHUNK) break;
  }
  if (chunks === maxChunks) out.more = true;

  const lp = await d1
    .prepare(`DELETE FROM large_payloads WHERE event_id IN (SELECT event_id FROM large_payloads WHERE created_at < ?1 LIMIT ${EVENTS_PER_CHUNK})`)
    .bind(cutoffMs)
    .run();
  out.large_payloads += lp.meta.changes;
  return out;
}
