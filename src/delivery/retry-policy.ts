// Pure backoff: when the next attempt of a failed delivery is due, or null when the policy is exhausted.
// Randomness and time are injected so tests are exact.
import type { RetryPolicy } from "../domain/schemas";

export interface RetryDecisionInput {
  policy: RetryPolicy;
  /** Attempts made in the current run of the policy, the one that just failed included (1-based). */
  attemptsInRun: number;
  /** A number in [0, 1): Math.random in production. */
  random: () => number;
  /** Seconds the endpoint asked us to wait (Retry-After), if it did. */
  retryAfterSeconds?: number | null;
}

/** The wait before the attempt after the `n`th one (n ≥ 1), without jitter or Retry-After. */
export function baseDelaySeconds(policy: RetryPolicy, n: number): number {
  if (policy.strategy === "constant") return Math.min(policy.delay_s, policy.max_delay_s);
  return Math.min(policy.base_delay_s * policy.multiplier ** (n - 1), policy.max_delay_s);
}

/**
 * Seconds to wait before the next attempt, or null when max_attempts (counted within the run) is reached.
 * Jitter multiplies by a factor in [0.8, 1.2]; Retry-After is a floor; the result never exceeds max_delay_s.
 */
export function nextRetryDelaySeconds(input: RetryDecisionInput): number | null {
  const { policy, attemptsInRun } = input;
  if (attemptsInRun >= policy.max_attempts) return null;
  let delay = baseDelaySeconds(policy, Math.max(1, attemptsInRun));
  if (policy.jitter) delay *= 0.8 + 0.4 * input.random();
  if (input.retryAfterSeconds != null && input.retryAfterSeconds > delay) delay = input.retryAfterSeconds;
  return Math.max(0, Math.min(delay, policy.max_delay_s));
}

/**
 * Parses a Retry-After header: delta-seconds or an HTTP date. Returns seconds from `nowMs` (≥ 0), or null
 * when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (trimmed === "") return null;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}
