// Junk bearer tokens through the real app (property, inside workerd): every made-up `hr_…` token is 401
// problem+json, its second use is answered from the isolate's cache (no D1 read), and a flood of them does
// not push a real key out of that cache. The cache's size bound itself: test/unit/key-cache.test.ts.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lookupStats, resetLookupStats } from "../../src/cache/stats";
import { clearApiKeyCache } from "../../src/http/middleware/auth";
import { assertProperty, fuzzSettings } from "../fuzz/arbitraries";
import { call, createOwnerKey, expectProblem } from "./helpers";

const raw = env as unknown as { HOOKRELAY_FUZZ_SEED?: string; HOOKRELAY_FUZZ_RUNS?: string };
const SETTINGS = fuzzSettings({ seed: raw.HOOKRELAY_FUZZ_SEED, runs: raw.HOOKRELAY_FUZZ_RUNS }, 200);

/** What attackers send: hr_ plus printable ASCII a header can carry (no spaces, so the whole token is the key). */
const junkToken = fc
  .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 80 })
  .map((s) => `hr_${s}`);

describe("junk API keys (property)", () => {
  it("are 401, cached as unknown after one D1 read, and never evict a real key", async () => {
    const key = await createOwnerKey("junk-tokens");
    clearApiKeyCache();
    expect((await call("GET", "/v1/endpoints", { key })).status).toBe(200); // the real key is now cached
    const seen = new Set<string>();
    await assertProperty(
      "junk tokens",
      fc.asyncProperty(junkToken, async (token) => {
        if (seen.has(token) || token === key) return;
        seen.add(token);
        resetLookupStats();
        expectProblem(await call("GET", "/v1/endpoints", { key: token }), 401, "unauthorized");
        expect(lookupStats().d1_api_key_reads).toBe(1);
        expectProblem(await call("GET", "/v1/endpoints", { key: token }), 401, "unauthorized");
        expect(lookupStats().d1_api_key_reads).toBe(1);
      }),
      SETTINGS,
    );
    expect(seen.size).toBeGreaterThan(50);
    resetLookupStats();
    expect((await call("GET", "/v1/endpoints", { key })).status).toBe(200);
    expect(lookupStats().d1_api_key_reads).toBe(0);
  });
});
