// Finished deliveries on their way from an EndpointDO to history. An outcome waits here, in memory, until a
// flush has written it to the endpoint's log shard; only then does its in-flight row go (or, for fresh work
// kept in memory, the delivery counts as settled). If the object dies first, the row — or the event record
// the recovery scan reads — is still there and the delivery is attempted again: at least once, never lost,
// and no row is written per delivery to remember the outcome in between.
import type { Env } from "../env";
import { writeDeliveries } from "../history/delivery-history";
import { mergeAttempts, type DeliveryRecord } from "../history/records";
import type { EndpointStore } from "./endpoint-store";

interface Finished {
  record: DeliveryRecord;
  /** The in-flight row's attempts and seq when it finished: a row rescheduled since is not deleted. */
  attempts: number;
  seq: number;
  /** False for fresh work kept in memory: there is no row to delete. */
  hasRow: boolean;
  /** A manual retry restarted the delivery since: the outcome is still written, but its row is the live run. */
  restarted?: boolean;
}

/** Records per history write; larger batches are split. */
const FLUSH_BATCH = 200;

export class FinishedLog {
  private readonly waiting = new Map<string, Finished>();
  /** When the oldest waiting outcome was added (null when none waits). */
  private since: number | null = null;

  constructor(
    private readonly env: Env,
    private readonly store: EndpointStore,
    private readonly transactionSync: (fn: () => void) => void,
    /** Called (inside the flush's transaction) for each delivery whose outcome is now in history. */
    private readonly settled: (deliveryId: string) => void,
  ) {}

  add(record: DeliveryRecord, attempts: number, seq: number, hasRow = true): void {
    // A restarted delivery's earlier outcome may still wait here: the new outcome replaces it, and takes its
    // attempts along (as history's own merge would), so that history misses none of them.
    const superseded = this.waiting.get(record.id)?.record;
    if (superseded) {
      const dropped = Math.max(superseded.attempts_dropped, record.attempts_dropped);
      record = { ...record, ...mergeAttempts(superseded.attempts, dropped, record.attempts), created_at: superseded.created_at };
    }
    this.waiting.set(record.id, { record, attempts, seq, hasRow });
    this.since ??= Date.now();
  }

  waitingSince(): number | null {
    return this.since;
  }

  /** The waiting outcome of a delivery (it has finished; history does not have it yet), if any. */
  record(deliveryId: string): DeliveryRecord | undefined {
    const f = this.waiting.get(deliveryId);
    return f && !f.restarted ? f.record : undefined;
  }

  /**
   * Whether this delivery has finished and its outcome waits to be written: its work must not be attempted
   * again. False once a manual retry restarted it (the outcome still waits, but the new run is live work).
   */
  has(deliveryId: string): boolean {
    const f = this.waiting.get(deliveryId);
    return f !== undefined && !f.restarted;
  }

  /** A manual retry restarted this delivery: its waiting outcome is still written, but its row stays. */
  restarted(deliveryId: string): void {
    const f = this.waiting.get(deliveryId);
    if (f) f.restarted = true;
  }

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Writes waiting outcomes to history, then deletes their rows. False when history could not be written.
   * `oneBatch`: one write of what waits now, not those added while it is under way (a drain that keeps
   * attempting would otherwise keep the writer busy with ever smaller batches).
   */
  async flush(opts: { oneBatch?: boolean } = {}): Promise<boolean> {
    while (this.waiting.size > 0) {
      const batch = [...this.waiting.values()].slice(0, FLUSH_BATCH);
      try {
        await writeDeliveries(this.env, batch.map((f) => f.record));
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "history write failed; outcomes kept for the next flush", error: String(err) }));
        return false;
      }
      this.transactionSync(() => {
        for (const f of batch) {
          // A newer outcome may have replaced this one while the write was in flight: it waits for the next flush.
          if (this.waiting.get(f.record.id) !== f) continue;
          if (f.hasRow && !f.restarted) this.store.deleteLogged(f.record.id, f.attempts, f.seq);
          this.waiting.delete(f.record.id);
          this.settled(f.record.id);
        }
      });
      // Outcomes added while the write was in flight start a new wait.
      this.since = this.waiting.size === 0 ? null : Date.now();
      if (opts.oneBatch) break;
    }
    return true;
  }
}
