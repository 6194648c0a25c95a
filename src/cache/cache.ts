// The cache interface shared by routing, API-key lookups and ingest counters, and the choice between its two
// implementations: per-isolate memory (default) or Upstash Redis (when both UPSTASH_REDIS_REST_* are set).
import { MemoryCache } from "./memory-cache";
import { RedisCache } from "./redis-cache";

/**
 * Every method is best effort and never throws: a cache that cannot answer behaves as empty, so callers fall
 * back to D1 (or to per-isolate state) and ingest and delivery never fail because of the cache.
 */
export interface SharedCache {
  /** "redis": shared by every isolate; "memory": this isolate only. */
  readonly kind: "memory" | "redis";
  /** Values by key; missing, expired or unreadable keys are absent from the map. */
  getMany<T>(keys: string[]): Promise<Map<string, T>>;
  /** `ifAbsent`: leave keys that already hold a value alone (SET NX), so a fill cannot overwrite a tombstone. */
  setMany(entries: ReadonlyArray<readonly [string, unknown]>, ttlSeconds: number, opts?: { ifAbsent?: boolean }): Promise<void>;
  /** False when the eviction may not have happened (Redis unreachable): callers log it. */
  delete(keys: string[]): Promise<boolean>;
  /**
   * Adds `by` to a counter that lives `ttlSeconds` (INCRBY + EXPIRE); the new total, or null when the
   * shared store could not be reached (callers then count per isolate).
   */
  increment(key: string, by: number, ttlSeconds: number): Promise<number | null>;
}

export interface CacheSettings {
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  /** Optional key prefix, so several deployments (or test runs) can share one Redis. */
  HOOKRELAY_CACHE_NAMESPACE?: string;
}

const memory = new MemoryCache();
const redisByConfig = new Map<string, RedisCache>();

/** The cache for this environment; one client per (url, token, namespace) per isolate. */
export function sharedCache(env: CacheSettings): SharedCache {
  const url = env.UPSTASH_REDIS_REST_URL?.trim();
  const token = env.UPSTASH_REDIS_REST_TOKEN?.trim();
  if (!url || !token) return memory;
  const namespace = env.HOOKRELAY_CACHE_NAMESPACE?.trim() || "hookrelay";
  const id = `${url}\n${token}\n${namespace}`;
  let cache = redisByConfig.get(id);
  if (!cache) {
    cache = new RedisCache({ url, token, namespace });
    redisByConfig.set(id, cache);
  }
  return cache;
}

/** The per-isolate memory cache (the default implementation); exported for tests. */
export function memoryCache(): MemoryCache {
  return memory;
}
