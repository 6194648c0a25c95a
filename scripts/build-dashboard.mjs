// Builds the dashboard (Vite + React) into dashboard/dist, which wrangler serves as static assets, and puts
// the API reference UI (/docs) beside it: Swagger UI from the pinned `swagger-ui-dist` package, so /docs
// needs no third-party script at view time. Runs Vite from the project's own node_modules.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
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

// Served at /docs-ui/ (outside the Worker-first /docs/* routes); src/http/docs.ts names these files.
const swaggerDir = resolve("node_modules/swagger-ui-dist");
const outDir = resolve("dashboard/dist/docs-ui");
mkdirSync(outDir, { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) copyFileSync(resolve(swaggerDir, file), resolve(outDir, file));
copyFileSync(resolve("dashboard/docs-ui/init.js"), resolve(outDir, "init.js"));
const { version } = JSON.parse(readFileSync(resolve(swaggerDir, "package.json"), "utf8"));
console.log(`build-dashboard: dashboard and API reference (swagger-ui-dist ${version}) built into dashboard/dist.`);
