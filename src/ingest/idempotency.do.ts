// IdempotencyDO: one SQLite-backed object per (owner, Idempotency-Key) that hands every request with that
// key the same event ids, lets exactly one of concurrent requests queue them, and forgets it all after 24 h.
import { count } from "../observability/counters";
import { DurableObject } from "cloudflare:workers";
import { IDEMPOTENCY_TTL_MS } from "../domain/ids";
import type { Env } from "../env";

// How long a key is remembered: defined with the event id bounds that rely on it.
export { IDEMPOTENCY_TTL_MS };

/** How long one request may hold a claim while it queues; after that a retry may take the claim over. */
export const CLAIM_LEASE_MS = 30_000;

export type ClaimResult =
  /** The events were queued by an earlier request: answer these ids, queue nothing. */
  | { outcome: "committed"; ids: string[] }
  /** The caller must queue the events under these ids, then commit (or release on failure). */
  | { outcome: "claimed"; ids: string[]; token: string }
  /** The key was used for a different number of events. */
  | { outcome: "mismatch"; ids: string[] };

interface ClaimRow {
  ids: string;
  state: "pending" | "committed";
  token: string;
  lease_until: number;
  created_at: number;
}

export class IdempotencyDO extends DurableObject<Env> {
  /** Requests waiting for another request's claim on this key to commit or release. */
  private waiters: (() => void)[] = [];

  // Created on use rather than in the constructor, because the expiry alarm's deleteAll() drops it.
  private ensureTable(): void {
    this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS claim (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      ids TEXT NOT NULL, state TEXT NOT NULL, token TEXT NOT NULL,
      lease_until INTEGER NOT NULL, created_at INTEGER NOT NULL)`);
  }

  private read(now: number): ClaimRow | null {
    this.ensureTable();
    const row = this.ctx.storage.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM claim WHERE singleton = 1").toArray()[0];
    if (!row) return null;
    const claim = row as unknown as ClaimRow;
    // The alarm deletes expired keys; until it has run, an expired key counts as never used.
    return claim.created_at + IDEMPOTENCY_TTL_MS <= now ? null : claim;
  }

  /**
   * Claims the key for `proposedIds`, or reports who has it. Concurrent callers queue up behind a live
   * claim (bounded by its lease) so they all answer the ids of the one request that queued the events.
   * Ids survive a release: a retry after a partly failed send re-sends the same ids, which the consumer dedupes.
   */
  async claim(proposedIds: string[]): Promise<ClaimResult> {
    count("do_requests");
    for (;;) {
      const now = Date.now();
      const existing = this.read(now);
      if (existing?.state === "committed") {
        const ids = JSON.parse(existing.ids) as string[];
        return ids.length === proposedIds.length ? { outcome: "committed", ids } : { outcome: "mismatch", ids };
      }
      if (existing && existing.lease_until > now) {
        await this.waitForChange(existing.lease_until - now);
        continue;
      }
      const previousIds = existing ? (JSON.parse(existing.ids) as string[]) : null;
      const ids = previousIds && previousIds.length === proposedIds.length ? previousIds : proposedIds;
      const token = crypto.randomUUID();
      const createdAt = existing?.created_at ?? now;
      this.ctx.storage.sql.exec(
        `INSERT OR REPLACE INTO claim (singleton, ids, state, token, lease_until, created_at) VALUES (1, ?, 'pending', ?, ?, ?)`,
        JSON.stringify(ids),
        token,
        now + CLAIM_LEASE_MS,
        createdAt,
      );
      if (!existing) await this.ctx.storage.setAlarm(createdAt + IDEMPOTENCY_TTL_MS);
      return { outcome: "claimed", ids, token };
    }
  }

  /** The events are queued: from now on the key answers these ids. */
  async commit(token: string): Promise<boolean> {
    count("do_requests");
    this.ensureTable();
    const changed = this.ctx.storage.sql.exec("UPDATE claim SET state = 'committed' WHERE token = ? AND state = 'pending'", token)
      .rowsWritten;
    this.wake();
    return changed > 0;
  }

  /** Queueing failed: let the next request with this key try again (with the same ids). */
  async release(token: string): Promise<void> {
    count("do_requests");
    this.ensureTable();
    this.ctx.storage.sql.exec("UPDATE claim SET lease_until = 0 WHERE token = ? AND state = 'pending'", token);
    this.wake();
  }

  /** After 24 h the key is forgotten entirely. */
  override async alarm(): Promise<void> {
    count("do_alarms");
    const row = this.read(Date.now());
    if (row) {
      // Not expired yet (e.g. the alarm fired early); look again when it is.
      await this.ctx.storage.setAlarm(row.created_at + IDEMPOTENCY_TTL_MS);
      return;
    }
    await this.ctx.storage.deleteAll();
  }

  private waitForChange(maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, maxMs));
      const waiters = this.waiters;
      function done() {
        clearTimeout(timer);
        const at = waiters.indexOf(done);
        if (at !== -1) waiters.splice(at, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
