// Retries for transient failures, as a `fetch` wrapper the generated client sends through. Only calls that
// are safe to repeat are retried: idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) and any request that
// carries an Idempotency-Key (event ingest), so a retried POST can never make a second event.
import { parseRetryAfter } from "./errors.js";

export interface RetryOptions {
  /** Further attempts after the first (default 3; 0 disables retries). */
  retries?: number;
  /** First backoff in ms (default 250); doubles each time, full jitter. */
  baseDelayMs?: number;
  /** Largest backoff in ms (default 8000). */
  maxDelayMs?: number;
  /** A Retry-After longer than this (ms, default 30000) is not waited for: the answer is returned as is. */
  maxRetryAfterMs?: number;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

export function isRetryableRequest(method: string, headers: Headers): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase()) || headers.has("idempotency-key");
}

/** Full-jitter exponential backoff: a random wait in [0, min(max, base·2^n)]. `random` is injectable for tests. */
export function backoffDelay(retry: number, opts: Required<RetryOptions>, random = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** retry);
  return Math.round(random() * ceiling);
}

/**
 * How long to wait before retry number `retry` (0-based) after `response` (or a network error when undefined),
 * or null to stop. A server's Retry-After is honoured as a floor; one beyond `maxRetryAfterMs` ends the retries.
 */
export function nextDelay(retry: number, response: Response | undefined, opts: Required<RetryOptions>, random = Math.random): number | null {
  if (retry >= opts.retries) return null;
  if (response && !RETRYABLE_STATUS.has(response.status)) return null;
  const backoff = backoffDelay(retry, opts, random);
  const asked = response ? parseRetryAfter(response.headers.get("retry-after")) : null;
  if (asked === null) return backoff;
  if (asked > opts.maxRetryAfterMs) return null;
  return Math.max(asked, backoff);
}

export function resolveRetryOptions(opts: RetryOptions = {}): Required<RetryOptions> {
  return {
    retries: Math.max(0, Math.min(opts.retries ?? 3, 10)),
    baseDelayMs: opts.baseDelayMs ?? 250,
    maxDelayMs: opts.maxDelayMs ?? 8000,
    maxRetryAfterMs: opts.maxRetryAfterMs ?? 30_000,
  };
}

/**
 * Wraps `fetchImpl` so retryable requests are re-sent with backoff; at most `retries` extra attempts.
 * `timeoutMs` (0 = none) bounds each attempt until its response headers; a timed-out attempt counts as a
 * network failure. The caller's own abort signal is honoured and never retried.
 */
export function retryingFetch(fetchImpl: typeof fetch, options: RetryOptions = {}, timeoutMs = 0): (input: Request) => Promise<Response> {
  const opts = resolveRetryOptions(options);
  // The signal goes in fetch's own init too, not only on the Request: undici (Node 22) links a Request's signal to
  // one made from it (clone(), new Request(r, {signal})) through a weak reference, and once garbage collection
  // breaks that link an abort or timeout no longer reaches the fetch (test/unit/sdk-retry.test.ts shows it). The
  // Request keeps it as well, for a custom fetch that reads only its first argument. `callerSignal` is the
  // original request's: a clone's own signal is one of those weak links.
  const attempt = (request: Request, callerSignal: AbortSignal) => {
    const signal = timeoutMs > 0 ? AbortSignal.any([callerSignal, AbortSignal.timeout(timeoutMs)]) : callerSignal;
    return fetchImpl(new Request(request, { signal }), { signal });
  };
  return async (request: Request) => {
    if (opts.retries === 0 || !isRetryableRequest(request.method, request.headers)) return attempt(request, request.signal);
    // A Request body can be read once: every attempt sends a fresh clone of the untouched original.
    for (let retry = 0; ; retry++) {
      let response: Response | undefined;
      try {
        response = await attempt(request.clone(), request.signal);
      } catch (err) {
        if (request.signal?.aborted) throw err;
        const wait = nextDelay(retry, undefined, opts);
        if (wait === null) throw err;
        await sleep(wait, request.signal);
        continue;
      }
      const wait = nextDelay(retry, response, opts);
      if (wait === null) return response;
      // Drain the abandoned answer so its connection can be reused.
      await response.body?.cancel().catch(() => {});
      await sleep(wait, request.signal);
    }
  };
}

function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
