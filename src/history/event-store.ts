// Events in one log shard (owner × day): one row per event, written once by the fanout consumer (or first by
// accept() for a payload too large for a queue message, then completed with its routing). No secondary index:
// every index entry is a billed row per event, and a list scans one bounded shard by its primary key.
import { sqlChunks, type EventRecord, type EventSummaryRecord } from "./records";

export const EVENTS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, event_type TEXT NOT NULL, payload TEXT NOT NULL, payload_size INTEGER NOT NULL,
    source_id TEXT, idempotency_key TEXT, accepted_at INTEGER NOT NULL, endpoints TEXT, filtered_out INTEGER NOT NULL,
    owner_id TEXT NOT NULL) WITHOUT ROWID;
`;

/** A stored row: the record with its routing as JSON text. */
type EventRow = Omit<EventRecord, "endpoints"> & { endpoints: string | null };

function toRecord(row: EventRow): EventRecord {
  return { ...row, endpoints: row.endpoints === null ? null : (JSON.parse(row.endpoints) as string[]) };
}

export interface EventListQuery {
  beforeId?: string;
  eventType?: string;
  acceptedFrom?: number;
  acceptedBefore?: number;
  limit: number;
}

export class EventStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(EVENTS_SCHEMA);
  }

  /**
   * Stores routed events. Returns the ids that were already routed before this call (a redelivered queue
   * message, or a consumer run that died after this write): their deliveries may exist already.
   * An event stored unrouted (large payload) gets its routing now; a routed one keeps what it has.
   */
  putRouted(events: EventRecord[]): string[] {
    const seen: string[] = [];
    for (const e of events) {
      const existing = this.sql.exec<{ endpoints: string | null }>("SELECT endpoints FROM events WHERE id = ?", e.id).toArray()[0];
      if (existing?.endpoints != null) {
        seen.push(e.id);
        continue;
      }
      this.sql.exec(
        `INSERT INTO events (id, event_type, payload, payload_size, source_id, idempotency_key, accepted_at, endpoints, filtered_out, owner_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET endpoints = excluded.endpoints, filtered_out = excluded.filtered_out`,
        e.id, e.event_type, e.payload, e.payload_size, e.source_id, e.idempotency_key, e.accepted_at,
        JSON.stringify(e.endpoints ?? []), e.filtered_out, e.owner_id,
      );
    }
    return seen;
  }

  /** Endpoints a replay routes the event to that it did not reach before: added to its routing (union). */
  addEndpoints(id: string, endpointIds: string[]): void {
    const row = this.sql.exec<{ endpoints: string | null }>("SELECT endpoints FROM events WHERE id = ?", id).toArray()[0];
    if (!row) return;
    const current = row.endpoints === null ? [] : (JSON.parse(row.endpoints) as string[]);
    const merged = [...new Set([...current, ...endpointIds])];
    if (merged.length !== current.length) this.sql.exec("UPDATE events SET endpoints = ? WHERE id = ?", JSON.stringify(merged), id);
  }

  /** A payload too large for a queue message, stored before its event is queued (routing comes later). */
  putUnrouted(e: EventRecord): void {
    this.sql.exec(
      `INSERT OR IGNORE INTO events (id, event_type, payload, payload_size, source_id, idempotency_key, accepted_at, endpoints, filtered_out, owner_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0, ?)`,
      e.id, e.event_type, e.payload, e.payload_size, e.source_id, e.idempotency_key, e.accepted_at, e.owner_id,
    );
  }

  get(ids: string[]): EventRecord[] {
    return sqlChunks(ids).flatMap((chunk) =>
      this.sql
        .exec<EventRow & Record<string, SqlStorageValue>>(`SELECT * FROM events WHERE id IN (${chunk.map(() => "?").join(",")})`, ...chunk)
        .toArray()
        .map(toRecord),
    );
  }

  /** Newest first, payloads left out. */
  list(q: EventListQuery): EventSummaryRecord[] {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (q.beforeId !== undefined) (where.push("id < ?"), args.push(q.beforeId));
    if (q.eventType !== undefined) (where.push("event_type = ?"), args.push(q.eventType));
    if (q.acceptedFrom !== undefined) (where.push("accepted_at > ?"), args.push(q.acceptedFrom));
    if (q.acceptedBefore !== undefined) (where.push("accepted_at < ?"), args.push(q.acceptedBefore));
    const sql = `SELECT id, event_type, payload_size, source_id, idempotency_key, accepted_at, endpoints, filtered_out, owner_id
      FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    return this.sql
      .exec<Omit<EventRow, "payload"> & Record<string, SqlStorageValue>>(sql, ...args, q.limit)
      .toArray()
      .map((row) => ({ ...(row as Omit<EventRow, "payload">), endpoints: row.endpoints === null ? null : (JSON.parse(row.endpoints as string) as string[]) }));
  }
}
