// Pure, clock-injected rate limiting for one endpoint: a sliding log of recent attempt starts that admits a
// start only when it keeps every window within the limit, and AIMD back-off on a 429 without Retry-After.
// Running out of room means "wait", never a failed attempt. The EndpointDO stores LimiterState as JSON.
//
// The guarantee, by construction: with `rate_limit: {requests: N, per_seconds: S}`, no half-open window of
// S·1000 + jitterMarginMs(limit) milliseconds holds more than N starts — the first window (the burst)
// included. A receiver counting arrivals over S-second windows therefore sees at most N as long as the
// network delays of any two requests differ by less than the margin.
//
// The log is bounded: at most LOG_CAP entries, each a start time with a count of starts. Starts in the same
// millisecond share an entry; while the window holds fewer than LOG_CAP distinct times the log is exact.
// Beyond that (only limits above LOG_CAP per window), two neighbouring entries merge into one that counts
// both at the later time — conservative, since every start is then counted for at least as long as its own
// window lasts — choosing the merge that delays the fewest starts by the least time.

export interface RateLimitConfig {
  requests: number;
  per_seconds: number;
}

/**
 * The safety margin for network jitter, as a share of the window: starts are limited over windows this much
 * longer than configured. A receiver counts arrivals, not starts; two requests N apart whose network delays
 * differ by up to the margin still land a full window apart. 2% is 20 ms at per_seconds = 1 — several times
 * the spread of start-to-arrival delays measured through wrangler dev on a loaded 2-core machine
 * (test/e2e/rate-limit.test.ts logs it) — and costs 2% of the rate, leaving room for wake-up lateness within
 * the 97% sustained-rate target. Longer windows get proportionally more (jitter over the internet is larger
 * than over loopback, and a longer window can afford it at the same cost).
 */
export const JITTER_MARGIN_SHARE = 0.02;
/** The most entries the log keeps (see the header): a full log is about 1.5 kB of JSON. */
export const LOG_CAP = 128;
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
  v: 2;
  /** Epoch ms the log's offsets count from (its oldest entry, or when the state was made). */
  base: number;
  /**
   * Recent starts, oldest first: [ms after `base`, how many started then]. Integer ms, ascending; only
   * entries within the window are kept, at most LOG_CAP (merged as the header says).
   */
  log: [number, number][];
  /** No start before this (epoch ms): set when an older or unreadable state is loaded, so that never bursts. */
  notBefore: number;
  backoff: Backoff | null;
  /**
   * Always absent: the token bucket's "stop banking while work waits" cap, which a sliding log does not
   * need (markWaiting changes nothing). Declared so callers that compare it before saving still compile.
   */
  holdCap?: undefined;
}

export type TakeResult = { ok: true; state: LimiterState } | { ok: false; state: LimiterState; waitMs: number };

export function initialState(_limit: RateLimitConfig | null, nowMs: number): LimiterState {
  return { v: 2, base: Math.ceil(nowMs), log: [], notBefore: 0, backoff: null };
}

/** The configured rate in requests per second, or null (unlimited). */
export function configuredRate(limit: RateLimitConfig | null): number | null {
  return limit ? limit.requests / limit.per_seconds : null;
}

/** The margin added to the configured window, in whole ms (see JITTER_MARGIN_SHARE). */
export function jitterMarginMs(limit: RateLimitConfig): number {
  return Math.round(limit.per_seconds * 1000 * JITTER_MARGIN_SHARE);
}

/** The window the log enforces, in ms: configured plus margin. */
export function windowMs(limit: RateLimitConfig): number {
  return limit.per_seconds * 1000 + jitterMarginMs(limit);
}

/**
 * The rate the endpoint is held to now, in requests per second (null = unlimited): the configured rate, or
 * while a back-off lasts, the halved rate plus its linear recovery, never above the configured rate.
 */
export function effectiveRate(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): number | null {
  const configured = configuredRate(limit);
  const b = validBackoff(state?.backoff);
  if (!b) return configured;
  const ceiling = configured ?? b.ceiling;
  const rate = b.rate + (Math.max(0, nowMs - b.at) / 1000) * ceiling * RECOVERY_PER_SECOND;
  if (rate >= ceiling) return configured;
  return rate;
}

/** When the back-off will have healed (epoch ms), or null when there is none. */
export function recoversAt(state: LimiterState, limit: RateLimitConfig | null): number | null {
  const b = validBackoff(state?.backoff);
  if (!b) return null;
  const ceiling = configuredRate(limit) ?? b.ceiling;
  if (b.rate >= ceiling) return b.at;
  return b.at + Math.ceil(((ceiling - b.rate) / (ceiling * RECOVERY_PER_SECOND)) * 1000);
}

/** Takes a start now if every rule allows it (and logs it); otherwise says how long until one will. */
export function takeToken(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): TakeResult {
  const current = settle(normalize(state, limit, nowMs), limit, nowMs);
  const readyAt = readyAtOf(current, limit, nowMs);
  if (nowMs < readyAt) return { ok: false, state: current, waitMs: Math.max(1, Math.ceil(readyAt - nowMs)) };
  return { ok: true, state: record(current, limit, nowMs) };
}

/**
 * Due work is waiting for something other than the limiter (a free connection, a pause). A sliding log
 * banks nothing while idle — every start is judged against the actual earlier starts — so nothing changes.
 * Kept so callers need not know which limiter is in use.
 */
export function markWaiting(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): LimiterState {
  return normalize(state, limit, nowMs);
}

/** Epoch ms at which a start will be allowed (nowMs when one is allowed already). */
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
  const current = normalize(state, limit, nowMs);
  if (current.backoff && sentAtMs < current.backoff.at) return current;
  const rate0 = effectiveRate(current, limit, nowMs) ?? observedPerSecond;
  const ceiling = current.backoff?.ceiling ?? configuredRate(limit) ?? observedPerSecond;
  const rate = Math.max(rate0 / 2, Math.min(rate0, MIN_RATE_PER_SECOND));
  // The next start waits one interval at the new rate from now (see readyAtOf): nothing survives a 429.
  return { ...current, backoff: { rate, at: nowMs, ceiling } };
}

/**
 * The start decided at `decidedAtMs` actually went out at `sentAtMs` (the object signed it, re-armed an
 * alarm, … in between): it counts from then. Moving a start later only ever makes the log more
 * conservative, and it keeps the guarantee about sends, not just decisions.
 */
export function onSent(state: LimiterState, limit: RateLimitConfig | null, decidedAtMs: number, sentAtMs: number): LimiterState {
  const current = normalize(state, limit, sentAtMs);
  const decided = Math.ceil(decidedAtMs);
  const sent = Math.ceil(sentAtMs);
  if (sent <= decided || current.log.length === 0) return current;
  const entries: [number, number][] = current.log.map(([o, n]) => [current.base + o, n]);
  const at = entries.findIndex(([t]) => t === decided);
  // Not found (merged into a neighbour, or already out of the window): counted once more — over, never under.
  if (at >= 0 && --entries[at]![1] === 0) entries.splice(at, 1);
  const i = entries.findIndex(([t]) => t >= sent);
  if (i >= 0 && entries[i]![0] === sent) entries[i]![1]++;
  else entries.splice(i < 0 ? entries.length : i, 0, [sent, 1]);
  while (entries.length > LOG_CAP) mergeCheapest(entries);
  const base = entries[0]![0];
  return { ...current, base, log: entries.map(([t, n]) => [t - base, n]) };
}

/** Requests per second over the recent sends (start times, epoch ms); at least 1 s is assumed to have passed. */
export function observedRate(sendTimes: number[], nowMs: number): number {
  const recent = sendTimes.filter((t) => t > nowMs - OBSERVE_WINDOW_MS && t <= nowMs);
  if (recent.length === 0) return 1;
  const spanMs = nowMs - Math.min(...recent);
  return recent.length / Math.max(1, spanMs / 1000);
}

/** The log as epoch-ms start times, one per start, oldest first (a merged entry repeats its time). */
export function loggedStarts(state: LimiterState): number[] {
  return state.log.flatMap(([offset, n]) => Array<number>(n).fill(state.base + offset));
}

// --- internals -----------------------------------------------------------------------------------------

/**
 * The earliest time a start is allowed: once enough of the oldest entries have left the window that fewer
 * than N starts remain in it; one interval at the current reduced rate after the later of the last start
 * and the halving (no burst while backing off); and `notBefore`.
 */
function readyAtOf(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): number {
  let readyAt = state.notBefore;
  const log = state.log;
  if (limit) {
    const w = windowMs(limit);
    // Walk back from the newest entry until N starts are counted: that entry must leave the window first.
    let counted = 0;
    for (let i = log.length - 1; i >= 0; i--) {
      counted += log[i]![1];
      if (counted >= limit.requests) {
        readyAt = Math.max(readyAt, state.base + log[i]![0] + w);
        break;
      }
    }
  }
  if (state.backoff) {
    const rate = effectiveRate(state, limit, nowMs);
    const last = log.length > 0 ? state.base + log[log.length - 1]![0] : -Infinity;
    if (rate !== null) readyAt = Math.max(readyAt, Math.max(last, state.backoff.at) + 1000 / rate);
  }
  // A clock that stepped back is not trusted to have left the log behind.
  if (log.length > 0) readyAt = Math.max(readyAt, state.base + log[log.length - 1]![0]);
  return readyAt;
}

/**
 * Logs a start at nowMs (rounded up to whole ms: a start is never logged earlier than it happened), keeping
 * only what a later decision can need: entries within the window, at most LOG_CAP, merged as the header says.
 */
function record(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): LimiterState {
  const entries: [number, number][] = state.log.map(([o, n]) => [state.base + o, n]);
  const at = Math.max(Math.ceil(nowMs), entries.at(-1)?.[0] ?? -Infinity);
  if (entries.length > 0 && entries.at(-1)![0] === at) entries.at(-1)![1]++;
  else entries.push([at, 1]);
  // Unlimited (while backing off): only the last start matters.
  const w = limit ? windowMs(limit) : 0;
  const kept = entries.filter(([t], i) => i === entries.length - 1 || t > at - w);
  while (kept.length > LOG_CAP) mergeCheapest(kept);
  const base = kept[0]![0];
  return { ...state, base, log: kept.map(([t, n]) => [t - base, n]) };
}

/**
 * Merges the neighbours whose merge costs least — the earlier entry's starts are counted until the later
 * one's time, so the cost is (its count) × (the gap) — into one entry at the later time.
 */
function mergeCheapest(entries: [number, number][]): void {
  let best = 0;
  let bestCost = Infinity;
  for (let i = 0; i + 1 < entries.length; i++) {
    const cost = entries[i]![1] * (entries[i + 1]![0] - entries[i]![0]);
    if (cost < bestCost) {
      bestCost = cost;
      best = i;
    }
  }
  entries[best + 1]![1] += entries[best]![1];
  entries.splice(best, 1);
}

/** Drops a back-off that has healed, so the state says plainly that none is in force. */
function settle(state: LimiterState, limit: RateLimitConfig | null, nowMs: number): LimiterState {
  if (state.backoff && effectiveRate(state, limit, nowMs) === configuredRate(limit)) {
    const r = recoversAt(state, limit);
    if (r !== null && nowMs >= r) return { ...state, backoff: null };
  }
  return state;
}

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

function validBackoff(b: unknown): Backoff | null {
  if (!b || typeof b !== "object") return null;
  const { rate, at, ceiling } = b as Record<string, unknown>;
  return finite(rate) && rate > 0 && finite(at) && finite(ceiling) && ceiling > 0 ? { rate, at, ceiling } : null;
}

/**
 * A stored state of this shape as is; anything else loads conservatively. The token bucket's state (v1,
 * `{tokens, updatedAt, …}`) says when it was last used but not its starts: the window before `updatedAt` is
 * taken as full, so the first start waits one window after it. A state with no usable time at all is taken
 * as a full window ending now. A back-off in either is kept if it is well formed.
 */
function normalize(raw: unknown, limit: RateLimitConfig | null, nowMs: number): LimiterState {
  const s = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const backoff = validBackoff(s.backoff);
  if (s.v === 2 && Number.isInteger(s.base) && finite(s.notBefore) && validLog(s.log)) {
    if (s.backoff === null || backoff !== null) return raw as LimiterState;
    return { ...(raw as LimiterState), backoff: null };
  }
  const w = limit ? windowMs(limit) : 0;
  const lastUse = finite(s.updatedAt) ? Math.min(s.updatedAt, nowMs) : nowMs;
  return { v: 2, base: Math.ceil(nowMs), log: [], notBefore: lastUse + w, backoff };
}

function validLog(log: unknown): log is [number, number][] {
  if (!Array.isArray(log) || log.length > LOG_CAP) return false;
  let prev = -1;
  for (const e of log) {
    if (!Array.isArray(e) || e.length !== 2 || !Number.isInteger(e[0]) || !Number.isInteger(e[1]) || e[0] <= prev || e[1] < 1) return false;
    prev = e[0];
  }
  return true;
}
