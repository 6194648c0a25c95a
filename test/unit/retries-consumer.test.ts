import { describe, expect, it } from "vitest";
import { retryQueueDelaySeconds } from "../../src/delivery/contracts";
import { isRetryMessage, planRetry } from "../../src/delivery/retries-consumer";

const msg = (due_at: number) => ({ kind: "retry" as const, delivery_id: "dlv_x", endpoint_id: "ep_x", due_at, attempts: 2 });

describe("planRetry", () => {
  it("delivers when due within 2 s (the object holds it until due_at) and otherwise waits, short of the batch wait", () => {
    expect(planRetry(msg(1000), 1000)).toEqual({ action: "deliver" });
    expect(planRetry(msg(2900), 1000)).toEqual({ action: "deliver" });
    expect(planRetry(msg(500), 1000)).toEqual({ action: "deliver" });
    expect(planRetry(msg(31_000), 1000)).toEqual({ action: "wait", delaySeconds: 29 });
  });

  it("takes waits longer than 12 h in several hops of at most 43,200 s", () => {
    const now = 0;
    const due = 36 * 3600 * 1000; // 36 h
    const hops: number[] = [];
    let t = now;
    for (let i = 0; i < 10; i++) {
      const plan = planRetry(msg(due), t);
      if (plan.action === "deliver") break;
      hops.push(plan.delaySeconds);
      t += plan.delaySeconds * 1000;
    }
    expect(hops).toEqual([43_200, 43_200, 43_199]);
    expect(planRetry(msg(due), t)).toEqual({ action: "deliver" });
  });

  it("sends a retry short of its due time by the consumer's batch wait, never negative, never over 12 h", () => {
    expect(retryQueueDelaySeconds(1_000, 0)).toBe(0);
    expect(retryQueueDelaySeconds(5_000, 0)).toBe(4);
    expect(retryQueueDelaySeconds(5_999, 0)).toBe(4);
    expect(retryQueueDelaySeconds(0, 10_000)).toBe(0);
    expect(retryQueueDelaySeconds(100 * 3600 * 1000, 0)).toBe(43_200);
  });

  it("recognises only well-formed retry messages", () => {
    expect(isRetryMessage(msg(1))).toBe(true);
    expect(isRetryMessage({ kind: "retry", delivery_id: "d" })).toBe(false);
    expect(isRetryMessage({ ...msg(1), due_at: "soon" })).toBe(false);
    expect(isRetryMessage(null)).toBe(false);
  });
});
