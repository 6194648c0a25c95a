// Integration tests: run inside workerd with the real bindings from wrangler.toml (local D1, Queues, DOs).
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

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
            // The fuzz suite's seed and run count (test/integration/fuzz-*.test.ts); empty = its fixed defaults.
            HOOKRELAY_FUZZ_SEED: process.env.HOOKRELAY_FUZZ_SEED ?? "",
            HOOKRELAY_FUZZ_RUNS: process.env.HOOKRELAY_FUZZ_RUNS ?? "",
          },
        },
      })),
    ],
    test: {
      include: ["test/integration/**/*.test.ts"],
      setupFiles: ["./test/integration/apply-migrations.ts"],
      globalSetup: ["./test/integration/receiver-global-setup.ts"],
      testTimeout: 30_000,
    },
  };
});
