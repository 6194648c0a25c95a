// Builds the dashboard (Vite) into dashboard/dist, which wrangler serves as static assets.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";

if (existsSync("dashboard/vite.config.ts")) {
  const result = spawnSync("vite", ["build", "--config", "dashboard/vite.config.ts", "--logLevel", "warn"], {
    stdio: "inherit",
    shell: false,
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
} else {
  // Until the dashboard exists, serve a page that says so (wrangler needs the assets folder to exist).
  mkdirSync("dashboard/dist", { recursive: true });
  writeFileSync(
    "dashboard/dist/index.html",
    '<!doctype html><meta charset="utf-8"><title>HookRelay</title><p>HookRelay is running. API: <a href="/docs">/docs</a>.</p>\n',
  );
}
