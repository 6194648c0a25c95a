// Starts a real `wrangler dev` (workerd + Miniflare, local D1/Queues/DOs) on a free loopback port with its
// own state folder, migrated, for one test file. Stop it with `worker.stop()`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pollUntil } from "../../support/poll";
import { localRuntimeEnv } from "../../../scripts/local-runtime-env.mjs";

export interface RunningWorker {
  url: string;
  port: number;
  adminKey: string;
  persistDir: string;
  logs: string[];
  /** keepState: leave the state folder for a restart on the same state (startWorker({ persistDir })). */
  stop(opts?: { keepState?: boolean }): Promise<void>;
  /** Fires the cron handler now (wrangler's own scheduled route). */
  runCron(): Promise<void>;
  /** Runs SQL against this worker's local D1 (its state folder), as an operator would with wrangler. */
  sql(statement: string): unknown[];
  api(method: string, path: string, body?: unknown, key?: string | null): Promise<{ status: number; json: any; text: string; headers: Headers }>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  vars?: Record<string, string>;
  /** Milliseconds to wait for /healthz. */
  readyTimeoutMs?: number;
  /** Reuse this state folder (a restart after `stop({ keepState: true })`); default: a fresh one. */
  persistDir?: string;
}

export async function startWorker(opts: StartOptions = {}): Promise<RunningWorker> {
  const persistDir = opts.persistDir ?? mkdtempSync(join(tmpdir(), "hookrelay-e2e-"));
  const adminKey = opts.vars?.ADMIN_API_KEY ?? `e2e-admin-${Math.random().toString(36).slice(2)}`;
  const vars: Record<string, string> = {
    ADMIN_API_KEY: adminKey,
    ENCRYPTION_KEY: "e2e-encryption-key",
    ALLOW_PRIVATE_ENDPOINTS: "true",
    ...opts.vars,
  };
  // The environment npm start gives wrangler (local tracing off unless set: scripts/local-runtime-env.mjs says why).
  const env = { ...localRuntimeEnv(process.env), CI: "true" };

  const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], {
    env,
    encoding: "utf8",
  });
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}\n${migrate.stdout}`);

  // freePort() only finds a port that was free a moment ago: another process (a receiver, another
  // wrangler's inspector) can take it before wrangler binds. Such a start is retried on new ports.
  let started: Launched | undefined;
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await launch(persistDir, vars, env, opts.readyTimeoutMs ?? 90_000);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 4) throw err;
    }
  }
  const { child, port, logs } = started;
  const url = `http://127.0.0.1:${port}`;

  async function api(method: string, path: string, body?: unknown, key: string | null = adminKey) {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  }

  return {
    url,
    port,
    adminKey,
    persistDir,
    logs,
    api,
    sql(statement: string) {
      const out = spawnSync("wrangler", ["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--json", "--command", statement], {
        env,
        encoding: "utf8",
      });
      if (out.status !== 0) throw new Error(`d1 execute failed: ${out.stderr}\n${out.stdout}`);
      return (JSON.parse(out.stdout) as { results: unknown[] }[])[0]!.results;
    },
    async runCron() {
      const res = await fetch(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`);
      await res.text();
    },
    async stop(stopOpts: { keepState?: boolean } = {}) {
      killTree(child);
      await new Promise((r) => setTimeout(r, 300));
      if (!stopOpts.keepState) rmSync(persistDir, { recursive: true, force: true });
    },
  };
}

class PortTakenError extends Error {}

interface Launched {
  child: ChildProcess;
  port: number;
  logs: string[];
}

/** Starts `wrangler dev` on fresh loopback ports and waits for /healthz. */
async function launch(persistDir: string, vars: Record<string, string>, env: NodeJS.ProcessEnv, readyTimeoutMs: number): Promise<Launched> {
  const port = await freePort();
  let inspectorPort = await freePort();
  while (inspectorPort === port) inspectorPort = await freePort();
  const args = [
    "dev",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persistDir,
    "--show-interactive-dev-session=false",
    "--log-level",
    "info",
  ];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child: ChildProcess = spawn("wrangler", args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const logs: string[] = [];
  child.stdout?.on("data", (d) => logs.push(String(d)));
  child.stderr?.on("data", (d) => logs.push(String(d)));

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      const output = logs.join("");
      killTree(child);
      if (/Address already in use/.test(output)) throw new PortTakenError(`wrangler dev could not bind its ports:\n${output}`);
      throw new Error(`wrangler dev exited early:\n${output}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return { child, port, logs };
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      killTree(child);
      throw new Error(`wrangler dev did not become ready:\n${logs.join("")}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function killTree(child: ChildProcess) {
  try {
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

/** Polls `check` until it returns a truthy value or the time runs out (bounded loop). */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  return pollUntil(check, timeoutMs, intervalMs);
}
