// Upstash Redis implementation of SharedCache (REST, so it works from Workers). Every call is bounded by a
// short timeout and never throws: Redis being slow or down costs at most one timeout, then D1 answers.
import { Redis } from "@upstash/redis/cloudflare";
import type { SharedCache } from "./cache";
import { countLookup } from "./stats";

/** A Redis answer slower than this is treated as an error: the D1 fallback is faster than waiting. */
export const REDIS_TIMEOUT_MS = 300;
/**
 * After a failure, skip Redis for this long: a dead Redis would otherwise add a full timeout to every
 * request and batch. Short, so a recovered Redis is used again within seconds.
 */
export const REDIS_BACKOFF_MS = 2_000;
/** At most one error line per this interval per isolate, with the count since the last line. */
const LOG_INTERVAL_MS = 10_000;

export interface RedisCacheOptions {
  url: string;
  token: string;
  namespace: string;
  timeoutMs?: number;
}

export class RedisCache implements SharedCache {
  readonly kind = "redis" as const;
  private readonly redis: Redis;
  private readonly prefix: string;
  private downUntil = 0;
  private lastLogAt = 0;
  private unlogged = 0;

  constructor(opts: RedisCacheOptions) {
    const timeoutMs = opts.timeoutMs ?? REDIS_TIMEOUT_MS;
    this.prefix = `${opts.namespace}:`;
    this.redis = new Redis({
      url: opts.url,
      token: opts.token,
      // The caller has a fallback; retrying inside the client would only stretch the outage.
      retry: false,
      enableTelemetry: false,
      // Values are JSON we write ourselves; counters come back as numbers either way.
      automaticDeserialization: false,
      // A function: a fresh deadline for each HTTP request, not one shared by the client's lifetime.
      signal: () => AbortSignal.timeout(timeoutMs),
    });
  }

  async getMany<T>(keys: string[]): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    if (keys.length === 0) return out;
    const values = await this.guard("mget", () => this.redis.mget<(string | null)[]>(...keys.map((k) => this.prefix + k)));
    if (!values) {
      countLookup("shared_misses", keys.length);
      return out;
    }
    keys.forEach((key, i) => {
      const raw = values[i];
      if (typeof raw !== "string") return;
      try {
        out.set(key, JSON.parse(raw) as T);
      } catch {
        // An unreadable entry is a miss; the caller's reload overwrites it.
      }
    });
    countLookup("shared_hits", out.size);
    countLookup("shared_misses", keys.length - out.size);
    return out;
  }

  async setMany(entries: ReadonlyArray<readonly [string, unknown]>, ttlSeconds: number, opts: { ifAbsent?: boolean } = {}): Promise<void> {
    if (entries.length === 0) return;
    await this.guard("set", () => {
      const p = this.redis.pipeline();
      for (const [key, value] of entries) {
        const json = JSON.stringify(value);
        if (opts.ifAbsent) p.set(this.prefix + key, json, { ex: ttlSeconds, nx: true });
        else p.set(this.prefix + key, json, { ex: ttlSeconds });
      }
      return p.exec();
    });
  }

  async delete(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return true;
    // Eviction must not be skipped because of an earlier failure's back-off: try it regardless.
    return (await this.guard("del", () => this.redis.del(...keys.map((k) => this.prefix + k)), true)) !== null;
  }

  async increment(key: string, by: number, ttlSeconds: number): Promise<number | null> {
    // A pipeline, not MULTI: the Upstash REST server in front of a plain Redis serves /pipeline only. The
    // key names its time window, so refreshing the expiry on each call never stretches a window.
    const result = await this.guard("incrby", () =>
      this.redis.pipeline().incrby(this.prefix + key, by).expire(this.prefix + key, ttlSeconds).exec<[number, number]>(),
    );
    return result ? Number(result[0]) : null;
  }

  /** Runs one Redis call; null on error, timeout or while backing off after a recent failure. */
  private async guard<T>(op: string, call: () => Promise<T>, ignoreBackoff = false): Promise<T | null> {
    if (!ignoreBackoff && Date.now() < this.downUntil) {
      countLookup("shared_errors");
      return null;
    }
    try {
      const value = await call();
      this.downUntil = 0;
      return value;
    } catch (err) {
      this.downUntil = Date.now() + REDIS_BACKOFF_MS;
      countLookup("shared_errors");
      this.log(op, err);
      return null;
    }
  }

  private log(op: string, err: unknown): void {
    this.unlogged++;
    const now = Date.now();
    if (now - this.lastLogAt < LOG_INTERVAL_MS) return;
    console.error(
      JSON.stringify({ level: "error", msg: "redis unavailable, falling back to D1/isolate state", op, errors: this.unlogged, error: String(err) }),
    );
    this.lastLogAt = now;
    this.unlogged = 0;
  }
}
