import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AttemptTimeouts } from "../../src/delivery/attempt-timeouts";

describe("AttemptTimeouts (one timer for an object's attempts)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("aborts an attempt with a TimeoutError once its time is up, not before", () => {
    const timeouts = new AttemptTimeouts();
    const { signal } = timeouts.start(1_000);
    vi.advanceTimersByTime(999);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe("TimeoutError");
    expect(timeouts.size).toBe(0);
    expect(timeouts.armed).toBe(false);
  });

  it("never aborts an attempt that ended, and keeps no timer once none is in flight", () => {
    const timeouts = new AttemptTimeouts();
    const a = timeouts.start(1_000);
    const b = timeouts.start(2_000);
    a.end();
    expect(timeouts.armed).toBe(true);
    b.end();
    expect(timeouts.armed).toBe(false);
    vi.advanceTimersByTime(5_000);
    expect(a.signal.aborted).toBe(false);
    expect(b.signal.aborted).toBe(false);
  });

  it("times out each attempt at its own deadline, whatever the order they started in", () => {
    const timeouts = new AttemptTimeouts();
    const long = timeouts.start(3_000);
    vi.advanceTimersByTime(500);
    const short = timeouts.start(1_000); // due at 1,500: earlier than the armed 3,000
    const middle = timeouts.start(2_000); // due at 2,500
    vi.advanceTimersByTime(1_000);
    expect([short.signal.aborted, middle.signal.aborted, long.signal.aborted]).toEqual([true, false, false]);
    vi.advanceTimersByTime(1_000);
    expect([middle.signal.aborted, long.signal.aborted]).toEqual([true, false]);
    vi.advanceTimersByTime(500);
    expect(long.signal.aborted).toBe(true);
    expect(timeouts.armed).toBe(false);
  });

  it("keeps one timer however many attempts are in flight", () => {
    const spy = vi.spyOn(globalThis, "setTimeout");
    const timeouts = new AttemptTimeouts();
    const deadlines = Array.from({ length: 500 }, () => timeouts.start(10_000));
    expect(spy).toHaveBeenCalledTimes(1);
    for (const d of deadlines) d.end();
    spy.mockRestore();
  });
});
