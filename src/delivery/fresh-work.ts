// New deliveries kept in memory instead of one SQLite row each. A fresh delivery's event is already in its
// owner's history shard, listing this endpoint, before it is handed over (the fanout consumer writes the event
// first): that record is what makes it durable. If the object dies with fresh work unsettled, the recovery
// scan (recovery.ts) finds it there again. A delivery is settled once its outcome is in history, or once it
// needed a retry and was written as an in-flight row.
import type { DeliveryWork } from "./contracts";
import type { WorkRow } from "./endpoint-store";

/** Past these, new work is stored as rows: memory stays bounded whatever the backlog. */
export const MAX_FRESH_ITEMS = 1_000;
export const MAX_FRESH_BYTES = 8 * 1024 * 1024;
/**
 * Older events are stored as rows: the recovery scan reads the owner's events since the oldest unsettled one,
 * so this bounds how far back a scan after a restart has to read (a long queue backlog goes to rows).
 */
export const MAX_FRESH_AGE_MS = 10 * 60_000;

function oldestAcceptedIn(maps: Map<string, WorkRow>[]): number | null {
  let oldest: number | null = null;
  for (const map of maps) for (const row of map.values()) if (oldest === null || row.accepted_at < oldest) oldest = row.accepted_at;
  return oldest;
}

export class FreshWork {
  /** Waiting for their first attempt, in arrival order. */
  private readonly queued = new Map<string, WorkRow>();
  /** Taken for an attempt and not settled yet (in flight, or finished and waiting for history). */
  private readonly taken = new Map<string, WorkRow>();
  private bytes = 0;

  /** Whether `w` may be kept in memory: a first delivery of a recorded event, due now, while there is room. */
  accepts(w: DeliveryWork, now: number): boolean {
    return (
      !w.manual && !w.held && !w.maybe_seen && w.attempts === 0 && (w.due_at === undefined || w.due_at <= now) &&
      w.accepted_at >= now - MAX_FRESH_AGE_MS && this.queued.size + this.taken.size < MAX_FRESH_ITEMS &&
      this.bytes + w.payload.length <= MAX_FRESH_BYTES
    );
  }

  /** Adds new work (false when it is already here). */
  add(w: DeliveryWork, seq: number, now: number): boolean {
    if (this.has(w.delivery_id)) return false;
    this.queued.set(w.delivery_id, {
      delivery_id: w.delivery_id, seq, event_id: w.event_id, owner_id: w.owner_id, event_type: w.event_type, payload: w.payload,
      accepted_at: w.accepted_at, due_at: now, attempts: 0, attempts_in_run: 0, state: "queued", created_at: now, attempt_log: "[]",
    } as WorkRow);
    this.bytes += w.payload.length;
    return true;
  }

  /** Waiting for its first attempt. */
  isQueued(id: string): boolean {
    return this.queued.has(id);
  }

  has(id: string): boolean {
    return this.queued.has(id) || this.taken.has(id);
  }

  /** The next fresh delivery to attempt, without taking it. */
  peek(): WorkRow | undefined {
    return this.queued.values().next().value;
  }

  /** Moves a queued delivery to `taken` (its attempt starts) and returns it. */
  take(id: string): WorkRow | undefined {
    const row = this.queued.get(id);
    if (!row) return undefined;
    this.queued.delete(id);
    this.taken.set(id, row);
    return row;
  }

  /** Its attempt could not be recorded: it goes back in line (at the end) for the next run. */
  putBack(id: string): void {
    const row = this.taken.get(id);
    if (!row || row.payload === "") return;
    this.taken.delete(id);
    this.queued.set(id, row);
  }

  /** Its attempt ended: the payload is no longer needed, only that it is unsettled until its outcome is stored. */
  attempted(id: string): void {
    const row = this.taken.get(id);
    if (!row) return;
    this.bytes -= row.payload.length;
    row.payload = "";
  }

  /** Its outcome is in history, or it was written as an in-flight row: the event record is no longer needed for it. */
  settle(id: string): void {
    const row = this.queued.get(id) ?? this.taken.get(id);
    if (row) this.bytes -= row.payload.length;
    this.queued.delete(id);
    this.taken.delete(id);
  }

  /**
   * Removes queued deliveries whose event is older than MAX_FRESH_AGE_MS (they have waited long: a rate limit,
   * a pause, a relay endpoint nobody listens to), for the caller to store as rows. Keeps the recovery scan short.
   */
  takeStale(now: number): WorkRow[] {
    const out: WorkRow[] = [];
    for (const row of this.queued.values()) if (row.accepted_at < now - MAX_FRESH_AGE_MS) out.push(row);
    for (const row of out) this.settle(row.delivery_id);
    return out;
  }

  /** When the oldest queued delivery becomes stale (null when none waits). */
  nextStaleAt(): number | null {
    const oldest = oldestAcceptedIn([this.queued]);
    return oldest === null ? null : oldest + MAX_FRESH_AGE_MS;
  }

  /** Removes every queued delivery (the endpoint is disabled or deleted), for the caller to settle otherwise. */
  drainQueued(limit: number): WorkRow[] {
    const out: WorkRow[] = [];
    for (const id of [...this.queued.keys()].slice(0, limit)) out.push(this.take(id)!);
    return out;
  }

  /** The oldest event time among unsettled deliveries (null when none): the recovery mark may not pass it. */
  oldestAcceptedAt(): number | null {
    return oldestAcceptedIn([this.queued, this.taken]);
  }

  /** Unsettled deliveries by id, for the API's view of what is in flight. */
  rows(ids?: string[]): WorkRow[] {
    if (ids) return ids.map((id) => this.queued.get(id) ?? this.taken.get(id)).filter((r): r is WorkRow => r !== undefined);
    return [...this.queued.values(), ...this.taken.values()];
  }

  get queuedCount(): number {
    return this.queued.size;
  }

  get size(): number {
    return this.queued.size + this.taken.size;
  }

  get payloadBytes(): number {
    return this.bytes;
  }
}
