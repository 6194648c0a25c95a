// `hookrelay listen` end to end: the real CLI as a subprocess, a real `wrangler dev`, and a real receiver on
// 127.0.0.1 that verifies every Standard Webhooks signature with the endpoint's secret over the exact body.
// Deliveries made while nobody listens are held and flow when the CLI connects; the local outcome becomes the
// attempt in GET /v1/deliveries/{id}; a local 500 is retried by the endpoint's policy; Ctrl-C exits 0 and
// what is sent afterwards is held again.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver, type ReceivedRequest } from "./support/receiver";
import { buildSdk, ROOT } from "./support/sdk-build";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";

const CLI = join(ROOT, "sdk/cli/hookrelay.mjs");
// The machine's own node (20 here) when present: the CLI promises to run on plain Node ≥ 20.
const NODE = existsSync("/usr/bin/node") ? "/usr/bin/node" : process.execPath;
const OWNER = "relay-e2e";

let worker: RunningWorker;
let receiver: Receiver;
/** Set once the endpoint exists: the receiver checks every request against it. */
let secret: string | null = null;
const verified: { req: ReceivedRequest; ok: boolean }[] = [];
const running: ChildProcess[] = [];

beforeAll(async () => {
  buildSdk();
  [worker, receiver] = await Promise.all([
    startWorker(),
    startReceiver((req, _i, res) => {
      let ok = false;
      try {
        new Webhook(secret!).verify(req.body, req.headers);
        ok = true;
      } catch {}
      verified.push({ req, ok });
      // The first attempt of an event whose payload asks for it fails locally; everything else succeeds.
      const fail = req.body.includes('"fail_first":true') && req.headers["hookrelay-attempt"] === "1";
      res.writeHead(fail ? 500 : 200, { "content-type": "text/plain" }).end(fail ? "local boom" : `local ok ${req.headers["hookrelay-attempt"]}`);
    }),
  ]);
});
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});
afterAll(async () => {
  await Promise.all([worker?.stop(), receiver?.close()]);
});

function listen(extraEnv: Record<string, string> = {}, extraArgs: string[] = []) {
  const proc = spawn(NODE, [CLI, "listen", "--owner", OWNER, "--forward-to", `${receiver.url}/hook`, "--types", "order.*", ...extraArgs], {
    env: { ...process.env, HOOKRELAY_URL: worker.url, HOOKRELAY_API_KEY: worker.adminKey, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(proc);
  const out = { stdout: "", stderr: "" };
  proc.stdout!.on("data", (d) => (out.stdout += d));
  proc.stderr!.on("data", (d) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, out, exited };
}

async function send(eventType: string, payload: unknown): Promise<string> {
  const res = await worker.api("POST", "/v1/events", { owner_id: OWNER, event_type: eventType, payload });
  expect(res.status).toBe(202);
  return res.json.id as string;
}

/** The delivery of `eventId` once it exists, as GET /v1/deliveries/{id} shows it. */
async function deliveryOf(eventId: string, status?: string) {
  return waitFor(async () => {
    const list = await worker.api("GET", `/v1/deliveries?event_id=${eventId}`);
    const id = list.json?.data?.[0]?.id as string | undefined;
    if (!id) return undefined;
    const one = await worker.api("GET", `/v1/deliveries/${id}`);
    return status === undefined || one.json?.status === status ? one.json : undefined;
  }, 45_000);
}

describe("hookrelay listen against HookRelay", () => {
  it("holds deliveries while nobody listens, relays them signed when the CLI connects, retries a local 500, and holds again after Ctrl-C", async () => {
    // 1. The CLI creates the relay endpoint and its subscription, connects, and stops cleanly on Ctrl-C.
    const first = listen();
    await waitFor(async () => first.out.stderr.includes("connected"), 60_000);
    const endpoints = await worker.api("GET", `/v1/endpoints?owner_id=${OWNER}`);
    expect(endpoints.json.data).toEqual([expect.objectContaining({ kind: "relay", url: null, description: "hookrelay listen" })]);
    const endpointId = endpoints.json.data[0].id as string;
    secret = (await worker.api("GET", `/v1/endpoints/${endpointId}`)).json.secret as string;
    // Quick retries for the 500 case below (the default policy waits 5 s with jitter).
    const patched = await worker.api("PATCH", `/v1/endpoints/${endpointId}`, {
      retry: { strategy: "constant", max_attempts: 3, delay_s: 1, jitter: false },
    });
    expect(patched.status).toBe(200);
    first.proc.kill("SIGINT");
    expect(await first.exited).toBe(0);

    // 2. Sent while nobody listens: held, not attempted.
    const early = await send("order.created", { n: 1, text: "ünïcode  spaced" });
    const flaky = await send("order.paid", { n: 2, fail_first: true });
    for (const id of [early, flaky]) {
      const held = await deliveryOf(id, "held");
      expect(held.attempts).toEqual([]);
      expect(held.endpoint_id).toBe(endpointId);
    }
    expect(verified).toHaveLength(0);

    // 3. The CLI connects again (reusing the endpoint by name): both flow to the receiver, signed.
    // Keepalive pings every 300 ms: the server's runtime must answer them, or the CLI would reconnect.
    const second = listen({ HOOKRELAY_LISTEN_PING_MS: "300" });
    const done = await deliveryOf(early, "succeeded");
    const retried = await deliveryOf(flaky, "succeeded");
    expect((await worker.api("GET", `/v1/endpoints?owner_id=${OWNER}`)).json.data).toHaveLength(1);

    expect(verified.every((v) => v.ok)).toBe(true);
    const earlyHit = verified.find((v) => v.req.headers["webhook-id"] === early)!;
    expect(earlyHit.req.body).toBe(JSON.stringify({ n: 1, text: "ünïcode  spaced" }));
    expect(earlyHit.req.path).toBe("/hook");
    expect(earlyHit.req.headers["hookrelay-delivery-id"]).toBe(done.id);

    // The local outcome is the attempt: status code, duration, response body.
    expect(done.attempts).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, error: null, response_body: "local ok 1" })]);
    expect(done.attempts[0].duration_ms).toEqual(expect.any(Number));
    expect(done.attempts[0].duration_ms).toBeGreaterThanOrEqual(0);

    // A local 500 is a failed attempt, retried by the endpoint's policy (constant, 1 s).
    expect(retried.attempts.map((a: any) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    expect(retried.attempts[0].response_body).toBe("local boom");
    const gap = Date.parse(retried.attempts[1].started_at) - Date.parse(retried.attempts[0].started_at);
    expect(gap).toBeGreaterThanOrEqual(900);
    const flakyHits = verified.filter((v) => v.req.headers["webhook-id"] === flaky);
    expect(flakyHits.map((v) => v.req.headers["hookrelay-attempt"])).toEqual(["1", "2"]);

    // A line per delivery on stdout: time, event type, delivery id, local status, ms.
    // (The CLI prints right after answering; its stdout may reach this process a moment after the record.)
    const lines = [new RegExp(`order\\.created {2}${done.id} {2}→ 200 {2}\\d+ms`), new RegExp(`order\\.paid {2}${retried.id} {2}→ 500 {2}\\d+ms`)];
    await waitFor(async () => lines.every((re) => re.test(second.out.stdout)), 10_000).catch(() => undefined);
    for (const re of lines) expect(second.out.stdout).toMatch(re);

    // Pings answered all along: one connection, no keepalive reconnects (the run lasted several intervals).
    await new Promise((r) => setTimeout(r, 1500));
    expect(second.out.stderr).not.toContain("keepalive");
    expect(second.out.stderr.match(/^connected$/gm)).toHaveLength(1);

    // 4. Ctrl-C: exit 0; what is sent afterwards is held again and reaches nobody.
    second.proc.kill("SIGINT");
    expect(await second.exited).toBe(0);
    const hitsBefore = verified.length;
    const late = await send("order.created", { n: 3 });
    const held = await deliveryOf(late, "held");
    expect(held.attempts).toEqual([]);
    expect(verified).toHaveLength(hitsBefore);
  });

  it("the listen socket refuses what it must with problem+json before any upgrade", async () => {
    const http = await worker.api("POST", "/v1/endpoints", { owner_id: OWNER, url: `${receiver.url}/plain` });
    const plainGet = await worker.api("GET", `/v1/endpoints/${http.json.id}/listen`);
    expect(plainGet.status).toBe(409);
    expect(plainGet.headers.get("content-type")).toContain("application/problem+json");
    expect(plainGet.json.code).toBe("conflict");

    // A key of another owner cannot listen to this owner's relay endpoint: 404 before the upgrade, exit 1.
    const other = await worker.api("POST", "/v1/api-keys", { name: "other", owner_id: "someone-else" });
    const relayId = (await worker.api("GET", `/v1/endpoints?owner_id=${OWNER}`)).json.data.find((e: any) => e.kind === "relay").id as string;
    const { WebSocket } = await import("ws");
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${worker.url.replace("http", "ws")}/v1/endpoints/${relayId}/listen`, { headers: { authorization: `Bearer ${other.json.key}` } });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => {});
    });
    expect(refused).toBe(404);
  });

  it("deleting the relay endpoint disconnects the CLI, which then exits 1 with the 404", async () => {
    const run = listen({}, ["--name", "short-lived"]);
    await waitFor(async () => run.out.stderr.includes("connected"), 60_000);
    const ep = (await worker.api("GET", `/v1/endpoints?owner_id=${OWNER}`)).json.data.find((e: any) => e.description === "short-lived");
    expect((await worker.api("DELETE", `/v1/endpoints/${ep.id}`)).status).toBe(204);
    expect(await run.exited).toBe(1);
    expect(run.out.stderr).toContain("disconnected (4004 endpoint deleted)");
    expect(run.out.stderr).toMatch(/404 not_found/);
  });
});
