// An EndpointDO's in-flight work as one set: rows in SQLite (retries, held, recovered and overflow work, in the
// due order of DueIndex) and fresh deliveries kept in memory (FreshWork). The drain takes the earliest due of
// either; lists and lookups see both.
import type { AttemptRecord } from "../history/records";
import type { DeliveryWork } from "./contracts";
import { attemptLogOf } from "./delivery-record";
import type { DueIndex } from "./due-index";
import type { DueKey, EndpointStore, WorkRow, WorkSummary } from "./endpoint-store";
import type { FreshWork } from "./fresh-work";

export type NextWork = DueKey & { fresh: boolean };

export class InFlightWork {
  /** Deliveries a manual retry restarted while their attempt was in flight: resumed when it ends. */
  private readonly restartedInFlight = new Set<string>();

  constructor(
    private readonly store: EndpointStore,
    private readonly due: DueIndex,
    private readonly fresh: FreshWork,
  ) {}

  /**
   * Takes a handed-over delivery in. New work is kept in memory when `keepFresh` allows and it qualifies
   * (fresh-work.ts), else stored as a row; a manual retry restarts its delivery's run. Returns how it was
   * taken, or null when it was here already (enqueue is idempotent by delivery_id).
   */
  admit(
    w: DeliveryWork,
    now: number,
    opts: { keepFresh: boolean; restarted: (deliveryId: string) => void; inFlight: (deliveryId: string) => boolean },
  ): "fresh" | "row" | "held" | "restarted" | null {
    if (w.manual) {
      // Not attempted yet: it will be, from the start of a run.
      if (this.fresh.isQueued(w.delivery_id)) return "restarted";
      const row = this.store.work(w.delivery_id);
      const key = row
        ? this.store.restartWork(w.delivery_id, Math.max(w.attempts, row.attempts), now)
        : this.store.insertWork(w, "queued", w.attempts, 0, now, now);
      // An outcome of this delivery may still wait for history (from the row, or from fresh work): it stays
      // to be written, but the restarted run is what the delivery is now.
      if (key) opts.restarted(w.delivery_id);
      // Its attempt under way would end as if nothing happened: it is resumed from there (resumeRestarted).
      if (key && opts.inFlight(w.delivery_id)) this.restartedInFlight.add(w.delivery_id);
      this.due.remove(w.delivery_id);
      if (key) this.due.add(key);
      return "restarted";
    }
    // Already here (kept fresh, or a row): a repeated handoff changes nothing.
    if (this.fresh.has(w.delivery_id)) return null;
    if (opts.keepFresh && this.fresh.accepts(w, now)) return this.fresh.add(w, this.store.takeSeq(), now) ? "fresh" : null;
    const key = this.store.insertWork(w, w.held ? "held" : "queued", w.attempts, w.attempts_in_run, Math.max(now, w.due_at ?? now), now);
    if (key && !w.held) this.due.add(key);
    return key === null ? null : w.held ? "held" : "row";
  }

  /**
   * A failed attempt with another one scheduled: one row written — updated, or inserted for fresh work, which
   * then counts as settled (the row, not the event record, carries it from here).
   */
  scheduleRetry(row: WorkRow, fresh: boolean, next: { attempt: AttemptRecord; attemptsInRun: number; dueAt: number }, now: number): void {
    const log = [...attemptLogOf(row), next.attempt];
    const key = fresh
      ? this.store.insertWork(row, "queued", next.attempt.attempt, next.attemptsInRun, next.dueAt, now, log)!
      : this.store.scheduleRetry(row.delivery_id, next.attempt.attempt, next.attemptsInRun, next.dueAt, log);
    if (fresh) this.fresh.settle(row.delivery_id);
    this.due.add(key);
  }

  /** Whether a manual retry restarted this delivery during the attempt that just ended (asked once per attempt). */
  takeRestart(deliveryId: string): boolean {
    return this.restartedInFlight.delete(deliveryId);
  }

  /**
   * A manual retry restarted this delivery while its attempt was in flight, and that attempt has now ended:
   * the restarted row (written by admit()) is what the delivery is now, due at once and counting on from this
   * attempt, which its log keeps (a later outcome then carries it to history even if it replaces this one
   * before it is written; history merges attempts by number). The row goes back in the due order (the drain
   * dropped it while the delivery was busy).
   */
  resumeRestarted(row: WorkRow, fresh: boolean, attempt: AttemptRecord, now: number): void {
    const key = this.store.scheduleRetry(row.delivery_id, attempt.attempt, 0, now, [...attemptLogOf(row), attempt]);
    if (fresh) this.fresh.settle(row.delivery_id);
    this.due.remove(row.delivery_id);
    this.due.add(key);
  }

  /** New work stored as queued rows in one transaction, due when it was (or now). */
  storeRows(works: Omit<DeliveryWork, "endpoint_id">[], now: number): void {
    if (works.length === 0) return;
    this.store.transaction(() => {
      for (const w of works) {
        const key = this.store.insertWork(w, "queued", 0, 0, Math.max(now, w.due_at ?? now), now);
        if (key) this.due.add(key);
      }
    });
  }

  /** The earliest due delivery: the head of the stored due order or of the fresh work, whichever comes first. */
  next(isBusy: (id: string) => boolean): NextWork | undefined {
    const stored = this.due.peek(isBusy);
    const head = this.fresh.peek();
    const fresh = head && { id: head.delivery_id, due: head.due_at, seq: head.seq };
    if (fresh && (!stored || fresh.due < stored.due || (fresh.due === stored.due && fresh.seq < stored.seq))) return { ...fresh, fresh: true };
    return stored && { ...stored, fresh: false };
  }

  /** Takes what next() returned, for its attempt (undefined when it is gone meanwhile). */
  take(next: NextWork): WorkRow | undefined {
    if (next.fresh) return this.fresh.take(next.id);
    this.due.take();
    return this.store.work(next.id);
  }

  has(id: string): boolean {
    return this.fresh.has(id) || this.store.work(id) !== undefined;
  }

  /** By id, absent when not here. */
  rows(ids: string[]): WorkRow[] {
    const rows = this.store.works(ids);
    const stored = new Set(rows.map((r) => r.delivery_id));
    return [...rows, ...this.fresh.rows(ids).filter((r) => !stored.has(r.delivery_id))];
  }

  /** Newest first (by id), payloads left out of stored rows. */
  list(beforeId: string | undefined, limit: number): WorkSummary[] {
    const fresh = this.fresh.rows().filter((r) => beforeId === undefined || r.delivery_id < beforeId);
    return [...this.store.list(beforeId, limit), ...fresh].sort((a, b) => (a.delivery_id < b.delivery_id ? 1 : -1)).slice(0, limit);
  }

  counts(): { total: number; queued: number } {
    const stored = this.store.counts();
    return { total: stored.total + this.fresh.size, queued: stored.queued + this.fresh.queuedCount };
  }
}
