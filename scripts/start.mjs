// `npm start`: local HookRelay in one command — secrets, migrations, dashboard, `wrangler dev`, and a
// cron tick every minute (wrangler dev never fires cron triggers by itself).
import { spawn, spawnSync } from "node:child_process";
import { ensureDevVars } from "./dev-vars.mjs";

const port = process.env.PORT || "8787";
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

function run(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env });
  if (result.status !== 0) {
    console.error(`\n✖ ${cmd} ${args.join(" ")} failed (exit ${result.status}).`);
    process.exit(result.status ?? 1);
  }
}

const devVars = ensureDevVars();
console.log(
  devVars.created
    ? `✔ Created ${devVars.path} with a new admin key (ADMIN_API_KEY) and encryption key.`
    : `✔ Using existing ${devVars.path}.`,
);
console.log(`  Admin API key: ${devVars.vars.ADMIN_API_KEY ?? "(not set in .dev.vars)"}`);

run("node", ["scripts/build-dashboard.mjs"]);
run("wrangler", ["d1", "migrations", "apply", "DB", "--local"]);

const wrangler = spawn("wrangler", ["dev", "--port", port, "--ip", "127.0.0.1", "--show-interactive-dev-session=false"], {
  stdio: ["ignore", "inherit", "inherit"],
  env,
});

const base = `http://127.0.0.1:${port}`;
const cron = setInterval(async () => {
  try {
    await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`);
  } catch {
    // wrangler not listening yet (or restarting); the next tick tries again.
  }
}, 60_000);

console.log(`\n  HookRelay: ${base}  (dashboard /, API /v1, docs /docs); cron fires every minute.\n`);

function stop(signal) {
  clearInterval(cron);
  wrangler.kill(signal);
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
wrangler.on("exit", (code) => {
  clearInterval(cron);
  process.exit(code ?? 0);
});
