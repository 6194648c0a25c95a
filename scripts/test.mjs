// `npm test`: type check, unit, integration (inside workerd) and e2e (Node, real servers) in order.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const steps = [
  ["dashboard build", "node", ["scripts/build-dashboard.mjs"]],
  ["typecheck", "tsc", ["--noEmit", "-p", "tsconfig.json"]],
  ["unit", "vitest", ["run", "--config", "vitest.unit.config.ts"]],
  ["integration", "vitest", ["run", "--config", "vitest.config.ts"]],
  ["e2e", "vitest", ["run", "--config", "vitest.e2e.config.ts"]],
];

const results = [];
for (const [name, cmd, args] of steps) {
  if (name === "e2e" && !existsSync("vitest.e2e.config.ts")) continue;
  console.log(`\n=== ${name}: ${cmd} ${args.join(" ")}`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: "inherit", env });
  results.push({ name, ok: result.status === 0, seconds: Math.round((Date.now() - started) / 1000) });
  if (result.status !== 0) break;
}
console.log("\n=== summary");
for (const r of results) console.log(`${r.ok ? "✔" : "✖"} ${r.name} (${r.seconds}s)`);
process.exit(results.every((r) => r.ok) && results.length > 0 ? 0 : 1);
