// `npm start`: local HookRelay in one command — secrets, migrations, dashboard, `wrangler dev`, and a cron
// tick every minute (wrangler dev never fires cron triggers by itself). It ends with one banner, printed
// only once the server answers, that says where everything is.
import { spawn, spawnSync } from "node:child_process";
import { relative, resolve } from "node:path";
import { ensureDevVars } from "./dev-vars.mjs";
import { localRuntimeEnv } from "./local-runtime-env.mjs";
import { banner, createOutputFilter, pipeLines } from "./start-output.mjs";

const port = process.env.PORT || "8787";
const base = `http://127.0.0.1:${port}`;
// node_modules/.bin first: wrangler needs Node 22, which the `node` devDependency puts there (also when
// this script is run as `node scripts/start.mjs` rather than through npm).
const env = {
  ...localRuntimeEnv(),
  PATH: `${resolve("node_modules/.bin")}:${process.env.PATH}`,
  // Miniflare otherwise fetches a sample `Request.cf` object from the internet and prints a stack trace
  // when it is offline; the built-in placeholder is all local development needs.
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

/** Runs a step quietly; its output is shown only when it fails. */
function step(label, cmd, args) {
  const result = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env, encoding: "utf8" });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    console.error(`\n✖ ${label} failed: ${cmd} ${args.join(" ")} (exit ${result.status ?? result.error?.message}).`);
    process.exit(result.status ?? 1);
  }
  return result.stdout;
}

const devVars = ensureDevVars();
const devVarsPath = relative(process.cwd(), devVars.path) || devVars.path;
console.log(
  devVars.created
    ? `✔ Created ${devVarsPath} with a new admin key (ADMIN_API_KEY) and encryption key.`
    : `✔ Using ${devVarsPath} (never overwritten; delete it for new keys).`,
);

step("Dashboard build", "node", ["scripts/build-dashboard.mjs"]);
console.log("✔ Dashboard and API reference built.");
const migrated = step("D1 migrations", "wrangler", ["d1", "migrations", "apply", "DB", "--local"]);
const applied = (migrated.match(/✅/g) ?? []).length;
console.log(applied > 0 ? "✔ D1 migrations applied to the local database." : "✔ Local D1 database is up to date.");
console.log("… starting wrangler dev (workerd + Miniflare: local D1, Queues, Durable Objects)\n");

// --test-scheduled: wrangler then knows cron is driven from outside and skips its "Scheduled Workers are
// not automatically triggered" warning; this script fires cron every minute below.
const wrangler = spawn(
  "wrangler",
  ["dev", "--port", port, "--ip", "127.0.0.1", "--show-interactive-dev-session=false", "--test-scheduled"],
  { stdio: ["ignore", "pipe", "pipe"], env },
);
const filter = createOutputFilter();
pipeLines(wrangler.stdout, process.stdout, filter);
pipeLines(wrangler.stderr, process.stderr, filter);

const fireCron = async () => {
  try {
    await (await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`)).text();
  } catch {
    // wrangler not listening yet (or restarting); the next tick tries again.
  }
};
const cron = setInterval(fireCron, 60_000);

/** Polls /healthz (bounded) and prints the banner once the Worker answers. */
async function announceWhenReady() {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline && wrangler.exitCode === null) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) {
        console.log(banner({ url: base, devVarsPath, adminKey: devVars.vars.ADMIN_API_KEY }));
        return;
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (wrangler.exitCode === null) console.error(`✖ ${base}/healthz did not answer within 3 minutes; see wrangler's output above.`);
}
void announceWhenReady();

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
