// Turns an in-flight row and its attempts into the record history keeps, and in-flight rows into the
// API's view of deliveries that are still moving (pending, retrying) or waiting to be logged (held).
import type { AttemptRecord, DeliveryRecord, DeliveryStatus } from "../history/records";
import type { AttemptResult } from "./classify";
import type { WorkSummary } from "./endpoint-store";

export function attemptRecord(id: string, attempt: number, result: AttemptResult): AttemptRecord {
  return {
    id,
    attempt,
    started_at: result.startedAt,
    duration_ms: result.durationMs,
    status_code: result.statusCode,
    error: result.error,
    response_body: result.responseBody,
  };
}

export function attemptLogOf(row: Pick<WorkSummary, "attempt_log">): AttemptRecord[] {
  return JSON.parse(row.attempt_log) as AttemptRecord[];
}

/** The fields of a record that come from the row and its attempts, before its outcome is known. */
function base(
  row: WorkSummary,
  endpointId: string,
  attempts: AttemptRecord[] = attemptLogOf(row),
): Omit<DeliveryRecord, "status" | "completed_at" | "updated_at" | "next_attempt_at"> {
  const last = attempts[attempts.length - 1];
  return {
    id: row.delivery_id,
    event_id: row.event_id,
    endpoint_id: endpointId,
    owner_id: row.owner_id,
    event_type: row.event_type,
    attempt_count: row.attempts,
    attempts_in_run: row.attempts_in_run,
    last_status_code: last?.status_code ?? null,
    last_error: last?.error ?? null,
    last_duration_ms: last?.duration_ms ?? null,
    event_accepted_at: row.accepted_at,
    created_at: row.created_at,
    attempts,
    attempts_dropped: 0,
  };
}

/** The final record of a delivery: succeeded or failed after `attempt`, or held/failed without one. */
export function finalRecord(
  row: WorkSummary,
  endpointId: string,
  status: Exclude<DeliveryStatus, "pending" | "retrying">,
  now: number,
  opts: { attempt?: AttemptRecord; error?: string | null } = {},
): DeliveryRecord {
  // Once per finished delivery (the hot path): the row's log is parsed once and the record built on it.
  const logged = attemptLogOf(row);
  const record = base(row, endpointId, opts.attempt ? [...logged, opts.attempt] : logged);
  if (opts.attempt) {
    record.attempt_count = opts.attempt.attempt;
    record.attempts_in_run = row.attempts_in_run + 1;
  }
  if (opts.error !== undefined) record.last_error = opts.error;
  return { ...record, status, next_attempt_at: null, updated_at: now, completed_at: status === "held" ? null : now };
}

/** How an in-flight row looks in the API: pending until its first attempt, retrying while one is scheduled. */
export function inFlightRecord(row: WorkSummary, endpointId: string): DeliveryRecord {
  const status: DeliveryStatus = row.state === "held" ? "held" : row.attempts_in_run > 0 ? "retrying" : "pending";
  return { ...base(row, endpointId), status, next_attempt_at: row.state === "held" ? null : row.due_at, updated_at: row.created_at, completed_at: null };
}
