// The EndpointDO's SQLite storage: the endpoint's in-flight work (pending, retrying, held until logged) and
// small settings. Finished deliveries leave for history (src/history/); nothing here grows with the past.
// Synchronous (DO SQLite); callers group writes with transaction() where they must be atomic.
import { sqlChunks, type AttemptRecord } from "../history/records";
import type { DeliveryWork } from "./contracts";

export interface WorkFields {
  delivery_id: string;
  event_id: string;
  owner_id: string;
  event_type: string;
  payload: string;
  accepted_at: number;
  due_at: number;
  attempts: number;
  attempts_in_run: number;
  /** Arrival order among work due at the same time. */
  seq: number;
  /** queued: waits for due_at; held: to be logged as held (endpoint disabled), never attempted. */
  state: "queued" | "held";
  /** When the delivery was first handed to this object. */
  created_at: number;
  /** JSON: this delivery's attempts not yet in history (AttemptRecord[]), oldest first. */
  attempt_log: string;
}

export type WorkRow = WorkFields & Record<string, SqlStorageValue>;
/** A row as lists read it: everything but the payload. */
export type WorkSummary = Omit<WorkFields, "payload">;

/** A work row's place in the due order. */
export interface DueKey {
  id: string;
  due: number;
  seq: number;
}

/**
 * One row per in-flight delivery, WITHOUT ROWID and with no secondary index: a delivery costs one row written
 * when it arrives and one when it leaves (SQLite bills every index entry too). The due order is kept in
 * memory (due-index.ts) and refilled from here in pages.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS inflight (
    delivery_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, event_id TEXT NOT NULL, owner_id TEXT NOT NULL,
    event_type TEXT NOT NULL, payload TEXT NOT NULL, accepted_at INTEGER NOT NULL, due_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL, attempts_in_run INTEGER NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL,
    attempt_log TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * Objects of the previous layout (work + history + D1 outbox) keep their queued work; their history and
 * outbox described D1 rows that no longer exist (migration 0005) and are dropped.
 */
function createOrUpgrade(sql: SqlStorage): void {
  sql.exec(SCHEMA);
  const old = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('work', 'history', 'outbox', 'parked_outbox')").toArray();
  if (old.some((t) => t.name === "work")) {
    sql.exec(
      `INSERT OR IGNORE INTO inflight SELECT delivery_id, seq, event_id, owner_id, event_type, payload, accepted_at, due_at,
         attempts, attempts_in_run, 'queued', accepted_at, '[]' FROM work`,
    );
  }
  for (const t of old) sql.exec(`DROP TABLE ${t.name}`);
}

export class EndpointStore {
  /** Orders work with equal due times by arrival; starts past any seq an earlier instance of this object used. */
  private nextSeq = Date.now() * 1000;
  /**
   * Settings as stored, kept in memory: this object is their only writer, and the drain reads some of them
   * (limiter, pause, health) several times per attempt. Forgotten when a transaction fails (it rolled back).
   */
  private readonly metaCache = new Map<string, string | null>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly transactionSync: (fn: () => void) => void,
  ) {
    transactionSync(() => createOrUpgrade(sql));
  }

  /** Runs `fn` in one storage transaction; on failure (rolled back) the settings cache is dropped too. */
  transaction(fn: () => void): void {
    try {
      this.transactionSync(fn);
    } catch (err) {
      this.metaCache.clear();
      throw err;
    }
  }

  /** The next arrival-order number (fresh work kept in memory shares the order with rows). */
  takeSeq(): number {
    return this.nextSeq++;
  }

  /** INSERT OR IGNORE: the new row's due key, or null when the delivery is already here. */
  insertWork(
    w: Omit<DeliveryWork, "endpoint_id">,
    state: "queued" | "held",
    attempts: number,
    attemptsInRun: number,
    dueAt: number,
    now: number,
    attemptLog: AttemptRecord[] = [],
  ): DueKey | null {
    const seq = this.nextSeq++;
    const cursor = this.sql.exec(
      `INSERT OR IGNORE INTO inflight (delivery_id, seq, event_id, owner_id, event_type, payload, accepted_at, due_at, attempts, attempts_in_run, state, created_at, attempt_log)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      w.delivery_id, seq, w.event_id, w.owner_id, w.event_type, w.payload, w.accepted_at, dueAt, attempts, attemptsInRun, state, now,
      JSON.stringify(attemptLog),
    );
    return cursor.rowsWritten > 0 ? { id: w.delivery_id, due: dueAt, seq } : null;
  }

  /** A manual retry: a new run, due now, whatever state the row was in. Returns its new due key. */
  restartWork(deliveryId: string, attempts: number, dueAt: number): DueKey {
    const seq = this.nextSeq++;
    this.sql.exec(
      "UPDATE inflight SET attempts_in_run = 0, due_at = ?, seq = ?, state = 'queued', attempts = max(attempts, ?) WHERE delivery_id = ?",
      dueAt, seq, attempts, deliveryId,
    );
    return { id: deliveryId, due: dueAt, seq };
  }

  /** After a failed attempt with another one scheduled: one row written. */
  scheduleRetry(deliveryId: string, attempts: number, attemptsInRun: number, dueAt: number, attemptLog: AttemptRecord[]): DueKey {
    const seq = this.nextSeq++;
    this.sql.exec(
      "UPDATE inflight SET attempts = ?, attempts_in_run = ?, due_at = ?, seq = ?, attempt_log = ? WHERE delivery_id = ?",
      attempts, attemptsInRun, dueAt, seq, JSON.stringify(attemptLog), deliveryId,
    );
    return { id: deliveryId, due: dueAt, seq };
  }

  /** Queued work in due order after `after` (exclusive), for the in-memory due index. */
  duePage(after: { due: number; seq: number } | null, limit: number): DueKey[] {
    const rows = after
      ? this.sql.exec<{ id: string; due: number; seq: number }>(
          "SELECT delivery_id AS id, due_at AS due, seq FROM inflight WHERE state = 'queued' AND (due_at, seq) > (?, ?) ORDER BY due_at, seq LIMIT ?",
          after.due, after.seq, limit,
        )
      : this.sql.exec<{ id: string; due: number; seq: number }>(
          "SELECT delivery_id AS id, due_at AS due, seq FROM inflight WHERE state = 'queued' ORDER BY due_at, seq LIMIT ?",
          limit,
        );
    return rows.toArray();
  }

  work(deliveryId: string): WorkRow | undefined {
    return this.sql.exec<WorkRow>("SELECT * FROM inflight WHERE delivery_id = ?", deliveryId).toArray()[0];
  }

  works(ids: string[]): WorkRow[] {
    return sqlChunks(ids).flatMap((chunk) =>
      this.sql.exec<WorkRow>(`SELECT * FROM inflight WHERE delivery_id IN (${chunk.map(() => "?").join(",")})`, ...chunk).toArray(),
    );
  }

  /** Removes a row once its final record is in history — unless it changed since (a manual retry restarted it). */
  deleteLogged(deliveryId: string, attempts: number, seq: number): void {
    this.sql.exec("DELETE FROM inflight WHERE delivery_id = ? AND attempts = ? AND seq = ?", deliveryId, attempts, seq);
  }

  /** Rows to be logged without an attempt (held), or every row (finishAll). */
  rows(limit: number, state?: "held"): WorkRow[] {
    return state
      ? this.sql.exec<WorkRow>("SELECT * FROM inflight WHERE state = ? LIMIT ?", state, limit).toArray()
      : this.sql.exec<WorkRow>("SELECT * FROM inflight LIMIT ?", limit).toArray();
  }

  markHeld(deliveryId: string): void {
    this.sql.exec("UPDATE inflight SET state = 'held' WHERE delivery_id = ?", deliveryId);
  }

  /** Newest first, payloads left out: the API lists in-flight deliveries beside history. */
  list(beforeId: string | undefined, limit: number): WorkSummary[] {
    const cols = "delivery_id, seq, event_id, owner_id, event_type, accepted_at, due_at, attempts, attempts_in_run, state, created_at, attempt_log";
    return (
      beforeId === undefined
        ? this.sql.exec<WorkRow>(`SELECT ${cols} FROM inflight ORDER BY delivery_id DESC LIMIT ?`, limit)
        : this.sql.exec<WorkRow>(`SELECT ${cols} FROM inflight WHERE delivery_id < ? ORDER BY delivery_id DESC LIMIT ?`, beforeId, limit)
    ).toArray();
  }

  counts(): { total: number; queued: number; held: number } {
    return this.sql
      .exec<{ total: number; queued: number; held: number }>(
        "SELECT count(*) AS total, coalesce(sum(state = 'queued'), 0) AS queued, coalesce(sum(state = 'held'), 0) AS held FROM inflight",
      )
      .one();
  }

  // --- Meta ----------------------------------------------------------------------------------------

  getMeta(key: string): string | null {
    const cached = this.metaCache.get(key);
    if (cached !== undefined) return cached;
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    const value = row ? row.value : null;
    this.metaCache.set(key, value);
    return value;
  }

  setMeta(key: string, value: string): void {
    this.metaCache.delete(key);
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
    this.metaCache.set(key, value);
  }

  deleteMeta(key: string): void {
    this.metaCache.delete(key);
    this.sql.exec("DELETE FROM meta WHERE key = ?", key);
    this.metaCache.set(key, null);
  }
}
