// The pure limiter with an injected clock: the window property checked directly over whole start logs
// (random schedules via fast-check), sustained rate, bounded state, safe loading of old states, AIMD back-off.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  effectiveRate,
  initialState,
  LOG_CAP,
  loggedStarts,
  markWaiting,
  MIN_RATE_PER_SECOND,
  observedRate,
  onSent,
  onThrottled,
  recoversAt,
  takeToken,
  tokenReadyAt,
  type LimiterState,
  type RateLimitConfig,
  windowMs,
} from "../../src/delivery/rate-limit";

/** The most times in any half-open window [t, t + windowMs), over every window that starts at a time (the first included). */
function maxInWindow(times: number[], windowMs: number, fromIndex = 0): number {
  let best = 0;
  for (let i = fromIndex, j = fromIndex; i < times.length; i++) {
    // times ascending; [t, t + W) starting at a time holds as many as (t' − W, t'] ending at one, counted here.
    while (times[j]! <= times[i]! - windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** The window the limiter promises (configured + jitter margin), in ms. */
const guarded = (l: RateLimitConfig) => windowMs(l);

/** Stored and loaded as the EndpointDO does (JSON in its meta table), so nothing survives that JSON would drop. */
const roundTrip = (s: LimiterState): LimiterState => JSON.parse(JSON.stringify(s)) as LimiterState;

/**
 * Drains a backlog of `count` as the EndpointDO does: take; on a denial sleep the wait plus `lateness()`.
 * Every state goes through JSON between calls (each call could be a restarted object).
 */
function drain(limit: RateLimitConfig, count: number, lateness: () => number, from = 0): number[] {
  let state = initialState(limit, from);
  let now = from;
  const starts: number[] = [];
  for (let guard = 0; starts.length < count && guard < count * 10; guard++) {
    const r = takeToken(roundTrip(state), limit, now);
    state = r.state;
    if (r.ok) starts.push(now);
    else now += r.waitMs + lateness();
  }
  return starts;
}

/** Starts after the first window over the time from the end of the initial burst to the last start. */
function sustained(starts: number[], n: number): number {
  return (starts.length - n) / ((starts.at(-1)! - starts[n - 1]!) / 1000);
}

const limitArb = fc.record({
  requests: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 400 })),
  per_seconds: fc.integer({ min: 1, max: 5 }),
});

/**
 * A random caller: between calls the clock moves by a random step — sometimes exactly the wait it was told
 * (as the EndpointDO sleeps), sometimes more, less, or nothing (a burst of calls in one instant).
 */
const stepsArb = fc.array(fc.oneof(fc.constant(-1), fc.constant(0), fc.integer({ min: 0, max: 3000 }), fc.double({ min: 0, max: 50, noNaN: true })), {
  minLength: 20,
  maxLength: 600,
});

function runSchedule(limit: RateLimitConfig, steps: number[], start: number, limitAt: (i: number) => RateLimitConfig = () => limit) {
  let state = initialState(limit, start);
  let now = start;
  const starts: { at: number; step: number }[] = [];
  let lastWait = 0;
  for (let i = 0; i < steps.length; i++) {
    const r = takeToken(roundTrip(state), limitAt(i), now);
    state = r.state;
    expect(state.log.length).toBeLessThanOrEqual(LOG_CAP);
    if (r.ok) starts.push({ at: now, step: i });
    lastWait = r.ok ? 0 : r.waitMs;
    const step = steps[i]!;
    now += step === -1 ? lastWait : step;
  }
  return { starts, state };
}

describe("the window property, by construction", () => {
  it("no window of per_seconds (+ margin) holds more than `requests` starts, the first included — random limits and schedules", () => {
    fc.assert(
      fc.property(limitArb, stepsArb, fc.integer({ min: 0, max: 2e12 }), (limit, steps, start) => {
        const { starts } = runSchedule(limit, steps, start);
        const times = starts.map((s) => s.at);
        expect(maxInWindow(times, guarded(limit))).toBeLessThanOrEqual(limit.requests);
        expect(maxInWindow(times, limit.per_seconds * 1000)).toBeLessThanOrEqual(limit.requests);
      }),
      { numRuns: 300 },
    );
  });

  it("limits above LOG_CAP (the log merges entries): every window still holds at most `requests` — random dense schedules", () => {
    const bigLimit = fc.record({ requests: fc.integer({ min: LOG_CAP + 1, max: 3 * LOG_CAP }), per_seconds: fc.integer({ min: 1, max: 3 }) });
    // Dense: a few ms apart or in the same instant, and often exactly the wait (as the EndpointDO sleeps).
    const dense = fc.array(fc.oneof(fc.constant(-1), fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.double({ min: 0, max: 2, noNaN: true })), {
      minLength: 500,
      maxLength: 2500,
    });
    fc.assert(
      fc.property(bigLimit, dense, fc.integer({ min: 0, max: 2e12 }), (limit, steps, start) => {
        const { starts, state } = runSchedule(limit, steps, start);
        expect(state.log.length).toBeLessThanOrEqual(LOG_CAP);
        expect(maxInWindow(starts.map((s) => s.at), guarded(limit))).toBeLessThanOrEqual(limit.requests);
      }),
      // No shrinking: a counterexample of thousands of steps would take minutes to shrink.
      { numRuns: 60, endOnFailure: true },
    );
  });

  it("a limit changed mid-schedule holds for every window that starts after the change", () => {
    fc.assert(
      fc.property(limitArb, limitArb, stepsArb, fc.nat(), (before, after, steps, cutSeed) => {
        const cut = cutSeed % steps.length;
        const { starts } = runSchedule(before, steps, 0, (i) => (i < cut ? before : after));
        const times = starts.map((s) => s.at);
        const first = starts.findIndex((s) => s.step >= cut);
        if (first > 0) expect(maxInWindow(times.slice(0, first), guarded(before))).toBeLessThanOrEqual(before.requests);
        if (first >= 0) expect(maxInWindow(times, guarded(after), first)).toBeLessThanOrEqual(after.requests);
      }),
      { numRuns: 200 },
    );
  });

  it("with sends later than decisions (onSent), the window holds for sends — random limits, schedules and send delays", () => {
    fc.assert(
      fc.property(limitArb, stepsArb, fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 50 }), (limit, steps, sendDelays) => {
        // Delays stay under half the window: the object sends within milliseconds of deciding.
        const delayOf = (i: number) => sendDelays[i % sendDelays.length]! % Math.floor(windowMs(limit) / 2);
        let state = initialState(limit, 0);
        let now = 0;
        let lastWait = 0;
        const pending: { decided: number; sent: number }[] = [];
        const sends: number[] = [];
        for (let i = 0; i < steps.length; i++) {
          // The object's clock: every send due by now has happened (and been restamped) before it decides again.
          pending.sort((a, b) => a.sent - b.sent);
          while (pending.length > 0 && pending[0]!.sent <= now) {
            const p = pending.shift()!;
            state = onSent(roundTrip(state), limit, p.decided, p.sent);
            sends.push(p.sent);
          }
          const r = takeToken(roundTrip(state), limit, now);
          state = r.state;
          if (r.ok) pending.push({ decided: now, sent: now + delayOf(i) });
          lastWait = r.ok ? 0 : r.waitMs;
          const step = steps[i]!;
          now += step === -1 ? lastWait : step;
        }
        sends.push(...pending.map((p) => p.sent));
        sends.sort((a, b) => a - b);
        expect(maxInWindow(sends, guarded(limit))).toBeLessThanOrEqual(limit.requests);
        expect(state.log.length).toBeLessThanOrEqual(LOG_CAP);
      }),
      { numRuns: 300 },
    );
  });

  it("a backlog goes out as fast as the rule allows: the first `requests` at once, the next one window after the first", () => {
    const l = { requests: 5, per_seconds: 1 };
    const starts = drain(l, 11, () => 0);
    expect(starts.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(starts.slice(5, 10)).toEqual(Array(5).fill(1020));
    expect(starts[10]).toBe(2040);
  });

  it("a late start delays only what it must: the rule is judged against actual starts, nothing is banked or owed", () => {
    const l = { requests: 2, per_seconds: 1 };
    let state = initialState(l, 0);
    state = (takeToken(state, l, 0) as { state: LimiterState }).state;
    // The second start comes 600 ms late.
    state = (takeToken(state, l, 600) as { state: LimiterState }).state;
    const third = takeToken(state, l, 600);
    expect(third).toMatchObject({ ok: false, waitMs: 420 }); // 0 + 1020
    expect(tokenReadyAt(state, l, 1000)).toBe(1020);
    expect(tokenReadyAt(state, l, 1020)).toBe(1020);
    state = (takeToken(state, l, 1020) as { state: LimiterState }).state;
    expect(tokenReadyAt(state, l, 1020)).toBe(1620); // 600 + 1020
  });

  it("waiting for a connection (markWaiting) changes nothing: there is no bucket to stop filling", () => {
    const l = { requests: 3, per_seconds: 1 };
    const state = (takeToken(initialState(l, 0), l, 0) as { state: LimiterState }).state;
    expect(markWaiting(state, l, 500)).toEqual(state);
  });

  it("an unlimited endpoint always gets a start and keeps one start time at most", () => {
    let state = initialState(null, 0);
    for (let i = 0; i < 1000; i++) {
      const r = takeToken(state, null, i);
      expect(r.ok).toBe(true);
      state = r.state;
    }
    expect(loggedStarts(state)).toEqual([999]);
  });
});

describe("sustained rate and stored size", () => {
  // Wake-ups 0–6 ms late, as the EndpointDO's timers are on a busy machine.
  for (const n of [1, 5, 20, 100, 1000]) {
    it(`${n}/s over a long backlog: at least 97% of the limit, never above it, the state bounded`, () => {
      const l = { requests: n, per_seconds: 1 };
      let seed = n;
      const lateness = () => ((seed = (seed * 16807) % 2147483647) % 7);
      const starts = drain(l, n * 60 + n, lateness);
      const rate = sustained(starts, n);
      expect(rate).toBeGreaterThanOrEqual(0.97 * n);
      expect(rate).toBeLessThanOrEqual(n);
      expect(maxInWindow(starts, guarded(l))).toBeLessThanOrEqual(n);
    });
  }

  it("large limits keep at most LOG_CAP entries (about 1.5 kB stored) and still hold every window", () => {
    for (const n of [200, 1000, 100_000]) {
      const l = { requests: n, per_seconds: 1 };
      let state = initialState(l, 1_733_000_000_000);
      let now = 1_733_000_000_000;
      const starts: number[] = [];
      // One start a millisecond when allowed, as a busy EndpointDO with a few connections manages.
      for (let i = 0; i < 20_000; i++) {
        const r = takeToken(state, l, now);
        state = r.state;
        if (r.ok) starts.push(now);
        now += r.ok ? 1 : r.waitMs;
      }
      expect(state.log.length).toBeLessThanOrEqual(LOG_CAP);
      expect(JSON.stringify(state).length).toBeLessThan(2_000);
      expect(maxInWindow(starts, guarded(l))).toBeLessThanOrEqual(n);
      // Merging costs little here: starts one a millisecond.
      if (n === 1000) expect(sustained(starts, n)).toBeGreaterThanOrEqual(0.96 * n);
    }
  });
});

describe("restarts and stored states", () => {
  it("a restarted object (state loaded from JSON) continues the same log: no fresh burst", () => {
    const l = { requests: 3, per_seconds: 10 };
    let state = initialState(l, 0);
    for (let t = 0; t < 3; t++) state = takeToken(state, l, t * 100).state;
    const reloaded = roundTrip(state);
    expect(takeToken(reloaded, l, 5000)).toMatchObject({ ok: false, waitMs: 10_200 - 5000 });
  });

  it("the token bucket's old state loads conservatively: the window before its last use counts as full", () => {
    const l = { requests: 5, per_seconds: 1 };
    const v1 = { tokens: 4.2, updatedAt: 10_000, holdCap: null, backoff: null } as unknown as LimiterState;
    expect(tokenReadyAt(v1, l, 10_500)).toBe(11_020);
    const r = takeToken(v1, l, 11_020);
    expect(r.ok).toBe(true);
    // Long unused: nothing to wait for.
    expect(tokenReadyAt(v1, l, 60_000)).toBe(60_000);
    // Its back-off is kept.
    const throttled = { tokens: 0, updatedAt: 10_000, holdCap: 1, backoff: { rate: 2, at: 9_000, ceiling: 5 } } as unknown as LimiterState;
    expect(effectiveRate(throttled, l, 9_000)).toBe(2);
    const first = takeToken(throttled, l, 11_020);
    expect(first.ok).toBe(true);
    expect(tokenReadyAt(first.state, l, 11_020)).toBeGreaterThan(11_020 + 400); // about 1/2.17 s: no burst
  });

  it("an unreadable state is taken as a full window ending now", () => {
    const l = { requests: 5, per_seconds: 2 };
    for (const bad of [{}, { v: 2, base: 0, starts: [3, 1], notBefore: 0, backoff: null }, { v: 2, base: "x" }, null, 7]) {
      expect(tokenReadyAt(bad as unknown as LimiterState, l, 1000)).toBe(1000 + guarded(l));
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
    // No burst while throttled: one interval at the reduced rate after the 429, then one per interval.
    const first = takeToken(state, limit, 1000);
    expect(first).toMatchObject({ ok: false, waitMs: 200 });
    const sent = takeToken(state, limit, 1200);
    expect(sent.ok).toBe(true);
    expect(takeToken(sent.state, limit, 1200).ok).toBe(false);
    // Once healed the back-off is dropped and the full burst is back after an idle window.
    const healed = takeToken(sent.state, limit, 40_000);
    expect(healed.ok).toBe(true);
    expect(healed.state.backoff).toBeNull();
  });

  it("while backing off, starts are spaced by the current (recovering) rate and the window rule still holds", () => {
    let state = onThrottled(initialState(limit, 0), limit, 0, 0, 0);
    let now = 0;
    const starts: number[] = [];
    for (let guard = 0; now < 40_000 && guard < 10_000; guard++) {
      const r = takeToken(state, limit, now);
      state = r.state;
      if (r.ok) starts.push(now);
      else now += r.waitMs;
    }
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // Never closer than the configured spacing, and the early ones about 1/5 s apart.
    expect(gaps.slice(0, 3).every((g) => g >= 190)).toBe(true);
    expect(maxInWindow(starts, guarded(limit))).toBeLessThanOrEqual(10);
    expect(starts.filter((t) => t < 10_000).length).toBeLessThan(70);
  });

  it("halves once per round trip: a 429 to a request sent before the last halving changes nothing", () => {
    let state = onThrottled(initialState(limit, 0), limit, 1000, 990, 0);
    const again = onThrottled(state, limit, 1005, 995, 0);
    expect(again).toBe(state);
    state = onThrottled(state, limit, 1300, 1100, 0);
    expect(effectiveRate(state, limit, 1300)).toBeCloseTo((5 + (0.3 * 10) / 60) / 2);
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
    expect(takeToken(state, null, 2000).ok).toBe(false);
    expect(recoversAt(state, null)).toBe(32_000);
    expect(effectiveRate(state, null, 32_000)).toBeNull();
    const after = takeToken(state, null, 32_000);
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
