// Finished deliveries in one log shard (endpoint × day): one row per delivery with its attempts inline, written
// once at its final state (succeeded, failed, held) by the endpoint's EndpointDO, in batches. A later outcome
// of the same delivery (a manual retry) replaces the row and appends its attempts. No secondary index: a status
// or event filter scans one bounded shard by primary key (rows read are billed at 1/1000 of rows written).
import { mergeAttempts, sqlChunks, type AttemptRecord, type DeliveryRecord, type DeliveryStatus } from "./records";

export const DELIVERIES_SCHEMA = `
  CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, event_id TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
    event_accepted_at INTEGER NOT NULL, record TEXT NOT NULL) WITHOUT ROWID;
`;

export interface DeliveryListQuery {
  beforeId?: string;
  status?: DeliveryStatus;
  statuses?: DeliveryStatus[];
  eventId?: string;
  acceptedFrom?: number;
  acceptedUntil?: number;
  createdFrom?: number;
  createdUntil?: number;
  limit: number;
}

export class DeliveryStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(DELIVERIES_SCHEMA);
  }

  put(records: DeliveryRecord[]): void {
    // Most records are their delivery's first and only write: a plain insert, nothing read first. One already
    // here (a retry that ended, a manual retry, a duplicate flush) is merged with what is stored.
    const stored: DeliveryRecord[] = [];
    for (const r of records) {
      const inserted = this.sql.exec(
        `INSERT INTO deliveries (id, event_id, status, created_at, event_accepted_at, record) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
        r.id, r.event_id, r.status, r.created_at, r.event_accepted_at, JSON.stringify(r),
      ).rowsWritten;
      if (inserted === 0) stored.push(r);
    }
    if (stored.length > 0) this.merge(stored);
  }

  private merge(records: DeliveryRecord[]): void {
    for (const r of records) {
      const before = this.get([r.id])[0];
      if (!before) continue; // cannot happen: the insert found it
      // An older outcome arriving late (a duplicate flush) never overwrites a newer one.
      if (before.attempt_count > r.attempt_count) continue;
      const merged = { ...r, ...mergeAttempts(before.attempts, before.attempts_dropped, r.attempts), created_at: before.created_at };
      this.sql.exec("UPDATE deliveries SET status = ?, record = ? WHERE id = ?", merged.status, JSON.stringify(merged), merged.id);
    }
  }

  get(ids: string[]): DeliveryRecord[] {
    return sqlChunks(ids).flatMap((chunk) =>
      this.sql
        .exec<{ record: string }>(`SELECT record FROM deliveries WHERE id IN (${chunk.map(() => "?").join(",")})`, ...chunk)
        .toArray()
        .map((r) => JSON.parse(r.record) as DeliveryRecord),
    );
  }

  /** Newest first. */
  list(q: DeliveryListQuery): DeliveryRecord[] {
    const { where, args } = this.filters(q);
    const sql = `SELECT record FROM deliveries ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    return this.sql
      .exec<{ record: string }>(sql, ...args, q.limit)
      .toArray()
      .map((r) => JSON.parse(r.record) as DeliveryRecord);
  }

  count(q: Omit<DeliveryListQuery, "limit">): number {
    const { where, args } = this.filters(q);
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM deliveries ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`, ...args).one().n;
  }

  private filters(q: Omit<DeliveryListQuery, "limit">): { where: string[]; args: SqlStorageValue[] } {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    const statuses = q.statuses ?? (q.status ? [q.status] : undefined);
    if (q.beforeId !== undefined) (where.push("id < ?"), args.push(q.beforeId));
    if (statuses) (where.push(`status IN (${statuses.map(() => "?").join(",")})`), args.push(...statuses));
    if (q.eventId !== undefined) (where.push("event_id = ?"), args.push(q.eventId));
    if (q.acceptedFrom !== undefined) (where.push("event_accepted_at >= ?"), args.push(q.acceptedFrom));
    if (q.acceptedUntil !== undefined) (where.push("event_accepted_at <= ?"), args.push(q.acceptedUntil));
    if (q.createdFrom !== undefined) (where.push("created_at >= ?"), args.push(q.createdFrom));
    if (q.createdUntil !== undefined) (where.push("created_at < ?"), args.push(q.createdUntil));
    return { where, args };
  }

  /**
   * Endpoint stats over [from, until): deliveries created in it, by status, and every attempt started in it —
   * also of a delivery created earlier (a retry), as far as the shards visited reach.
   */
  stats(from: number, until: number): { counts: Record<string, number>; durations: number[]; attemptsOk: number; attemptsFailed: number } {
    const counts: Record<string, number> = {};
    const durations: number[] = [];
    let attemptsOk = 0;
    let attemptsFailed = 0;
    const rows = this.sql.exec<{ status: string; created_at: number; record: string }>(
      "SELECT status, created_at, record FROM deliveries WHERE created_at < ?",
      until,
    );
    for (const row of rows) {
      if (row.created_at >= from) counts[row.status] = (counts[row.status] ?? 0) + 1;
      for (const a of (JSON.parse(row.record) as DeliveryRecord).attempts as AttemptRecord[]) {
        if (a.started_at < from || a.started_at >= until) continue;
        durations.push(a.duration_ms);
        if (a.status_code !== null && a.status_code >= 200 && a.status_code < 300 && a.error === null) attemptsOk++;
        else attemptsFailed++;
      }
    }
    return { counts, durations, attemptsOk, attemptsFailed };
  }
}
