// Micro benchmarks of pure modules in plain Node: `npx vitest run --config bench/micro/vitest.config.ts`.
// Not part of `npm test`: they print figures and only fail when the code under measurement misbehaves.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { root: ".", include: ["bench/micro/**/*.micro.ts"], environment: "node", testTimeout: 120_000 },
});
