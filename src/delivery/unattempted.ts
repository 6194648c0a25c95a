// Ending deliveries without an attempt: all of an endpoint's work when it is disabled (`held`) or deleted
// (`failed`), and deliveries handed over as `held` (routed while their endpoint was disabled). Each outcome
// goes to history through the FinishedLog like any other, a batch at a time.
import { finalRecord } from "./delivery-record";
import type { DueIndex } from "./due-index";
import type { EndpointStore, WorkRow } from "./endpoint-store";
import type { FinishedLog } from "./finished-log";
import type { FreshWork } from "./fresh-work";

const BATCH = 200;
const MAX_BATCHES_PER_RUN = 1_000;

export class Unattempted {
  constructor(
    private readonly store: EndpointStore,
    private readonly due: DueIndex,
    private readonly fresh: FreshWork,
    private readonly finished: FinishedLog,
    private readonly busy: Set<string>,
  ) {}

  /** Ends every piece of work not in flight. False when history could not be written (the rest waits). */
  async finishAll(endpointId: string, status: "held" | "failed", error: string | null): Promise<boolean> {
    for (let guard = 0; guard < MAX_BATCHES_PER_RUN; guard++) {
      const rows = this.store.rows(BATCH).filter((r) => !this.finished.has(r.delivery_id) && !this.busy.has(r.delivery_id));
      const fresh = this.fresh.drainQueued(BATCH);
      if (rows.length === 0 && fresh.length === 0) return true;
      const now = Date.now();
      const outcome = (row: WorkRow) => finalRecord(row, endpointId, status, now, status === "failed" ? { error } : {});
      for (const row of rows) {
        this.due.remove(row.delivery_id);
        this.finished.add(outcome(row), row.attempts, row.seq);
      }
      for (const row of fresh) {
        this.finished.add(outcome(row), 0, row.seq, false);
        this.fresh.attempted(row.delivery_id);
      }
      if (!(await this.finished.flush())) return false;
    }
    return true;
  }

  /** Logs the rows handed over as `held`. Resolves to whether none is left (false also when history failed). */
  async logHeld(endpointId: string): Promise<{ done: boolean; ok: boolean }> {
    for (let guard = 0; guard < MAX_BATCHES_PER_RUN; guard++) {
      const rows = this.store.rows(BATCH, "held").filter((r) => !this.finished.has(r.delivery_id));
      if (rows.length === 0) return { done: true, ok: true };
      const now = Date.now();
      for (const row of rows) this.finished.add(finalRecord(row, endpointId, "held", now), row.attempts, row.seq);
      if (!(await this.finished.flush())) return { done: false, ok: false };
    }
    return { done: false, ok: true };
  }
}
