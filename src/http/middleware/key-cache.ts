// Per-isolate cache of API-key lookups by key hash: keys found (hits) and presented tokens that match no
// key (misses). Anyone can present any number of made-up `hr_…` tokens without logging in, so the cache is
// bounded by entry count (least recently used leaves first) and by age, and misses live in their own
// LRU: a flood of junk tokens can neither grow memory nor push real keys out.
import { LRUCache } from "lru-cache";

export interface KeyCacheOptions {
  /** Most keys found kept at once. */
  maxFound?: number;
  /** Most unknown tokens remembered at once. */
  maxUnknown?: number;
  /** How long an answer is trusted: a key deleted in another isolate stops working here within this. */
  ttlMs?: number;
  /** Milliseconds clock (tests freeze it). */
  now?: () => number;
}

export const KEY_CACHE_DEFAULTS = { maxFound: 10_000, maxUnknown: 5_000, ttlMs: 10_000 } as const;

/** A cached answer: the principal, or null for "no such key". undefined from get() means "not cached". */
export class KeyCache<P extends object> {
  private readonly found: LRUCache<string, P>;
  // lru-cache stores no null values: an unknown token is remembered as `true`.
  private readonly unknown: LRUCache<string, true>;

  constructor(opts: KeyCacheOptions = {}) {
    const ttl = opts.ttlMs ?? KEY_CACHE_DEFAULTS.ttlMs;
    const perf = opts.now ? { now: opts.now } : undefined;
    // updateAgeOnGet stays false: an entry's age is from its lookup, so a deleted key is forgotten on time.
    this.found = new LRUCache({ max: opts.maxFound ?? KEY_CACHE_DEFAULTS.maxFound, ttl, ttlResolution: 0, perf });
    this.unknown = new LRUCache({ max: opts.maxUnknown ?? KEY_CACHE_DEFAULTS.maxUnknown, ttl, ttlResolution: 0, perf });
  }

  get(keyHash: string): P | null | undefined {
    const principal = this.found.get(keyHash);
    if (principal !== undefined) return principal;
    return this.unknown.get(keyHash) ? null : undefined;
  }

  set(keyHash: string, principal: P | null): void {
    if (principal) {
      this.unknown.delete(keyHash);
      this.found.set(keyHash, principal);
    } else {
      this.found.delete(keyHash);
      this.unknown.set(keyHash, true);
    }
  }

  delete(keyHash: string): void {
    this.found.delete(keyHash);
    this.unknown.delete(keyHash);
  }

  clear(): void {
    this.found.clear();
    this.unknown.clear();
  }

  /** Entries held now: keys found, unknown tokens. */
  get size(): { found: number; unknown: number } {
    return { found: this.found.size, unknown: this.unknown.size };
  }
}
