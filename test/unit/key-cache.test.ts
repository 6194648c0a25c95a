// The API-key cache stays bounded whatever is presented: 100,000 junk tokens leave it at its bound, real keys
// are not pushed out by them, the least recently used key leaves first, and every answer expires on time.
import { describe, expect, it } from "vitest";
import { KEY_CACHE_DEFAULTS, KeyCache } from "../../src/http/middleware/key-cache";

type P = { kind: "owner"; ownerId: string; keyId: string };
const owner = (n: number): P => ({ kind: "owner", ownerId: `o${n}`, keyId: `key_${n}` });
/** Hash-like keys, as auth.ts uses (64 hex characters). */
const hash = (label: string) => label.padStart(64, "0");

describe("API-key cache", () => {
  it("holds at most its bound of unknown tokens after 100,000 junk tokens, and keeps the real keys", () => {
    let now = 0;
    const cache = new KeyCache<P>({ now: () => now });
    for (let i = 0; i < 100; i++) cache.set(hash(`real${i}`), owner(i));
    let maxSeen = 0;
    for (let i = 0; i < 100_000; i++) {
      const junk = hash(`junk${i}`);
      // As auth.ts does: look up, miss, remember the miss.
      expect(cache.get(junk)).toBeUndefined();
      cache.set(junk, null);
      if (i % 1000 === 999) {
        maxSeen = Math.max(maxSeen, cache.size.unknown);
        now += 1; // time moves a little; nothing expires within this test's 100 ms
      }
    }
    expect(maxSeen).toBe(KEY_CACHE_DEFAULTS.maxUnknown);
    expect(cache.size).toEqual({ found: 100, unknown: KEY_CACHE_DEFAULTS.maxUnknown });
    // The most recent misses are remembered, the oldest are gone; the real keys are all still there.
    expect(cache.get(hash("junk99999"))).toBeNull();
    expect(cache.get(hash("junk0"))).toBeUndefined();
    for (let i = 0; i < 100; i++) expect(cache.get(hash(`real${i}`))).toEqual(owner(i));
    // A property of size, not speed: 100,000 lookups take seconds on a loaded 2-core machine, so no tight timeout.
  }, 120_000);

  it("bounds keys found too, evicting the least recently used", () => {
    const cache = new KeyCache<P>({ maxFound: 3, maxUnknown: 2 });
    cache.set(hash("a"), owner(1));
    cache.set(hash("b"), owner(2));
    cache.set(hash("c"), owner(3));
    expect(cache.get(hash("a"))).toEqual(owner(1)); // a is now the most recently used
    cache.set(hash("d"), owner(4));
    expect(cache.get(hash("b"))).toBeUndefined();
    expect(cache.get(hash("a"))).toEqual(owner(1));
    expect(cache.size).toEqual({ found: 3, unknown: 0 });
  });

  it("expires hits and misses after the TTL, counted from the lookup (reading does not extend it)", () => {
    let now = 1_000_000;
    const cache = new KeyCache<P>({ ttlMs: 10_000, now: () => now });
    cache.set(hash("k"), owner(1));
    cache.set(hash("x"), null);
    now += 9_999;
    expect(cache.get(hash("k"))).toEqual(owner(1));
    expect(cache.get(hash("x"))).toBeNull();
    now += 2;
    expect(cache.get(hash("k"))).toBeUndefined();
    expect(cache.get(hash("x"))).toBeUndefined();
  });

  it("a key that turns out to exist replaces its miss, and delete forgets both", () => {
    const cache = new KeyCache<P>();
    cache.set(hash("k"), null);
    cache.set(hash("k"), owner(1));
    expect(cache.get(hash("k"))).toEqual(owner(1));
    expect(cache.size).toEqual({ found: 1, unknown: 0 });
    cache.delete(hash("k"));
    expect(cache.get(hash("k"))).toBeUndefined();
    cache.set(hash("k"), owner(1));
    cache.set(hash("k"), null); // deleted meanwhile: the miss wins
    expect(cache.get(hash("k"))).toBeNull();
    expect(cache.size).toEqual({ found: 0, unknown: 1 });
  });
});
