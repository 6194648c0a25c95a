// The EndpointDO's SQLite storage: pending work, per-delivery history, the D1 outbox and small settings.
// Synchronous (DO SQLite); callers group writes with storage.transactionSync where they must be atomic.
import type { DeliveryWork } from "./contracts";
import type { OutboxOp } from "./outbox";

export interface WorkRow {
  delivery_id: string;
  event_id: string;
  owner_id: string;
  event_type: string;
  payload: string;
  accepted_at: number;
  due_at: number;
  attempts: number;
  attempts_in_run: number;
  /** queued: waits for due_at here; retry_send: a RetryQueueMessage must still be sent for it. */
  state: "queued" | "retry_send";
  [key: string]: SqlStorageValue;
}

export interface OutboxRow {
  seq: number;
  op: string;
  [key: string]: SqlStorageValue;
}

export class EndpointStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS work (
        delivery_id TEXT PRIMARY KEY, event_id TEXT NOT NULL, owner_id TEXT NOT NULL, event_type TEXT NOT NULL,
        payload TEXT NOT NULL, accepted_at INTEGER NOT NULL, due_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL, attempts_in_run INTEGER NOT NULL, state TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS work_due ON work (state, due_at);
      CREATE TABLE IF NOT EXISTS history (
        delivery_id TEXT PRIMARY KEY, attempts INTEGER NOT NULL, status TEXT NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS parked_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, error TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  }

  // --- Work ------------------------------------------------------------------------------------------

  /** INSERT OR IGNORE: true when the row is new. */
  insertWork(w: DeliveryWork, attempts: number, attemptsInRun: number, dueAt: number): boolean {
    const cursor = this.sql.exec(
      `INSERT OR IGNORE INTO work (delivery_id, event_id, owner_id, event_type, payload, accepted_at, due_at, attempts, attempts_in_run, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued')`,
      w.delivery_id,
      w.event_id,
      w.owner_id,
      w.event_type,
      w.payload,
      w.accepted_at,
      dueAt,
      attempts,
      attemptsInRun,
    );
    return cursor.rowsWritten > 0;
  }

  hasWork(deliveryId: string): boolean {
    return this.sql.exec("SELECT 1 FROM work WHERE delivery_id = ?", deliveryId).toArray().length > 0;
  }

  /** A manual retry: a new run, due now, whatever state the row was in. */
  restartWork(deliveryId: string, attempts: number, dueAt: number): void {
    this.sql.exec(
      "UPDATE work SET attempts_in_run = 0, due_at = ?, state = 'queued', attempts = max(attempts, ?) WHERE delivery_id = ?",
      dueAt,
      attempts,
      deliveryId,
    );
  }

  /** The earliest due queued work not already claimed by an attempt in flight; equal due times in arrival order. */
  nextDueWork(now: number, claimed: Set<string>): WorkRow | undefined {
    const rows = this.sql
      .exec<WorkRow>("SELECT * FROM work WHERE state = 'queued' AND due_at <= ? ORDER BY due_at, rowid LIMIT ?", now, claimed.size + 1)
      .toArray();
    return rows.find((r) => !claimed.has(r.delivery_id));
  }

  markRetrySend(deliveryId: string, attempts: number, attemptsInRun: number, dueAt: number): void {
    this.sql.exec(
      "UPDATE work SET state = 'retry_send', attempts = ?, attempts_in_run = ?, due_at = ? WHERE delivery_id = ?",
      attempts,
      attemptsInRun,
      dueAt,
      deliveryId,
    );
  }

  /** After the retry message was sent. Guarded: a manual retry may have re-queued the row meanwhile. */
  deleteSentRetry(deliveryId: string, attempts: number): void {
    this.sql.exec("DELETE FROM work WHERE delivery_id = ? AND state = 'retry_send' AND attempts = ?", deliveryId, attempts);
  }

  deleteWork(deliveryId: string): void {
    this.sql.exec("DELETE FROM work WHERE delivery_id = ?", deliveryId);
  }

  unsentRetries(limit: number): WorkRow[] {
    return this.sql.exec<WorkRow>("SELECT * FROM work WHERE state = 'retry_send' LIMIT ?", limit).toArray();
  }

  anyWork(limit: number): WorkRow[] {
    return this.sql.exec<WorkRow>("SELECT * FROM work LIMIT ?", limit).toArray();
  }

  workCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM work").one().n;
  }

  queuedCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM work WHERE state = 'queued'").one().n;
  }

  unsentRetryCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM work WHERE state = 'retry_send'").one().n;
  }

  earliestQueuedDue(): number | null {
    return this.sql.exec<{ due: number | null }>("SELECT min(due_at) AS due FROM work WHERE state = 'queued'").one().due;
  }

  // --- History: how many attempts each delivery has had, to recognise stale duplicates ---------------

  history(deliveryId: string): { attempts: number; status: string } | undefined {
    return this.sql
      .exec<{ attempts: number; status: string }>("SELECT attempts, status FROM history WHERE delivery_id = ?", deliveryId)
      .toArray()[0];
  }

  remember(deliveryId: string, attempts: number, status: string, now: number): void {
    this.sql.exec(
      `INSERT INTO history (delivery_id, attempts, status, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (delivery_id) DO UPDATE SET attempts = max(attempts, excluded.attempts), status = excluded.status, updated_at = excluded.updated_at`,
      deliveryId,
      attempts,
      status,
      now,
    );
  }

  pruneHistory(before: number): void {
    this.sql.exec("DELETE FROM history WHERE updated_at < ?", before);
  }

  // --- Outbox --------------------------------------------------------------------------------------

  pushOutbox(op: OutboxOp): void {
    this.sql.exec("INSERT INTO outbox (op) VALUES (?)", JSON.stringify(op));
  }

  outboxChunk(limit: number): OutboxRow[] {
    return this.sql.exec<OutboxRow>("SELECT seq, op FROM outbox ORDER BY seq LIMIT ?", limit).toArray();
  }

  deleteOutboxThrough(seq: number): void {
    this.sql.exec("DELETE FROM outbox WHERE seq <= ?", seq);
  }

  deleteOutbox(seq: number): void {
    this.sql.exec("DELETE FROM outbox WHERE seq = ?", seq);
  }

  /** Keeps an op D1 refused on its own, out of the way of later writes. */
  parkOutbox(row: OutboxRow, error: string, now: number): void {
    this.sql.exec("INSERT INTO parked_outbox (op, error, at) VALUES (?, ?, ?)", row.op, error.slice(0, 1000), now);
    this.deleteOutbox(row.seq);
  }

  outboxSize(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
  }

  parkedCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM parked_outbox").one().n;
  }

  // --- Meta ----------------------------------------------------------------------------------------

  getMeta(key: string): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? row.value : null;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }

  deleteMeta(key: string): void {
    this.sql.exec("DELETE FROM meta WHERE key = ?", key);
  }
}
