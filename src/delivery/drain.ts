// The EndpointDO's drain: starts due attempts with at most `max_in_flight` at once, within the endpoint's rate
// limit and pauses, writes finished outcomes to history while attempts keep going, and stops when nothing is
// due, the limit says wait longer than the run may last, or the run's budget ends. The object arms its alarm
// for whatever is left (endpoint.do.ts).
import type { AlarmKeeper } from "./alarm-keeper";
import type { DueIndex } from "./due-index";
import type { OpenedEndpoint } from "./endpoint-config";
import type { EndpointLimiter } from "./endpoint-limiter";
import type { WorkRow } from "./endpoint-store";
import type { FinishedLog } from "./finished-log";
import type { FreshWork } from "./fresh-work";
import type { InFlightWork } from "./inflight-work";
import type { RelayChannel } from "./relay-channel";
import type { SnapshotKeeper } from "./snapshot-keeper";
import type { Wakeup } from "./wakeup";

/** Finished outcomes go to history at least this often within a run, or as soon as FLUSH_AT_SIZE wait. */
export const FLUSH_INTERVAL_MS = 250;
export const FLUSH_AT_SIZE = 100;
/** No new attempt starts while this many outcomes wait for history (it is down): memory stays bounded. */
const MAX_WAITING_OUTCOMES = 2_000;
/**
 * Watchdog: while a run is going, the alarm is kept armed just past the point where every attempt in flight
 * must have ended. If the object dies mid-drain, that alarm brings it back soon (its rows are still there).
 */
export const WATCHDOG_MARGIN_MS = 5_000;
/** A busy drain re-arms the watchdog about this often (each setAlarm() is a billed write). */
const WATCHDOG_HEADROOM_MS = 5_000;

/** The parts of an EndpointDO a drain works with. */
export interface DrainParts {
  work: InFlightWork;
  finished: FinishedLog;
  limiter: EndpointLimiter;
  snapshot: SnapshotKeeper;
  relay: RelayChannel;
  alarms: AlarmKeeper;
  fresh: FreshWork;
  due: DueIndex;
  /** Deliveries whose attempt is in flight. */
  busy: Set<string>;
  /** Notified when new work is admitted during the drain. */
  arrivals: Wakeup;
  /** Makes one attempt and records its outcome. */
  attempt(endpoint: OpenedEndpoint, row: WorkRow, decidedAt: number, fresh: boolean): Promise<void>;
}

export async function drainDue(parts: DrainParts, endpoint: OpenedEndpoint, deadline: number): Promise<void> {
  const { work, finished, limiter, snapshot, relay, alarms, fresh: freshWork, due, busy } = parts;
  const inFlight = new Set<Promise<void>>();
  let lastFlush = Date.now();
  /** The history write under way (one at a time), or null. */
  let flushing: Promise<void> | null = null;
  let lastFlushFailed = false;
  const isBusy = (id: string) => busy.has(id) || finished.has(id);
  for (;;) {
    if (flushing === null && (finished.size >= FLUSH_AT_SIZE || (finished.size > 0 && Date.now() - lastFlush >= FLUSH_INTERVAL_MS))) {
      // Written while attempts go on starting: waiting for it would leave the endpoint's slots idle meanwhile.
      flushing = finished
        .flush({ oneBatch: true })
        .catch((err) => {
          console.error(JSON.stringify({ level: "error", msg: "history flush failed", error: String(err) }));
          return false;
        })
        .then((ok) => {
          lastFlushFailed = !ok;
          lastFlush = Date.now();
          flushing = null;
        });
    }
    // History is down: no new attempt starts while this many outcomes wait (memory stays bounded).
    if (lastFlushFailed && finished.size >= MAX_WAITING_OUTCOMES) break;
    const now = Date.now();
    const stop = now >= deadline || limiter.pausedUntil() > now || snapshot.current()?.status !== "active" || !relay.mayAttempt(endpoint);
    const next = stop ? undefined : work.next(isBusy);
    const dueNow = next !== undefined && next.due <= now;
    if (!dueNow || inFlight.size >= endpoint.maxInFlight) {
      // Work that waits (for a connection, the end of a pause, or the next run) must not bank tokens meanwhile.
      if (dueNow || (stop && work.next(isBusy))) limiter.markWaiting(endpoint.rateLimit, now);
      if (inFlight.size === 0) break;
      // With a slot free, work admitted meanwhile starts at once rather than after the next attempt ends.
      await Promise.race(dueNow || stop ? inFlight : [...inFlight, parts.arrivals.next()]);
      continue;
    }
    const token = limiter.take(endpoint.rateLimit, now);
    if (!token.ok) {
      if (now + token.waitMs >= deadline) {
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
        continue;
      }
      // A short wait is slept here: an alarm round trip per token would make every send late.
      await limiter.sleepUntil(now + token.waitMs, inFlight);
      continue;
    }
    const fresh = next.fresh;
    const row = work.take(next);
    if (!row || row.state !== "queued") continue;
    busy.add(row.delivery_id);
    // Must not fire before this attempt has ended; re-armed with headroom, so not once per attempt.
    await alarms.ensureWatchdog(now, endpoint.timeoutMs + WATCHDOG_MARGIN_MS, endpoint.timeoutMs + WATCHDOG_MARGIN_MS + WATCHDOG_HEADROOM_MS);
    const p: Promise<void> = parts
      .attempt(endpoint, row, now, fresh)
      .catch((err) => {
        // The row is still queued (fresh work goes back in line); the next run picks it up.
        console.error(JSON.stringify({ level: "error", msg: "attempt outcome not stored", error: String(err) }));
        if (fresh) freshWork.putBack(row.delivery_id);
        due.reset();
      })
      .finally(() => {
        busy.delete(row.delivery_id);
        // An attempt whose outcome was not stored leaves no restart pending: the row is queued anyway.
        work.takeRestart(row.delivery_id);
        inFlight.delete(p);
      });
    inFlight.add(p);
  }
  // The run goes on to write what is left (flushAll): this write must have ended first.
  await flushing;
}
