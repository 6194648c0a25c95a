// The shapes history keeps: an event as accepted (with where it was routed) and a finished delivery with its
// attempts inline. Shared by the log shards that store them, the writers and the API that reads them.

export interface EventRecord {
  id: string;
  owner_id: string;
  event_type: string;
  /** The payload exactly as serialized at acceptance. */
  payload: string;
  payload_size: number;
  source_id: string | null;
  idempotency_key: string | null;
  accepted_at: number;
  /** Endpoints the fanout routed it to; null until the fanout consumer has seen it (large payloads stored first). */
  endpoints: string[] | null;
  /** Subscriptions that matched its type but not their filter. */
  filtered_out: number;
}

export type EventSummaryRecord = Omit<EventRecord, "payload">;

export type DeliveryStatus = "pending" | "retrying" | "succeeded" | "failed" | "held";

export interface AttemptRecord {
  id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
}

export interface DeliveryRecord {
  id: string;
  event_id: string;
  endpoint_id: string;
  owner_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempt_count: number;
  attempts_in_run: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  event_accepted_at: number;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  /** The latest MAX_ATTEMPTS_KEPT attempts, oldest first. */
  attempts: AttemptRecord[];
  /** Attempts dropped from `attempts` (oldest first) to keep a record bounded. */
  attempts_dropped: number;
}

/** Attempts kept inline per delivery: the default policy makes 8; manual retries add more. */
export const MAX_ATTEMPTS_KEPT = 25;

/** Appends attempts (by attempt number, no duplicates), keeping the newest MAX_ATTEMPTS_KEPT. */
export function mergeAttempts(
  kept: AttemptRecord[],
  dropped: number,
  added: AttemptRecord[],
): { attempts: AttemptRecord[]; attempts_dropped: number } {
  const byNumber = new Map<number, AttemptRecord>();
  for (const a of [...kept, ...added]) byNumber.set(a.attempt, a);
  const all = [...byNumber.values()].sort((a, b) => a.attempt - b.attempt);
  const over = Math.max(0, all.length - MAX_ATTEMPTS_KEPT);
  return { attempts: all.slice(over), attempts_dropped: dropped + over };
}

/** A Durable Object's SQLite binds at most 100 parameters per statement: id lists go in chunks of this many. */
export const SQL_IDS_PER_STATEMENT = 90;

export function sqlChunks<T>(ids: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < ids.length; i += SQL_IDS_PER_STATEMENT) out.push(ids.slice(i, i + SQL_IDS_PER_STATEMENT));
  return out;
}
