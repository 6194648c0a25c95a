// An EndpointDO's in-flight work as one set: rows in SQLite (retries, held, recovered and overflow work, in the
// due order of DueIndex) and fresh deliveries kept in memory (FreshWork). The drain takes the earliest due of
// either; lists and lookups see both.
import type { DueIndex } from "./due-index";
import type { DueKey, EndpointStore, WorkRow, WorkSummary } from "./endpoint-store";
import type { FreshWork } from "./fresh-work";

export type NextWork = DueKey & { fresh: boolean };

export class InFlightWork {
  constructor(
    private readonly store: EndpointStore,
    private readonly due: DueIndex,
    private readonly fresh: FreshWork,
  ) {}

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
