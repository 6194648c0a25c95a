// Per-isolate implementation of SharedCache: a bounded Map with expiry. It is what HookRelay uses without
// Redis, and the fallback for ingest counters while Redis is unreachable.
import type { SharedCache } from "./cache";

/** Bounded so an isolate serving many owners keeps memory flat; the oldest entry goes first. */
const MAX_ENTRIES = 10_000;

export class MemoryCache implements SharedCache {
  readonly kind = "memory" as const;
  private readonly entries = new Map<string, { value: unknown; expiresAt: number }>();

  async getMany<T>(keys: string[]): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    const now = Date.now();
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      if (entry.expiresAt <= now) this.entries.delete(key);
      else out.set(key, entry.value as T);
    }
    return out;
  }

  async setMany(entries: ReadonlyArray<readonly [string, unknown]>, ttlSeconds: number, opts: { ifAbsent?: boolean } = {}): Promise<void> {
    const now = Date.now();
    const expiresAt = now + ttlSeconds * 1000;
    for (const [key, value] of entries) {
      const current = this.entries.get(key);
      if (opts.ifAbsent && current && current.expiresAt > now) continue;
      this.entries.delete(key);
      this.entries.set(key, { value, expiresAt });
    }
    this.evict();
  }

  async delete(keys: string[]): Promise<boolean> {
    for (const key of keys) this.entries.delete(key);
    return true;
  }

  async increment(key: string, by: number, ttlSeconds: number): Promise<number> {
    return this.incrementNow(key, by, ttlSeconds);
  }

  /** Synchronous, so concurrent requests in one isolate cannot interleave between read and write. */
  incrementNow(key: string, by: number, ttlSeconds: number): number {
    const now = Date.now();
    const entry = this.entries.get(key);
    const current = entry && entry.expiresAt > now ? (entry.value as number) : 0;
    const expiresAt = entry && entry.expiresAt > now ? entry.expiresAt : now + ttlSeconds * 1000;
    this.entries.set(key, { value: current + by, expiresAt });
    this.evict();
    return current + by;
  }

  clear(): void {
    this.entries.clear();
  }

  private evict(): void {
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }
}
