// Integration tests: run inside workerd with the real bindings from wrangler.toml (local D1, Queues, DOs).
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * HOOKRELAY_TEST_REDIS=1: the "with Redis" run (scripts/test.mjs runs both). Its globalSetup starts a real
 * redis-server behind the Upstash REST server; it runs the cache suite plus the suites whose paths the cache
 * sits on (routing, subscriptions, API keys, ingest), each file with its own owners.
 */
const withRedis = process.env.HOOKRELAY_TEST_REDIS === "1";
const REDIS_RUN = ["cache", "fanout", "subscriptions", "api-keys", "events"].map((f) => `test/integration/${f}.test.ts`);

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      // A function so the receiver's port from globalSetup (test/integration/receiver-global-setup.ts) can be bound.
      cloudflareTest((ctx) => ({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            TEST_RECEIVER_URL: `http://127.0.0.1:${ctx.inject("receiverPort")}`,
            ADMIN_API_KEY: "test-admin-key",
            ENCRYPTION_KEY: "test-encryption-key",
            ALLOW_PRIVATE_ENDPOINTS: "true",
            // Empty unless HOOKRELAY_TEST_REDIS=1 (test/integration/redis-global-setup.ts); a fresh namespace per run.
            UPSTASH_REDIS_REST_URL: ctx.inject("redisRestUrl"),
            UPSTASH_REDIS_REST_TOKEN: ctx.inject("redisRestToken"),
            HOOKRELAY_CACHE_NAMESPACE: `test-${Date.now()}`,
            // The fuzz suite's seed and run count (test/integration/fuzz-*.test.ts); empty = its fixed defaults.
            HOOKRELAY_FUZZ_SEED: process.env.HOOKRELAY_FUZZ_SEED ?? "",
            HOOKRELAY_FUZZ_RUNS: process.env.HOOKRELAY_FUZZ_RUNS ?? "",
          },
        },
      })),
    ],
    test: {
      include: withRedis ? REDIS_RUN : ["test/integration/**/*.test.ts"],
      setupFiles: ["./test/integration/apply-migrations.ts"],
      globalSetup: ["./test/integration/receiver-global-setup.ts", "./test/integration/redis-global-setup.ts"],
      testTimeout: 30_000,
    },
  };
});
