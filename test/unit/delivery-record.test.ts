import { describe, expect, it } from "vitest";
import { finalRecord, inFlightRecord } from "../../src/delivery/delivery-record";
import type { WorkSummary } from "../../src/delivery/endpoint-store";
import type { AttemptRecord } from "../../src/history/records";

const attempt = (n: number, status: number | null, error: string | null = null): AttemptRecord => ({
  id: `att_${String(n).padStart(26, "0")}`, attempt: n, started_at: 1_000 * n, duration_ms: 10 + n, status_code: status, error, response_body: "",
});

const row = (log: AttemptRecord[], fields: Partial<WorkSummary> = {}): WorkSummary => ({
  delivery_id: "dlv_1", seq: 1, event_id: "evt_1", owner_id: "o", event_type: "t", accepted_at: 5, due_at: 9_000,
  attempts: log.at(-1)?.attempt ?? 0, attempts_in_run: log.length, state: "queued", created_at: 50,
  attempt_log: JSON.stringify(log), ...fields,
});

describe("delivery records", () => {
  it("a finished attempt is appended to the row's log and becomes the record's last outcome", () => {
    const r = row([attempt(1, 500), attempt(2, null, "timeout")]);
    const record = finalRecord(r, "ep_1", "succeeded", 7_000, { attempt: attempt(3, 200) });
    expect(record.attempts.map((a) => [a.attempt, a.status_code, a.error])).toEqual([[1, 500, null], [2, null, "timeout"], [3, 200, null]]);
    expect(record).toMatchObject({
      id: "dlv_1", event_id: "evt_1", endpoint_id: "ep_1", status: "succeeded", attempt_count: 3, attempts_in_run: 3,
      last_status_code: 200, last_error: null, last_duration_ms: 13, event_accepted_at: 5, created_at: 50,
      updated_at: 7_000, completed_at: 7_000, next_attempt_at: null, attempts_dropped: 0,
    });
    // The row itself is left as it was (its log is what history has not seen yet).
    expect(JSON.parse(r.attempt_log)).toHaveLength(2);
  });

  it("without an attempt (held, or failed because the endpoint went away) the record keeps the row's log", () => {
    const held = finalRecord(row([attempt(1, 503)]), "ep_1", "held", 8_000);
    expect(held).toMatchObject({ status: "held", attempt_count: 1, attempts_in_run: 1, last_status_code: 503, completed_at: null, updated_at: 8_000 });
    const failed = finalRecord(row([]), "ep_1", "failed", 8_000, { error: "endpoint deleted" });
    expect(failed).toMatchObject({ status: "failed", attempts: [], attempt_count: 0, last_status_code: null, last_error: "endpoint deleted", completed_at: 8_000 });
  });

  it("an in-flight row reads as pending before its first attempt and retrying after one", () => {
    expect(inFlightRecord(row([]), "ep_1")).toMatchObject({ status: "pending", next_attempt_at: 9_000, attempts: [] });
    expect(inFlightRecord(row([attempt(1, 500)]), "ep_1")).toMatchObject({ status: "retrying", last_status_code: 500, attempt_count: 1 });
    expect(inFlightRecord(row([], { state: "held" }), "ep_1")).toMatchObject({ status: "held", next_attempt_at: null });
  });
});
