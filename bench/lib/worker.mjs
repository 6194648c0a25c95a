// Starts the Worker exactly as `npm start` runs it — `wrangler dev` (workerd + Miniflare, local D1, Queues,
// Durable Objects), migrated, dashboard built — on a free loopback port, with its own temp state dir, from a
// frozen copy of the sources (so edits made while it runs cannot hot-reload workerd mid-measurement).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { localRuntimeEnv } from "../../scripts/local-runtime-env.mjs";
import { listeningPortsByPid, processTree } from "./proc.mjs";

const ROOT = resolve(import.meta.dirname, "..", "..");

export async function freePort() {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once("error", rej);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

/** Environment for child processes: node_modules/.bin first (Node 22 + wrangler), no telemetry. */
export function childEnv() {
  return {
    ...localRuntimeEnv(),
    PATH: `${join(ROOT, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}`,
    CI: "true",
  };
}

/** The files `wrangler dev` builds and serves, copied as they are now; node_modules is linked, not copied. */
function snapshotSources() {
  const dir = mkdtempSync(join(tmpdir(), "hookrelay-bench-src-"));
  for (const p of ["src", "migrations", "wrangler.toml", "package.json", "tsconfig.json", "worker-configuration.d.ts"]) {
    if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  }
  mkdirSync(join(dir, "dashboard"));
  cpSync(join(ROOT, "dashboard", "dist"), join(dir, "dashboard", "dist"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

/** Which sources were measured: the commit, and how many files differed from it (uncommitted work). */
export function sourceState() {
  const git = (...a) => execFileSync("git", a, { cwd: ROOT, encoding: "utf8" }).trim();
  try {
    const dirty = git("status", "--porcelain", "--", "src", "migrations", "wrangler.toml").split("\n").filter(Boolean);
    return { commit: git("rev-parse", "--short", "HEAD"), uncommitted_source_files: dirty.length };
  } catch {
    return { commit: "unknown", uncommitted_source_files: null };
  }
}

/**
 * Runs `wrangler dev` and waits for /healthz. Returns { url, adminKey, pid, logs, stop() }.
 * `stop()` kills the whole process group (wrangler, workerd, esbuild) and removes the state dir.
 */
export async function startWorker(options = {}) {
  // freePort() only finds ports that were free a moment ago; another process can take one before wrangler
  // binds it. Such a start is retried on new ports, a bounded number of times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startWorkerOnce(options);
    } catch (err) {
      if (attempt >= 4 || !/Address already in use/.test(String(err?.message))) throw err;
      options.log?.(`wrangler dev could not bind its ports (attempt ${attempt}); retrying on new ports`);
    }
  }
}

async function startWorkerOnce({ readyTimeoutMs = 120_000, log = () => {} } = {}) {
  const env = childEnv();
  if (!existsSync(join(ROOT, "dashboard", "dist", "index.html"))) {
    log("building the dashboard (as npm start does)…");
    const built = spawnSync("node", ["scripts/build-dashboard.mjs"], { cwd: ROOT, env, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`dashboard build failed: ${built.stderr}\n${built.stdout}`);
  }
  const cwd = snapshotSources();
  const persistDir = mkdtempSync(join(tmpdir(), "hookrelay-bench-"));
  const adminKey = `bench-admin-${randomBytes(12).toString("hex")}`;
  const vars = {
    ADMIN_API_KEY: adminKey,
    ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    ALLOW_PRIVATE_ENDPOINTS: "true",
  };

  const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], {
    cwd,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (migrate.status !== 0) {
    rmSync(persistDir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
    throw new Error(`D1 migrations failed: ${migrate.stderr}\n${migrate.stdout}`);
  }

  const started = await launchWranglerDev({ cwd, persistDir, vars, readyTimeoutMs });
  return { ...started, adminKey, persistDir };
}

/**
 * Runs `wrangler dev` in `cwd` on a free loopback port with `persistDir` as its state, waits until GET /healthz
 * answers 200, and returns { url, runtimeUrl, port, inspectorPort, pid, logs, startup_ms, stop() } (runtimeUrl:
 * findRuntimeUrl). `stop()` kills the process group (wrangler, workerd, esbuild) and removes `cwd` and
 * `persistDir`. Shared by HookRelay and the bare pipeline.
 */
export async function launchWranglerDev({ cwd, persistDir, vars = {}, readyTimeoutMs = 120_000 }) {
  const env = childEnv();
  const port = await freePort();
  let inspectorPort = await freePort();
  while (inspectorPort === port) inspectorPort = await freePort();
  const args = [
    "dev",
    "--port", String(port),
    "--ip", "127.0.0.1",
    "--inspector-port", String(inspectorPort),
    "--persist-to", persistDir,
    "--show-interactive-dev-session=false",
    "--log-level", "info",
  ];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const startedAt = Date.now();
  const child = spawn("wrangler", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const logs = [];
  const keep = (d) => {
    logs.push(String(d));
    if (logs.length > 5000) logs.splice(0, logs.length - 5000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child);
    await new Promise((r) => setTimeout(r, 500));
    rmSync(persistDir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  };
  // Never leave a wrangler behind, whatever ends this process.
  process.once("exit", () => killGroup(child));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  let health; // the ready /healthz body: what the runtime's own port must answer too (findRuntimeUrl)
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited early:\n${logs.join("").slice(-4000)}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      health = await res.text();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev not ready after ${readyTimeoutMs} ms:\n${logs.join("").slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const runtimeUrl = await findRuntimeUrl(child.pid, port, health);
  return { url, runtimeUrl, port, inspectorPort, pid: child.pid, logs, startup_ms: Date.now() - startedAt, stop };
}

/**
 * The Worker's own address inside `wrangler dev`, or null. Wrangler puts a dev proxy (a second workerd, for
 * reloads) in front of every request; on a 2-core machine it takes 0.4–0.5 of a core at 200 requests/s, a
 * component neither pipeline has in production. Found as the port of a workerd other than the proxy's whose
 * /healthz answers `expected`, the body the proxied one answered.
 */
async function findRuntimeUrl(rootPid, proxyPort, expected) {
  try {
    const pids = processTree(rootPid).filter((p) => p.comm.startsWith("workerd")).map((p) => p.pid);
    const byPid = listeningPortsByPid(pids);
    const candidates = [...byPid.values()].filter((ports) => !ports.includes(proxyPort)).flat();
    for (const port of candidates) {
      const candidate = `http://127.0.0.1:${port}`;
      try {
        const res = await fetch(`${candidate}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200 && (await res.text()) === expected) return candidate;
      } catch {
        // not an HTTP listener (inspector, internal service)
      }
    }
  } catch {
    // /proc not readable: requests go through the dev proxy
  }
  return null;
}

function killGroup(child) {
  if (!child.pid || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
