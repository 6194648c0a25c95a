import { describe, expect, it } from "vitest";
import { baseDelaySeconds, nextRetryDelaySeconds, parseRetryAfter } from "../../src/delivery/retry-policy";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../../src/domain/schemas";

const noJitter: RetryPolicy = { ...DEFAULT_RETRY_POLICY, jitter: false };

describe("retry policy", () => {
  it("the defaults wait 5 s, 30 s, 3 min, 18 min, 1.8 h, 10 h, 10 h, then stop after 8 attempts", () => {
    const waits: (number | null)[] = [];
    for (let n = 1; n <= 8; n++) waits.push(nextRetryDelaySeconds({ policy: noJitter, attemptsInRun: n, random: () => 0.5 }));
    expect(waits).toEqual([5, 30, 180, 1080, 6480, 36000, 36000, null]);
  });

  it("jitter stays within [0.8, 1.2] of the base wait", () => {
    const policy = DEFAULT_RETRY_POLICY;
    expect(nextRetryDelaySeconds({ policy, attemptsInRun: 2, random: () => 0 })).toBeCloseTo(24);
    expect(nextRetryDelaySeconds({ policy, attemptsInRun: 2, random: () => 0.999999 })).toBeCloseTo(36, 3);
    for (let i = 0; i < 200; i++) {
      const d = nextRetryDelaySeconds({ policy, attemptsInRun: 3, random: Math.random })!;
      expect(d).toBeGreaterThanOrEqual(144);
      expect(d).toBeLessThanOrEqual(216);
    }
    // Jitter never pushes a capped wait above max_delay_s.
    expect(nextRetryDelaySeconds({ policy, attemptsInRun: 7, random: () => 0.99 })).toBe(36000);
  });

  it("constant strategy waits delay_s every time", () => {
    const policy: RetryPolicy = { strategy: "constant", max_attempts: 3, delay_s: 1, max_delay_s: 100, jitter: false };
    expect(baseDelaySeconds(policy, 1)).toBe(1);
    expect(nextRetryDelaySeconds({ policy, attemptsInRun: 1, random: Math.random })).toBe(1);
    expect(nextRetryDelaySeconds({ policy, attemptsInRun: 2, random: Math.random })).toBe(1);
    expect(nextRetryDelaySeconds({ policy, attemptsInRun: 3, random: Math.random })).toBeNull();
  });

  it("Retry-After is a floor, clamped to max_delay_s", () => {
    expect(nextRetryDelaySeconds({ policy: noJitter, attemptsInRun: 1, random: Math.random, retryAfterSeconds: 120 })).toBe(120);
    expect(nextRetryDelaySeconds({ policy: noJitter, attemptsInRun: 3, random: Math.random, retryAfterSeconds: 2 })).toBe(180);
    expect(nextRetryDelaySeconds({ policy: noJitter, attemptsInRun: 1, random: Math.random, retryAfterSeconds: 999_999 })).toBe(36000);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-11-29T21:00:00Z");
    expect(parseRetryAfter("30", now)).toBe(30);
    expect(parseRetryAfter("Sun, 29 Nov 2026 21:01:00 GMT", now)).toBe(60);
    expect(parseRetryAfter("Sun, 29 Nov 2026 20:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("", now)).toBeNull();
  });
});
