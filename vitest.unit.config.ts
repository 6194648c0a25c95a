// Unit tests: pure modules (domain/, pure delivery helpers) in plain Node.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["test/unit/**/*.test.ts"], environment: "node" },
});
