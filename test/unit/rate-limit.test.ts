// The pure limiter with a frozen clock: burst, refill, no banking while work waits, AIMD back-off.
import { describe, expect, it } from "vitest";
import {
  BANKABLE_SHARE_OF_MARGIN,
  effectiveRate,
  initialState,
  markWaiting,
  MIN_RATE_PER_SECOND,
  observedRate,
  onThrottled,
  PACING_MARGIN,
  recoversAt,
  takeToken,
  tokenReadyAt,
  type LimiterState,
  type RateLimitConfig,
} from "../../src/delivery/rate-limit";

function take(state: LimiterState, limit: RateLimitConfig | null, now: number) {
  return takeToken(state, limit, now);
}

/** A seeded PRNG so the simulation is the same on every run. */
function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Drains `count` items as the EndpointDO does: take; on a denial sleep the wait plus some lateness. */
function simulateBacklog(limit: RateLimitConfig, count: number, lateness: () => number): number[] {
  let state = initialState(limit, 0);
  let now = 0;
  const sends: number[] = [];
  for (let guard = 0; sends.length < count && guard < count * 10; guard++) {
    const r = take(state, limit, now);
    state = r.state;
    if (r.ok) sends.push(now);
    else now += r.waitMs + lateness();
  }
  return sends;
}

/** The most sends in any half-open window [t, t + windowMs) starting at a send at or after `from`. */
function maxInWindow(times: number[], windowMs: number, fromIndex = 0): number {
  let best = 0;
  for (let i = fromIndex; i < times.length; i++) {
    let n = 0;
    for (let j = i; j < times.length && times[j]! < times[i]! + windowMs; j++) n++;
    best = Math.max(best, n);
  }
  return best;
}

describe("token bucket", () => {
  const limit = { requests: 3, per_seconds: 1 };

  it("allows a burst of `requests`, then says how long to wait, then refills (3% slower than configured)", () => {
    let state = initialState(limit, 0);
    for (let i = 0; i < 3; i++) {
      const r = take(state, limit, 0);
      expect(r.ok).toBe(true);
      state = r.state;
    }
    const denied = take(state, limit, 0);
    expect(denied.ok).toBe(false);
    const interval = Math.ceil(1000 / 3 / (1 - PACING_MARGIN)); // 344 ms
    if (!denied.ok) expect(denied.waitMs).toBe(interval);
    expect(take(denied.state, limit, interval - 5).ok).toBe(false);
    expect(take(denied.state, limit, interval).ok).toBe(true);
    expect(tokenReadyAt(denied.state, limit, 100)).toBe(interval);
  });

  it("never holds more than the burst after an idle hour", () => {
    const l = { requests: 2, per_seconds: 10 };
    let state = take(initialState(l, 0), l, 0).state;
    let r = take(state, l, 3_600_000);
    expect(r.ok).toBe(true);
    r = take(r.state, l, 3_600_000);
    expect(r.ok).toBe(true);
    expect(take(r.state, l, 3_600_000).ok).toBe(false);
  });

  it("does not bank the time work spent waiting: a late send does not let the next one come early", () => {
    const l = { requests: 1, per_seconds: 1 };
    let state = take(initialState(l, 0), l, 0).state;
    const denied = take(state, l, 10);
    expect(denied.ok).toBe(false);
    // The wake-up comes 600 ms late: that send goes, and the next waits a whole interval, not 400 ms.
    const late = take(denied.state, l, 1030 + 600);
    expect(late.ok).toBe(true);
    state = late.state;
    const next = take(state, l, 1630);
    expect(next.ok).toBe(false);
    if (!next.ok) expect(next.waitMs).toBe(Math.ceil(1000 / (1 - PACING_MARGIN)));
  });

  it("with a burst above 1, only a sliver of lateness (a quarter of the pacing margin) is made up", () => {
    const l = { requests: 5, per_seconds: 1 };
    let state = initialState(l, 0);
    for (let i = 0; i < 5; i++) state = take(state, l, 0).state;
    const denied = take(state, l, 0);
    expect(denied.ok).toBe(false);
    const late = take(denied.state, l, 2000);
    expect(late.ok).toBe(true);
    const next = take(late.state, l, 2000);
    expect(next.ok).toBe(false);
    const interval = 200 / (1 - PACING_MARGIN);
    const sliver = PACING_MARGIN * BANKABLE_SHARE_OF_MARGIN * 5; // 0.0375 tokens ≈ 8 ms at this rate
    if (!next.ok) expect(next.waitMs).toBe(Math.ceil(interval * (1 - sliver)));
    if (!next.ok) expect(next.waitMs).toBeGreaterThanOrEqual(199);
  });

  it("waiting for a connection keeps the rest of a burst but stops adding to it", () => {
    const l = { requests: 5, per_seconds: 1 };
    let state = initialState(l, 0);
    state = take(state, l, 0).state;
    state = take(state, l, 0).state; // 3 left
    state = markWaiting(state, l, 0);
    // Two seconds of waiting for a free connection later: still 3, not 5.
    for (let i = 0; i < 3; i++) {
      const r = take(state, l, 2000);
      expect(r.ok).toBe(true);
      state = r.state;
    }
    expect(take(state, l, 2000).ok).toBe(false);
  });

  it("a smaller limit takes effect on the next take and cuts a fuller bucket down", () => {
    const big = { requests: 100, per_seconds: 1 };
    const small = { requests: 2, per_seconds: 1 };
    let state = initialState(big, 0);
    let r = take(state, small, 0);
    expect(r.ok).toBe(true);
    r = take(r.state, small, 0);
    expect(r.ok).toBe(true);
    expect(take(r.state, small, 0).ok).toBe(false);
    // And a larger limit refills at the new rate from the last update.
    state = take(r.state, small, 0).state;
    expect(tokenReadyAt(state, { requests: 1000, per_seconds: 1 }, 0)).toBeLessThanOrEqual(2);
  });

  it("a 300-item backlog at 5/s: no 1-second window over 5 after the burst, even with up to 50 ms of lateness", () => {
    const l = { requests: 5, per_seconds: 1 };
    const rand = mulberry32(7);
    const sends = simulateBacklog(l, 300, () => rand() * 50);
    expect(sends).toHaveLength(300);
    expect(sends.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(maxInWindow(sends, 1000, 5)).toBeLessThanOrEqual(5);
    // Counted at a receiver whose arrivals jitter by up to 15 ms: still never 6 in a window.
    const arrivals = sends.map((t) => t + rand() * 15).sort((a, b) => a - b);
    expect(maxInWindow(arrivals, 1000, 5)).toBeLessThanOrEqual(5);
  });

  it("a 300-item backlog at 5/s with 3 ms of wake-up lateness sustains at least 96% of the limit", () => {
    const l = { requests: 5, per_seconds: 1 };
    const sends = simulateBacklog(l, 300, () => 3);
    const steady = sends.slice(5);
    const rate = (steady.length - 1) / ((steady.at(-1)! - steady[0]!) / 1000);
    expect(rate).toBeGreaterThanOrEqual(0.96 * 5);
    expect(rate).toBeLessThanOrEqual(5);
  });

  it("an unlimited endpoint always gets a token", () => {
    let state = initialState(null, 0);
    for (let i = 0; i < 1000; i++) {
      const r = take(state, null, 0);
      expect(r.ok).toBe(true);
      state = r.state;
    }
  });
});

describe("adaptive back-off (429 without Retry-After)", () => {
  const limit = { requests: 10, per_seconds: 1 };

  it("halves the effective rate, allows no burst, and recovers linearly to the configured rate in 30 s", () => {
    let state = initialState(limit, 0);
    state = onThrottled(state, limit, 1000, 990, 0);
    expect(effectiveRate(state, limit, 1000)).toBe(5);
    expect(effectiveRate(state, limit, 16_000)).toBeCloseTo(7.5);
    expect(recoversAt(state, limit)).toBe(31_000);
    expect(effectiveRate(state, limit, 31_000)).toBe(10);
    // No burst while throttled: one token, then one per interval at the reduced rate.
    const first = take(state, limit, 1000);
    expect(first.ok).toBe(false);
    if (!first.ok) expect(first.waitMs).toBe(Math.ceil(1000 / 5 / (1 - PACING_MARGIN)));
    // Once healed the back-off is dropped and the full burst is back after an idle second.
    const healed = take(state, limit, 40_000);
    expect(healed.ok).toBe(true);
    expect(healed.state.backoff).toBeNull();
  });

  it("halves once per round trip: a 429 to a request sent before the last halving changes nothing", () => {
    let state = onThrottled(initialState(limit, 0), limit, 1000, 990, 0);
    const again = onThrottled(state, limit, 1005, 995, 0);
    expect(again).toBe(state);
    state = onThrottled(state, limit, 1300, 1100, 0);
    expect(effectiveRate(state, limit, 1300)).toBeCloseTo((5 + 0.3 * 10 / 60) / 2);
  });

  it("never halves below one request a minute", () => {
    let state = initialState(limit, 0);
    for (let i = 1; i <= 20; i++) state = onThrottled(state, limit, 1000 + i, 1000 + i, 0);
    expect(effectiveRate(state, limit, 1020)).toBeCloseTo(MIN_RATE_PER_SECOND, 4);
  });

  it("an unlimited endpoint starts from its observed rate and becomes unlimited again once healed", () => {
    let state = initialState(null, 0);
    const observed = observedRate([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900], 2000);
    expect(observed).toBe(10);
    state = onThrottled(state, null, 2000, 1900, observed);
    expect(effectiveRate(state, null, 2000)).toBe(5);
    expect(take(state, null, 2000).ok).toBe(false);
    expect(recoversAt(state, null)).toBe(32_000);
    expect(effectiveRate(state, null, 32_000)).toBeNull();
    const after = take(state, null, 32_000);
    expect(after.ok).toBe(true);
    expect(after.state.backoff).toBeNull();
  });

  it("observed rate: sends in the last 10 s over their span, at least 1 s", () => {
    expect(observedRate([], 5000)).toBe(1);
    expect(observedRate([4990, 4995, 5000], 5000)).toBe(3);
    // Only the last three count (the others are over 10 s old), over the 5 s since the first of them.
    expect(observedRate([0, 1000, 20_000, 22_000, 24_000], 25_000)).toBeCloseTo(0.6);
  });
});
