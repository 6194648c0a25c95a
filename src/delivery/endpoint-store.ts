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
  /** Arrival order among work due at the same time. */
  seq: number;
  /** queued: waits for due_at here; retry_send: a RetryQueueMessage must still be sent for it. */
  state: "queued" | "retry_send";
  [key: string]: SqlStorageValue;
}

/** One outbox row: D1 writes of consecutive storage transactions (attempt outcomes), applied in order. */
export interface OutboxRow {
  seq: number;
  ops: OutboxOp[];
}

/**
 * SQLite bills every table and index entry an insert or update touches, and these tables are written per
 * delivery: `work` and `history` are WITHOUT ROWID (no separate primary-key index), and the outbox has no
 * AUTOINCREMENT (which writes sqlite_sequence on every insert). Its seq still only grows while rows wait: a
 * new row gets max(seq) + 1, and only the flush, which runs one at a time, deletes rows.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS work (
    delivery_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, event_id TEXT NOT NULL, owner_id TEXT NOT NULL,
    event_type TEXT NOT NULL, payload TEXT NOT NULL, accepted_at INTEGER NOT NULL, due_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL, attempts_in_run INTEGER NOT NULL, state TEXT NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS work_due ON work (state, due_at, seq);
  CREATE TABLE IF NOT EXISTS history (
    delivery_id TEXT PRIMARY KEY, attempts INTEGER NOT NULL, status TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, op TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS parked_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, error TEXT NOT NULL, at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * Objects created by the previous layout keep their rows: each old table is renamed, recreated in the new
 * shape and filled from the old one, in the constructor's transaction, before anything reads it. Old work
 * rows take their rowid (arrival order) as seq; old outbox rows hold a single op, which parseOps accepts.
 */
const UPGRADES = [
  {
    table: "work",
    isOld: (sql: string) => !/WITHOUT ROWID/i.test(sql),
    copy: `INSERT INTO work SELECT delivery_id, rowid, event_id, owner_id, event_type, payload, accepted_at, due_at,
             attempts, attempts_in_run, state FROM work_old`,
  },
  {
    table: "history",
    isOld: (sql: string) => !/WITHOUT ROWID/i.test(sql),
    copy: "INSERT INTO history SELECT delivery_id, attempts, status, updated_at FROM history_old",
  },
  { table: "outbox", isOld: (sql: string) => /AUTOINCREMENT/i.test(sql), copy: "INSERT INTO outbox SELECT seq, op FROM outbox_old" },
];

function createOrUpgrade(sql: SqlStorage): void {
  const existing = new Map(
    sql
      .exec<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('work', 'history', 'outbox')")
      .toArray()
      .map((r) => [r.name, r.sql]),
  );
  const old = UPGRADES.filter((u) => existing.has(u.table) && u.isOld(existing.get(u.table)!));
  // The old work_due index would follow its table's rename and keep the new one from being created.
  if (old.some((u) => u.table === "work")) sql.exec("DROP INDEX IF EXISTS work_due");
  for (const u of old) sql.exec(`ALTER TABLE ${u.table} RENAME TO ${u.table}_old`);
  sql.exec(SCHEMA);
  for (const u of old) {
    sql.exec(u.copy);
    sql.exec(`DROP TABLE ${u.table}_old`);
  }
}

/** An outbox row's ops: a JSON array, or one op in rows written by the previous layout. */
function parseOps(stored: string): OutboxOp[] {
  const parsed = JSON.parse(stored) as OutboxOp | OutboxOp[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

export class EndpointStore {
  /** Orders work with equal due times by arrival; starts past any seq an earlier instance of this object used. */
  private nextSeq = Date.now() * 1000;
  /** The outbox row new ops are appended to; always the newest row. Not kept across restarts (a new one opens). */
  private openOutboxRow: { seq: number; ops: number } | null = null;

  constructor(
    private readonly sql: SqlStorage,
    transactionSync: (fn: () => void) => void,
  ) {
    transactionSync(() => createOrUpgrade(sql));
  }

  // --- Work ------------------------------------------------------------------------------------------

  /** INSERT OR IGNORE: true when the row is new. */
  insertWork(w: DeliveryWork, attempts: number, attemptsInRun: number, dueAt: number): boolean {
    const cursor = this.sql.exec(
      `INSERT OR IGNORE INTO work (delivery_id, seq, event_id, owner_id, event_type, payload, accepted_at, due_at, attempts, attempts_in_run, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued')`,
      w.delivery_id,
      this.nextSeq++,
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

  /**
   * The id of the earliest due queued work not already claimed by an attempt in flight; equal due times in
   * arrival order. Read from the work_due index alone (it holds the primary key): whole rows, payload
   * included, of the claimed ones ahead of it are not read each time a slot is looked for.
   */
  nextDueId(now: number, claimed: Set<string>): string | undefined {
    const rows = this.sql
      .exec<{ delivery_id: string }>(
        "SELECT delivery_id FROM work WHERE state = 'queued' AND due_at <= ? ORDER BY due_at, seq LIMIT ?",
        now,
        claimed.size + 1,
      )
      .toArray();
    return rows.find((r) => !claimed.has(r.delivery_id))?.delivery_id;
  }

  work(deliveryId: string): WorkRow | undefined {
    return this.sql.exec<WorkRow>("SELECT * FROM work WHERE delivery_id = ?", deliveryId).toArray()[0];
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

  /**
   * Records ops at the end of the open row: appending is one row written, where a row per outcome would cost
   * an insert and, once flushed, a delete. A new row opens when there is none, or it holds maxOpsPerRow.
   */
  pushOutbox(ops: OutboxOp[], maxOpsPerRow: number): void {
    for (let i = 0; i < ops.length; ) {
      const open = this.openOutboxRow;
      if (open && open.ops < maxOpsPerRow) {
        const part = ops.slice(i, i + maxOpsPerRow - open.ops);
        // JSON arrays joined as text: '[a,b]' and '[c]' make '[a,b,c]'. No row: its transaction rolled back.
        const appended = this.sql.exec(
          "UPDATE outbox SET op = substr(op, 1, length(op) - 1) || ',' || substr(?, 2) WHERE seq = ?",
          JSON.stringify(part),
          open.seq,
        ).rowsWritten;
        if (appended > 0) {
          open.ops += part.length;
          i += part.length;
          continue;
        }
      }
      const part = ops.slice(i, i + maxOpsPerRow);
      const { seq } = this.sql.exec<{ seq: number }>("INSERT INTO outbox (op) VALUES (?) RETURNING seq", JSON.stringify(part)).one();
      this.openOutboxRow = { seq, ops: part.length };
      i += part.length;
    }
  }

  /**
   * The oldest rows holding at most maxOps ops in all (at least one row). Rows handed out are closed: ops
   * recorded from now on go to a new row, so a flush never deletes an op it did not apply.
   */
  outboxChunk(maxOps: number): OutboxRow[] {
    this.openOutboxRow = null;
    const rows: OutboxRow[] = [];
    let ops = 0;
    for (const r of this.sql.exec<{ seq: number; op: string }>("SELECT seq, op FROM outbox ORDER BY seq LIMIT ?", maxOps).toArray()) {
      const row = { seq: r.seq, ops: parseOps(r.op) };
      if (rows.length > 0 && ops + row.ops.length > maxOps) break;
      rows.push(row);
      ops += row.ops.length;
    }
    return rows;
  }

  /** What is left of a row after its first ops were applied one by one. */
  replaceOutboxOps(seq: number, ops: OutboxOp[]): void {
    if (ops.length === 0) this.deleteOutbox(seq);
    else this.sql.exec("UPDATE outbox SET op = ? WHERE seq = ?", JSON.stringify(ops), seq);
  }

  deleteOutboxThrough(seq: number): void {
    this.sql.exec("DELETE FROM outbox WHERE seq <= ?", seq);
  }

  deleteOutbox(seq: number): void {
    this.sql.exec("DELETE FROM outbox WHERE seq = ?", seq);
  }

  /** Keeps an op D1 refused on its own out of the way of later writes: parked, then dropped from its row. */
  parkOutboxOp(row: OutboxRow, index: number, error: string, now: number): void {
    this.sql.exec("INSERT INTO parked_outbox (op, error, at) VALUES (?, ?, ?)", JSON.stringify(row.ops[index]), error.slice(0, 1000), now);
    this.replaceOutboxOps(row.seq, row.ops.slice(index + 1));
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
