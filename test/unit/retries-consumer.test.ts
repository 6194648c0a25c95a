import { describe, expect, it } from "vitest";
import { isRetryMessage, planRetry } from "../../src/delivery/retries-consumer";

const msg = (due_at: number) => ({ kind: "retry" as const, delivery_id: "dlv_x", endpoint_id: "ep_x", due_at, attempts: 2 });

describe("planRetry", () => {
  it("delivers when due (within 1 s) and waits for the remaining delay otherwise", () => {
    expect(planRetry(msg(1000), 1000)).toEqual({ action: "deliver" });
    expect(planRetry(msg(1900), 1000)).toEqual({ action: "deliver" });
    expect(planRetry(msg(500), 1000)).toEqual({ action: "deliver" });
    expect(planRetry(msg(31_000), 1000)).toEqual({ action: "wait", delaySeconds: 30 });
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
    expect(hops).toEqual([43_200, 43_200, 43_200]);
    expect(planRetry(msg(due), t)).toEqual({ action: "deliver" });
  });

  it("recognises only well-formed retry messages", () => {
    expect(isRetryMessage(msg(1))).toBe(true);
    expect(isRetryMessage({ kind: "retry", delivery_id: "d" })).toBe(false);
    expect(isRetryMessage({ ...msg(1), due_at: "soon" })).toBe(false);
    expect(isRetryMessage(null)).toBe(false);
  });
});
