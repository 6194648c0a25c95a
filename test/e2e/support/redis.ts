// A real Redis for tests: Debian's redis-server on a free loopback port (own temp dir, no persistence) behind
// @humanwhocodes/upstash-redis-server (the Upstash REST API), both child processes this module starts and stops.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./worker";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface RunningRedis {
  /** UPSTASH_REDIS_REST_URL for the Worker. */
  restUrl: string;
  /** UPSTASH_REDIS_REST_TOKEN for the Worker. */
  token: string;
  redisPort: number;
  /** Kills redis-server (SIGKILL, as a crash would); the REST server stays up and answers with errors or hangs. */
  killRedis(): Promise<void>;
  /** Starts redis-server again on the same port (empty: nothing persisted). */
  restartRedis(): Promise<void>;
  /** One command through the REST API, as the Worker sends it. */
  command(...args: (string | number)[]): Promise<unknown>;
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

export async function startRedis(): Promise<RunningRedis> {
  if (!redisServerAvailable()) throw new Error("redis-server is not installed (apt-get install -y redis-server; .ci/run does it)");
  const dir = mkdtempSync(join(tmpdir(), "hookrelay-redis-"));
  const redisPort = await freePort();
  const restPort = await freePort();
  const token = `urs-${Math.random().toString(36).slice(2)}`;
  const logs: string[] = [];

  let redis: ChildProcess | undefined;
  const launchRedis = async () => {
    // No RDB snapshots, no AOF: a test Redis keeps nothing on disk; loopback only.
    redis = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    redis.stdout?.on("data", (d) => logs.push(String(d)));
    redis.stderr?.on("data", (d) => logs.push(String(d)));
    await waitUntil(
      async () => spawnSync("redis-cli", ["-p", String(redisPort), "ping"], { encoding: "utf8" }).stdout.trim() === "PONG",
      `redis-server on ${redisPort}\n${logs.join("")}`,
    );
  };
  try {
    await launchRedis();
  } catch (err) {
    await kill(redis);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  // The package's own bin listens on every interface; this serves its app on 127.0.0.1 only. Bare imports
  // resolve from the repository (the child's cwd), where both packages are installed.
  const script = `
    const { createApp } = await import("@humanwhocodes/upstash-redis-server");
    const { serve } = await import("@hono/node-server");
    const app = createApp({ token: process.env.URS_TOKEN, redisUrl: process.env.REDIS_URL });
    serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: "127.0.0.1" });
  `;
  const rest = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: repoRoot,
    env: { ...process.env, URS_TOKEN: token, PORT: String(restPort), REDIS_URL: `redis://127.0.0.1:${redisPort}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  rest.stdout?.on("data", (d) => logs.push(String(d)));
  rest.stderr?.on("data", (d) => logs.push(String(d)));
  const restUrl = `http://127.0.0.1:${restPort}`;

  async function command(...args: (string | number)[]): Promise<unknown> {
    const res = await fetch(restUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(args),
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await res.json()) as { result?: unknown; error?: string };
    if (!res.ok || body.error) throw new Error(`redis ${args[0]}: ${res.status} ${body.error ?? ""}`);
    return body.result;
  }
  try {
    await waitUntil(async () => (await command("PING")) === "PONG", `upstash-redis-server on ${restPort}\n${logs.join("")}`);
  } catch (err) {
    // Never leave a half-started pair behind.
    await kill(rest);
    await kill(redis);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    restUrl,
    token,
    redisPort,
    command,
    killRedis: () => kill(redis),
    async restartRedis() {
      await kill(redis);
      await launchRedis();
      // The REST server's client reconnects on its own; wait until commands pass through again.
      await waitUntil(async () => (await command("PING")) === "PONG", "redis after restart");
    },
    async stop() {
      await kill(rest);
      await kill(redis);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
