// Pure, clock-injected rate limiting for one endpoint: a token bucket (burst = `requests`) that keeps a
// backlog to at most `requests` per `per_seconds` window, and AIMD back-off on a 429 without Retry-After.
// Running out of tokens means "wait", never a failed attempt. The EndpointDO stores LimiterState as JSON.

export interface RateLimitConfig {
  requests: number;
  per_seconds: number;
}

/**
 * The bucket refills this much slower than configured. A receiver counts arrivals, not departures: without
 * a margin, a few ms of network jitter between two requests five slots apart shows it one request too many
 * in a window. 3% of the window absorbs about 25 ms of jitter (after the banked sliver below) and costs 3%
 * of throughput; at 2% a 300-event run at 5/s came within 6 ms of a sixth arrival in one window.
 */
export const PACING_MARGIN = 0.03;
/**
 * While work waits, up to this share of the pacing margin (in tokens: of the burst) may still be banked, so
 * a wake-up a few ms late is made up instead of lost; a quarter keeps three quarters of the margin for jitter.
 */
export const BANKABLE_SHARE_OF_MARGIN = 0.25;
/** After a halving, the rate climbs back by this fraction of the ceiling per second: a halving heals in 30 s. */
export const RECOVERY_PER_SECOND = 1 / 60;
/** Halving never goes below one request a minute (a rate already below that is kept). */
export const MIN_RATE_PER_SECOND = 1 / 60;
/** An unlimited endpoint's rate when throttled is measured over its sends in this window. */
export const OBSERVE_WINDOW_MS = 10_000;

/** A 429 without Retry-After: the effective rate was cut to `rate` at `at` and climbs back linearly to `ceiling`. */
export interface Backoff {
  /** Requests per second right after the last halving. */
  rate: number;
  /** Epoch ms of the last halving. */
  at: number;
  /** Requests per second to recover to when the endpoint has no rate_limit: its rate observed when first throttled. */
  ceiling: number;
}

export interface LimiterState {
  tokens: number;
  /** Epoch ms the tokens were last brought up to date. */
  updatedAt: number;
  /**
   * Set while due work waits (for a token or a free connection): the most the bucket may hold until the next
   * take. Time spent waiting is not banked, so a late send never lets the next ones bunch up — a backlog
   * drains at the steady rate, and the burst is only for work that finds the endpoint idle.
   */
  holdCap: number | null;
  backoff: Backoff | null;
}

export type TakeResult = { ok: true; state: LimiterState } | { ok: false; state: LimiterState; waitMs: number };

export function initialState(limit: RateLimitConfig | null, nowMs: number): LimiterState {
  return { tokens: limit ? limit.requests : 1, updatedAt: nowMs, holdCap: null, backoff: null };
}

/** The configured rate in requests per second, or null (unlimited). */
export function configuredRate(limit: RateLimitConfig | null): number | null {
  return limit ? limit.requests / limit.per_seconds : null;
}

/**
 * The rate the endpoint is held to now, in requests per second (null = unlimited): the configured rate, or
 * while a back-off lasts, the halved rate plus its linear recovery, never above the configured rate.
 */
export function effectiveRate(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): number | null {
  const configured = configuredRate(limit);
  const b = state.backoff;
  if (!b) return configured;
  const ceiling = configured ?? b.ceiling;
  const rate = b.rate + (Math.max(0, nowMs - b.at) / 1000) * ceiling * RECOVERY_PER_SECOND;
  if (rate >= ceiling) return configured;
  return rate;
}

/** When the back-off will have healed (epoch ms), or null when there is none. */
export function recoversAt(state: LimiterState, limit: RateLimitConfig | null): number | null {
  const b = state.backoff;
  if (!b) return null;
  const ceiling = configuredRate(limit) ?? b.ceiling;
  if (b.rate >= ceiling) return b.at;
  return b.at + Math.ceil(((ceiling - b.rate) / (ceiling * RECOVERY_PER_SECOND)) * 1000);
}

interface Shape {
  capacity: number;
  perMs: number;
}

/** The bucket in force now, or null when nothing limits the endpoint. A back-off allows no burst. */
function shape(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): Shape | null {
  const rate = effectiveRate(state, limit, nowMs);
  if (rate === null) return null;
  const capacity = state.backoff && rate < (configuredRate(limit) ?? Infinity) ? 1 : limit ? limit.requests : 1;
  return { capacity, perMs: (rate * (1 - PACING_MARGIN)) / 1000 };
}

function refill(state: LimiterState, s: Shape, nowMs: number): LimiterState {
  const elapsed = Math.max(0, nowMs - state.updatedAt);
  const ceiling = Math.min(s.capacity, state.holdCap ?? Infinity);
  // Also cuts a bucket above the ceiling down to it (a smaller limit was just configured).
  return { ...state, tokens: Math.min(ceiling, state.tokens + elapsed * s.perMs), updatedAt: Math.max(nowMs, state.updatedAt) };
}

/** Drops a back-off that has healed, so the state says plainly that none is in force. */
function settle(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): LimiterState {
  if (state.backoff && effectiveRate(state, limit, nowMs) === configuredRate(limit)) {
    const r = recoversAt(state, limit);
    if (r !== null && nowMs >= r) return { ...state, backoff: null };
  }
  return state;
}

/** Takes one token if there is one; otherwise says how long until there will be (and marks the wait). */
export function takeToken(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): TakeResult {
  const settled = settle(state, limit, nowMs);
  const s = shape(settled, limit, nowMs);
  if (!s) return { ok: true, state: { ...settled, tokens: 1, updatedAt: nowMs, holdCap: null } };
  const current = refill(settled, s, nowMs);
  if (current.tokens >= 1) return { ok: true, state: { ...current, tokens: current.tokens - 1, holdCap: null } };
  const waiting = { ...current, holdCap: current.holdCap ?? holdCapAt(current.tokens, s) };
  return { ok: false, state: waiting, waitMs: Math.max(1, Math.ceil((1 - current.tokens) / s.perMs)) };
}

/** Due work is waiting for something other than a token (a free connection, a pause): stop banking from now. */
export function markWaiting(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): LimiterState {
  const s = shape(state, limit, nowMs);
  if (!s) return state;
  const current = refill(state, s, nowMs);
  return { ...current, holdCap: current.holdCap ?? holdCapAt(current.tokens, s) };
}

/**
 * The most a waiting bucket may hold: what it has (or the one token it waits for) plus a sliver of lateness.
 * That sliver stays below the pacing margin, so a backlog still never exceeds the limit in any window.
 */
function holdCapAt(tokens: number, s: Shape): number {
  return Math.min(s.capacity, Math.max(tokens, 1) + PACING_MARGIN * BANKABLE_SHARE_OF_MARGIN * s.capacity);
}

/** Epoch ms at which a token will be there (nowMs when one is there already). */
export function tokenReadyAt(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): number {
  const r = takeToken(state, limit, nowMs);
  return r.ok ? nowMs : nowMs + r.waitMs;
}

/**
 * A 429 without Retry-After for a request started at `sentAtMs`: halve the effective rate (for an unlimited
 * endpoint, the rate observed over its recent sends), then recover linearly. One halving per round trip: a
 * 429 to a request sent before the last halving was already answered by it.
 */
export function onThrottled(
  state: LimiterState,
  limit: RateLimitConfig | null,
  nowMs: number,
  sentAtMs: number,
  observedPerSecond: number,
): LimiterState {
  if (state.backoff && sentAtMs < state.backoff.at) return state;
  const current = effectiveRate(state, limit, nowMs) ?? observedPerSecond;
  const ceiling = state.backoff?.ceiling ?? configuredRate(limit) ?? observedPerSecond;
  const rate = Math.max(current / 2, Math.min(current, MIN_RATE_PER_SECOND));
  // The next request waits one interval at the new rate: nothing banked survives a 429.
  return { tokens: 0, updatedAt: nowMs, holdCap: null, backoff: { rate, at: nowMs, ceiling } };
}

/** Requests per second over the recent sends (start times, epoch ms); at least 1 s is assumed to have passed. */
export function observedRate(sendTimes: number[], nowMs: number): number {
  const recent = sendTimes.filter((t) => t > nowMs - OBSERVE_WINDOW_MS && t <= nowMs);
  if (recent.length === 0) return 1;
  const spanMs = nowMs - Math.min(...recent);
  return recent.length / Math.max(1, spanMs / 1000);
}
