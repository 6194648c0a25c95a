// The per-isolate cache (the default without Redis): expiry, counters that keep their window, bounded size.
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryCache } from "../../src/cache/memory-cache";

afterEach(() => vi.useRealTimers());

describe("MemoryCache", () => {
  it("returns stored values until they expire, and nothing for absent or deleted keys", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const cache = new MemoryCache();
    await cache.setMany([["a", { n: 1 }], ["b", 2]], 10);
    expect(Object.fromEntries(await cache.getMany(["a", "b", "c"]))).toEqual({ a: { n: 1 }, b: 2 });
    await cache.delete(["b"]);
    expect([...(await cache.getMany(["b"])).keys()]).toEqual([]);
    vi.setSystemTime(1_000_000 + 10_000);
    expect((await cache.getMany(["a"])).size).toBe(0);
  });

  it("counts within a counter's lifetime and starts again after it, without stretching it on each increment", async () => {
    vi.useFakeTimers({ now: 5_000_000 });
    const cache = new MemoryCache();
    expect(cache.incrementNow("k", 3, 60)).toBe(3);
    vi.setSystemTime(5_000_000 + 59_000);
    expect(await cache.increment("k", 2, 60)).toBe(5);
    // Expires 60 s after the first increment, not after the last one.
    vi.setSystemTime(5_000_000 + 60_000);
    expect(cache.incrementNow("k", 1, 60)).toBe(1);
  });

  it("keeps at most 10,000 entries, dropping the oldest first", async () => {
    const cache = new MemoryCache();
    await cache.setMany(Array.from({ length: 10_005 }, (_, i) => [`k${i}`, i] as const), 60);
    const got = await cache.getMany(["k0", "k4", "k5", "k10004"]);
    expect([...got.keys()]).toEqual(["k5", "k10004"]);
  });
});
