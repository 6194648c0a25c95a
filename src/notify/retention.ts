// Retention pruning: events (with their deliveries and those deliveries' attempts) and spilled payloads older
// than RETENTION_DAYS, deleted in bounded chunks so one cron run never holds D1 for long.
import { eventIdTimeBounds, idAtTime } from "../domain/ids";

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

/** ?1 = cutoff, ?2 = the id bound of events accepted before it: the primary key finds them, oldest first. */
const OLD_EVENTS = `SELECT id FROM events WHERE id < ?2 AND accepted_at < ?1 ORDER BY id LIMIT ${EVENTS_PER_CHUNK}`;

export async function pruneOlderThan(d1: D1Database, cutoffMs: number, maxChunks = MAX_CHUNKS): Promise<PruneResult> {
  const out: PruneResult = { events: 0, deliveries: 0, attempts: 0, large_payloads: 0, more: false };
  const bounds = eventIdTimeBounds(cutoffMs, cutoffMs);
  const oldEventIds = idAtTime("evt", bounds.before!);

  // Events, their deliveries and those deliveries' attempts go together in one batch (one D1 transaction), so
  // the subquery picks the same events for every statement and nothing outlives its event.
  let chunks = 0;
  for (; chunks < maxChunks; chunks++) {
    const [atts, dels, evs] = await d1.batch([
      d1.prepare(`DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_id IN (${OLD_EVENTS}))`).bind(cutoffMs, oldEventIds),
      d1.prepare(`DELETE FROM deliveries WHERE event_id IN (${OLD_EVENTS})`).bind(cutoffMs, oldEventIds),
      d1.prepare(`DELETE FROM events WHERE id IN (${OLD_EVENTS})`).bind(cutoffMs, oldEventIds),
    ]);
    out.attempts += atts!.meta.changes;
    out.deliveries += dels!.meta.changes;
    out.events += evs!.meta.changes;
    if (evs!.meta.changes < EVENTS_PER_CHUNK) break;
  }
  if (chunks === maxChunks) out.more = true;

  // Attempts left without their delivery (pruned before attempts went with their deliveries, or written by a
  // late outbox flush): an attempt id carries its event's id time, and ids before any kept event's are pruned ones'.
  const orphanBound = idAtTime("att", bounds.from!);
  const orphans = d1.prepare(`DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE id < ?1 ORDER BY id LIMIT ${ATTEMPTS_PER_CHUNK})`);
  for (chunks = 0; chunks < maxChunks; chunks++) {
    const r = await orphans.bind(orphanBound).run();
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
