// Judges a rate limit at the receiver over every window (the first included), with a margin for jitter that
// is measured, not guessed: each request's delay from the attempt start the EndpointDO recorded to its
// arrival at the receiver. Used by the rate-limit e2e tests.
import type { ReceivedRequest } from "./receiver";
import type { RunningWorker } from "./worker";

/** The most times in any half-open window [t, t + windowMs) over every window that starts at a time (the first included). */
export function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

export interface WindowReport {
  /** Most recorded attempt starts in any window of per_seconds (what the limiter controls). */
  maxStarts: number;
  /** Most arrivals in any window of per_seconds at the receiver, unadjusted (reported, not judged). */
  maxArrivalsRaw: number;
  /**
   * The jitter the loopback added, ms: the most a request's start-to-arrival delay exceeded that of a
   * request started `requests` or more places later (within two windows) — how much closer together the
   * receiver can see two starts than they were sent.
   */
  jitterMs: number;
  /** Most arrivals in any window of per_seconds − jitterMs at the receiver (judged). */
  maxArrivals: number;
  /** Start-to-arrival delays, ms. */
  delayP50: number;
  delayMax: number;
  /** Tightest span of `requests + 1` consecutive recorded starts, ms (≥ the window when the limit held). */
  tightestStarts: number;
  attemptsRead: number;
  /** The recorded attempt starts, ascending (epoch ms). */
  starts: number[];
}

/** Reads each delivery's first attempt start (GET /v1/deliveries/{id}) and checks the windows both ways. */
export async function checkWindows(worker: RunningWorker, received: ReceivedRequest[], limit: { requests: number; per_seconds: number }): Promise<WindowReport> {
  const n = limit.requests;
  const windowMs = limit.per_seconds * 1000;
  const ids = received.map((q) => q.headers["hookrelay-delivery-id"]!);
  const pairs: { start: number; arrival: number }[] = [];
  // A few at a time: the API shares the two cores with the object still delivering.
  for (let i = 0; i < ids.length; i += 8) {
    const batch = await Promise.all(
      ids.slice(i, i + 8).map(async (id, k) => {
        const d = await worker.api("GET", `/v1/deliveries/${id}`);
        return { start: Date.parse(d.json?.attempts?.[0]?.started_at ?? ""), arrival: received[i + k]!.at };
      }),
    );
    pairs.push(...batch);
  }
  const byStart = pairs.filter((p) => Number.isFinite(p.start)).sort((a, b) => a.start - b.start);
  const starts = byStart.map((p) => p.start);
  const delays = byStart.map((p) => p.arrival - p.start);
  let jitterMs = 0;
  for (let i = 0; i < byStart.length; i++) {
    for (let j = i + n; j < byStart.length && starts[j]! - starts[i]! < 2 * windowMs; j++) jitterMs = Math.max(jitterMs, delays[i]! - delays[j]!);
  }
  const arrivals = received.map((q) => q.at);
  const sortedDelays = [...delays].sort((a, b) => a - b);
  return {
    maxStarts: maxInWindow(starts, windowMs),
    maxArrivalsRaw: maxInWindow(arrivals, windowMs),
    jitterMs,
    maxArrivals: maxInWindow(arrivals, windowMs - jitterMs),
    delayP50: sortedDelays[Math.floor(sortedDelays.length / 2)] ?? NaN,
    delayMax: sortedDelays.at(-1) ?? NaN,
    tightestStarts: Math.min(...starts.slice(n).map((t, i) => t - starts[i]!)),
    attemptsRead: byStart.length,
    starts,
  };
}

export function describeWindows(r: WindowReport, limit: { requests: number; per_seconds: number }): string {
  const s = limit.per_seconds;
  return (
    `most attempt starts in any ${s} s window ${r.maxStarts} (tightest ${limit.requests + 1} consecutive starts span ${r.tightestStarts} ms); ` +
    `most arrivals in any ${s} s window ${r.maxArrivalsRaw}, in any ${s * 1000 - r.jitterMs} ms window (${s} s less the ${r.jitterMs} ms of jitter measured) ${r.maxArrivals}; ` +
    `start→arrival delay p50 ${r.delayP50} ms, max ${r.delayMax} ms (${r.attemptsRead} attempts read)`
  );
}
