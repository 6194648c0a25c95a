// Builds the dashboard (Vite + React) into dashboard/dist, which wrangler serves as static assets.
// Runs Vite from the project's own node_modules so it works with or without npm's PATH.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const vite = resolve("node_modules/.bin/vite");
if (!existsSync(vite)) {
  console.error("build-dashboard: node_modules/.bin/vite is missing — run `npm install` first.");
  process.exit(1);
}
const result = spawnSync(vite, ["build", "--config", "dashboard/vite.config.ts", "--logLevel", "warn"], {
  stdio: "inherit",
  env: { ...process.env, PATH: `${resolve("node_modules/.bin")}:${process.env.PATH}` },
});
if (result.status !== 0) {
  console.error(`build-dashboard: vite build failed (exit ${result.status}).`);
  process.exit(result.status ?? 1);
}
