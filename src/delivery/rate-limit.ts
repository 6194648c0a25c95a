// A pure, clock-injected token bucket: burst = `requests`, refilled at requests/per_seconds per second.
// Running out of tokens means "wait", never a failed attempt.

export interface RateLimitConfig {
  requests: number;
  per_seconds: number;
}

export interface BucketState {
  tokens: number;
  /** Epoch ms of the last refill. */
  updatedAt: number;
}

export function fullBucket(limit: RateLimitConfig, nowMs: number): BucketState {
  return { tokens: limit.requests, updatedAt: nowMs };
}

export function refill(state: BucketState, limit: RateLimitConfig, nowMs: number): BucketState {
  const elapsed = Math.max(0, nowMs - state.updatedAt);
  const rate = limit.requests / (limit.per_seconds * 1000);
  return { tokens: Math.min(limit.requests, state.tokens + elapsed * rate), updatedAt: Math.max(nowMs, state.updatedAt) };
}

export type TakeResult = { ok: true; state: BucketState } | { ok: false; state: BucketState; waitMs: number };

/** Takes one token if there is one; otherwise says how long until there will be. */
export function takeToken(state: BucketState, limit: RateLimitConfig, nowMs: number): TakeResult {
  const current = refill(state, limit, nowMs);
  if (current.tokens >= 1) return { ok: true, state: { ...current, tokens: current.tokens - 1 } };
  const rate = limit.requests / (limit.per_seconds * 1000);
  return { ok: false, state: current, waitMs: Math.ceil((1 - current.tokens) / rate) };
}
