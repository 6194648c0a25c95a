// Per-owner ingest throttling (INGEST_RATE_LIMIT_PER_MINUTE events per owner per minute; 0 = off): a fixed
// one-minute window counted in Redis when configured (shared by every isolate), otherwise per isolate.
import { sharedCache, memoryCache, type CacheSettings } from "../cache/cache";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { AppError } from "../http/errors";

const WINDOW_MS = 60_000;
/** Longer than the window, so a counter outlives every request that can still add to it. */
const COUNTER_TTL_S = 120;

/**
 * Counts `events` against the owner's current window and throws 429 rate_limited (Retry-After: seconds until
 * the window ends) once the total passes the limit. `owner` undefined (the admin key) is never throttled.
 * Redis unreachable: the isolate's own counter decides, so ingest goes on (throttling becomes per isolate).
 */
export async function throttleIngest(env: Env & CacheSettings, owner: string | undefined, events: number, now = Date.now()): Promise<void> {
  const limit = loadConfig(env).ingestRateLimitPerMinute;
  if (limit <= 0 || owner === undefined || events <= 0) return;
  const window = Math.floor(now / WINDOW_MS);
  const key = `ingest:${window}:${owner}`;
  const shared = sharedCache(env);
  const total = (await shared.increment(key, events, COUNTER_TTL_S)) ?? memoryCache().incrementNow(key, events, COUNTER_TTL_S);
  if (total <= limit) return;
  const retryAfter = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
  throw new AppError(
    "rate_limited",
    `Owner ${owner} is over its ingest limit of ${limit} events per minute; retry after ${retryAfter} s.`,
    undefined,
    { "retry-after": String(retryAfter) },
  );
}
