// Which packed messages an invocation defers to stay within its fanout budget.
import { describe, expect, it } from "vitest";
import { overBudget } from "../../src/fanout/defer";

const ev = (message: number, ...endpoints: string[]) => ({ message, targets: endpoints.map((endpointId) => ({ endpointId })) });
const limits = { maxEndpoints: 3, maxDeliveries: 4, sliceSize: 100 };

describe("overBudget", () => {
  it("keeps packed messages in order while they fit, defers the rest, and skips a deferred one for a later fit", () => {
    const events = [ev(0, "a"), ev(0, "a"), ev(1, "a", "b"), ev(1, "a"), ev(2, "b")];
    // 0 brings 2 deliveries; 1 would make 5 > 4; 2 makes 3: kept.
    expect([...overBudget(events, new Set([0, 1, 2]), limits)]).toEqual([1]);
  });

  it("counts distinct endpoints against the endpoint budget", () => {
    const events = [ev(0, "a", "b"), ev(1, "c", "d"), ev(2, "a")];
    expect([...overBudget(events, new Set([0, 1, 2]), { ...limits, maxDeliveries: 100 })]).toEqual([1]);
  });

  it("never defers the first planned message, nor single-event messages (those are sliced as before)", () => {
    const big = [ev(0, "a", "b", "c", "d", "e"), ev(1, "a", "b", "c", "d", "e")];
    expect([...overBudget(big, new Set([0, 1]), limits)]).toEqual([1]);
    expect([...overBudget(big, new Set([0]), limits)]).toEqual([]);
    expect([...overBudget([ev(3, "a", "b", "c", "d", "e")], new Set([3]), limits)]).toEqual([]);
  });
});
