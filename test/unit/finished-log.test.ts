import { describe, expect, it } from "vitest";
import { FinishedLog } from "../../src/delivery/finished-log";
import type { EndpointStore } from "../../src/delivery/endpoint-store";
import type { Env } from "../../src/env";
import type { AttemptRecord, DeliveryRecord } from "../../src/history/records";

const attempt = (n: number, status: number): AttemptRecord => ({
  id: `att_${String(n).padStart(26, "0")}`, attempt: n, started_at: 1_000 * n, duration_ms: 5, status_code: status, error: null, response_body: "",
});

const outcome = (status: "succeeded" | "failed", attempts: AttemptRecord[], createdAt: number): DeliveryRecord => ({
  id: "dlv_1", event_id: "evt_1", endpoint_id: "ep_1", owner_id: "o", event_type: "t", status,
  attempt_count: attempts.at(-1)!.attempt, attempts_in_run: attempts.length, next_attempt_at: null,
  last_status_code: attempts.at(-1)!.status_code, last_error: null, last_duration_ms: 5, event_accepted_at: 1,
  created_at: createdAt, updated_at: createdAt, completed_at: createdAt, attempts, attempts_dropped: 0,
});

describe("FinishedLog", () => {
  it("an outcome that replaces a restarted delivery's waiting one keeps that one's attempts (history misses none)", () => {
    const log = new FinishedLog({} as Env, {} as EndpointStore, (fn) => fn(), () => {});
    // The first run failed; a manual retry restarted it before that outcome was written to history.
    log.add(outcome("failed", [attempt(1, 500), attempt(2, 500)], 100), 2, 1, false);
    log.restarted("dlv_1");
    // The restarted run's row knew only its own attempt.
    log.add(outcome("succeeded", [attempt(3, 200)], 500), 3, 2, true);
    const waiting = log.record("dlv_1")!;
    expect(waiting.status).toBe("succeeded");
    expect(waiting.attempts.map((a) => [a.attempt, a.status_code])).toEqual([[1, 500], [2, 500], [3, 200]]);
    expect(waiting.created_at).toBe(100);
    expect(log.size).toBe(1);
  });
});
