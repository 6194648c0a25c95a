// `npm test`: type check, unit, integration (inside workerd) and e2e (Node, real servers) in order,
// then one closing line with the totals.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localRuntimeEnv } from "./local-runtime-env.mjs";

const env = localRuntimeEnv();
const reports = mkdtempSync(join(tmpdir(), "hookrelay-test-"));
// The "integration-redis" run repeats the cache suite and the suites it sits under against a real redis-server
// behind the Upstash REST server, which its globalSetup starts and stops (test/integration/redis-global-setup.ts).
const suites = [
  ["unit", "vitest.unit.config.ts"],
  ["integration", "vitest.config.ts"],
  ["integration-redis", "vitest.config.ts", { HOOKRELAY_TEST_REDIS: "1" }],
  ["e2e", "vitest.e2e.config.ts"],
];
const steps = [
  ["dashboard build", "node", ["scripts/build-dashboard.mjs"]],
  // The committed worker-configuration.d.ts must match wrangler.toml (`npm run cf-typegen` regenerates it);
  // --env-file /dev/null keeps a local .dev.vars (secrets) out of the comparison, as cf-typegen does.
  [
    "binding types",
    "wrangler",
    ["types", "worker-configuration.d.ts", "--env-interface", "CloudflareBindings", "--strict-vars", "false", "--env-file=/dev/null", "--check"],
  ],
  ["typecheck", "tsc", ["--noEmit", "-p", "tsconfig.json"]],
  // Builds sdk/dist (the CLI runs it) with web-platform libs only, so a Node-only API in the client fails here.
  ["sdk build", "tsc", ["-p", "sdk/tsconfig.json"]],
  ["cli typecheck", "tsc", ["-p", "sdk/cli/tsconfig.json"]],
  ...suites.map(([name, config, extraEnv]) => [
    name,
    "vitest",
    ["run", "--config", config, "--reporter=default", "--reporter=json", `--outputFile.json=${join(reports, `${name}.json`)}`],
    extraEnv,
  ]),
];

const results = [];
let passed = 0;
let failed = 0;
let skipped = 0;
// A test file that fails before its tests run (e.g. a hook throws) adds no failed test, only a failed suite.
let brokenFiles = 0;
for (const [name, cmd, args, extraEnv] of steps) {
  console.log(`\n=== ${name}: ${extraEnv ? `${Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`).join(" ")} ` : ""}${cmd} ${args.join(" ")}`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: "inherit", env: { ...env, ...extraEnv } });
  results.push({ name, ok: result.status === 0, seconds: Math.round((Date.now() - started) / 1000) });
  const report = join(reports, `${name}.json`);
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, "utf8"));
    passed += json.numPassedTests ?? 0;
    failed += json.numFailedTests ?? 0;
    skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
    brokenFiles += (json.testResults ?? []).filter((file) => file.status === "failed" && !file.assertionResults?.some((t) => t.status === "failed")).length;
  }
  if (result.status !== 0) break;
}
console.log("\n=== summary");
for (const r of results) console.log(`${r.ok ? "✔" : "✖"} ${r.name} (${r.seconds}s)`);
const ok = results.length === steps.length && results.every((r) => r.ok);
const broken = brokenFiles ? `, ${brokenFiles} test file${brokenFiles === 1 ? "" : "s"} failed outside any test` : "";
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${broken}`);
process.exit(ok ? 0 : 1);
