// The EndpointDO's pacing: its rate limiter state (rate-limit.ts, persisted so a restart gets no fresh burst),
// a Retry-After pause, AIMD back-off on 429, and the short sleeps between tokens within a run.
import type { Classification, AttemptResult } from "./classify";
import type { OpenedEndpoint } from "./endpoint-config";
import type { EndpointStore } from "./endpoint-store";
import { initialState, markWaiting, observedRate, onSent, onThrottled, takeToken, tokenReadyAt, type LimiterState, type RateLimitConfig } from "./rate-limit";

/** Start times of this many recent attempts are kept in memory: an unlimited endpoint's observed rate. */
const SEND_TIMES_KEPT = 50;

export class EndpointLimiter {
  private sendTimes: number[] = [];
  /** Ends a drain's wait for a token early (configChanged: a new rate limit applies to the next delivery). */
  private wake: (() => void) | null = null;

  constructor(private readonly store: EndpointStore) {}

  state(): LimiterState | null {
    const stored = this.store.getMeta("limiter");
    return stored ? (JSON.parse(stored) as LimiterState) : null;
  }

  private save(state: LimiterState): void {
    this.store.setMeta("limiter", JSON.stringify(state));
  }

  pausedUntil(): number {
    const v = this.store.getMeta("pause_until");
    return v ? Number(v) : 0;
  }

  get sendTimesKept(): number {
    return this.sendTimes.length;
  }

  noteStart(at: number): void {
    this.sendTimes.push(at);
    if (this.sendTimes.length > SEND_TIMES_KEPT) this.sendTimes.shift();
  }

  /** The limiter state is stored on every take of a limited endpoint: a restarted object must not get a fresh burst. */
  take(limit: RateLimitConfig | null, now: number): { ok: true } | { ok: false; waitMs: number } {
    const stored = this.state();
    // Unlimited and never throttled: nothing to count, nothing to store.
    if (!limit && !stored?.backoff) return { ok: true };
    const r = takeToken(stored ?? initialState(limit, now), limit, now);
    this.save(r.state);
    return r.ok ? { ok: true } : { ok: false, waitMs: r.waitMs };
  }

  /** The limit holds for sends, not decisions: a start counts from when the request goes out (rate-limit.ts onSent). */
  sent(limit: RateLimitConfig | null, decidedAt: number, sentAt: number): void {
    const stored = this.state();
    if (stored && sentAt > decidedAt) this.save(onSent(stored, limit, decidedAt, sentAt));
  }

  readyAt(limit: RateLimitConfig | null, now: number): number {
    const stored = this.state();
    return stored ? tokenReadyAt(stored, limit, now) : 0;
  }

  /** Work that waits must not bank tokens meanwhile, or a late start would let the requests after it bunch up. */
  markWaiting(limit: RateLimitConfig | null, now: number): void {
    const stored = this.state();
    if (!limit && !stored?.backoff) return;
    const next = markWaiting(stored ?? initialState(limit, now), limit, now);
    if (next.holdCap !== stored?.holdCap) this.save(next);
  }

  /** A Retry-After pauses the endpoint; a 429 without one halves its rate (AIMD). */
  afterAttempt(endpoint: OpenedEndpoint, cls: Classification, result: AttemptResult, now: number): void {
    if (cls.pauseSeconds !== null) {
      const pauseMs = Math.min(cls.pauseSeconds, endpoint.retry.max_delay_s) * 1000;
      this.store.setMeta("pause_until", String(Math.max(this.pausedUntil(), now + pauseMs)));
      // The receiver asked for quiet: no tokens accrue during the pause, so it does not end in a burst.
      this.markWaiting(endpoint.rateLimit, now);
    } else if (result.statusCode === 429) {
      const state = this.state() ?? initialState(endpoint.rateLimit, now);
      this.save(onThrottled(state, endpoint.rateLimit, now, result.startedAt, observedRate(this.sendTimes, now)));
    }
  }

  /** Sleeps until `at`, or until an attempt in flight ends or wakeNow() is called. */
  async sleepUntil(at: number, inFlight: Set<Promise<void>>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const slept = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, at - Date.now()));
      this.wake = resolve;
    });
    try {
      await Promise.race([slept, ...inFlight]);
    } finally {
      clearTimeout(timer);
      this.wake = null;
    }
  }

  wakeNow(): void {
    this.wake?.();
  }
}
