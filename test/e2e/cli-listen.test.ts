// `hookrelay listen`, CLI side only, against a small stand-in for HookRelay that speaks API.md's "SDK and CLI"
// contract (relay endpoint + subscription over REST, delivery frames over GET /v1/endpoints/{id}/listen).
// The stand-in can do what the real server will not on demand (drop the socket, send junk frames, refuse);
// the CLI against the real server is test/e2e/relay-listen.test.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { startReceiver, type Receiver } from "./support/receiver";
import { buildSdk, ROOT } from "./support/sdk-build";
import { waitFor } from "./support/worker";

const CLI = join(ROOT, "sdk/cli/hookrelay.mjs");
const NODE = existsSync("/usr/bin/node") ? "/usr/bin/node" : process.execPath;
const KEY = "listen-test-key";

interface FakeState {
  endpoints: Record<string, unknown>[];
  subscriptions: Record<string, unknown>[];
  creates: number;
  sockets: WebSocket[];
  answers: Record<string, unknown>[];
  closes: number[];
  refuseWith: number | null;
  /** Accept sockets that never answer pings (a dead peer whose TCP connection still looks open). */
  noPong: boolean;
}
const state: FakeState = { endpoints: [], subscriptions: [], creates: 0, sockets: [], answers: [], closes: [], refuseWith: null, noPong: false };
let server: Server;
let base = "";
let receiver: Receiver;
let child: ChildProcess | undefined;

function send(res: ServerResponse, status: number, body?: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(body === undefined ? undefined : JSON.stringify(body));
}
async function readJson(req: IncomingMessage) {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || "{}");
}

beforeAll(async () => {
  buildSdk();
  receiver = await startReceiver((req, _i, res) => {
    const status = req.path.endsWith("/fail") ? 503 : 200;
    res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "local ok" : "local down");
  });
  const wss = new WebSocketServer({ noServer: true });
  const deaf = new WebSocketServer({ noServer: true, autoPong: false });
  server = createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${KEY}`) return send(res, 401, { code: "unauthorized", status: 401 });
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET" && url.pathname === "/v1/endpoints") {
      return send(res, 200, { data: state.endpoints.filter((e) => e.owner_id === url.searchParams.get("owner_id")), next_cursor: null });
    }
    if (req.method === "POST" && url.pathname === "/v1/endpoints") {
      const body = await readJson(req);
      state.creates++;
      const ep = { ...body, id: `ep_relay${state.creates}`, url: null, status: "active" };
      state.endpoints.push(ep);
      return send(res, 201, ep);
    }
    if (req.method === "GET" && url.pathname === "/v1/subscriptions") {
      return send(res, 200, { data: state.subscriptions.filter((s) => s.endpoint_id === url.searchParams.get("endpoint_id")), next_cursor: null });
    }
    if (req.method === "POST" && url.pathname === "/v1/subscriptions") {
      const sub = { ...(await readJson(req)), id: `sub_${state.subscriptions.length + 1}` };
      state.subscriptions.push(sub);
      return send(res, 201, sub);
    }
    const patch = /^\/v1\/subscriptions\/(.+)$/.exec(url.pathname);
    if (req.method === "PATCH" && patch) {
      const sub = state.subscriptions.find((s) => s.id === patch[1])!;
      Object.assign(sub, await readJson(req));
      return send(res, 200, sub);
    }
    send(res, 404, { code: "not_found", status: 404 });
  });
  server.on("upgrade", (req, socket, head) => {
    const ok = req.headers.authorization === `Bearer ${KEY}` && /^\/v1\/endpoints\/ep_relay\d+\/listen$/.test(req.url ?? "");
    if (!ok || state.refuseWith) {
      const status = state.refuseWith ?? 401;
      const body = JSON.stringify({ code: status === 404 ? "not_found" : "unauthorized", status, detail: "refused by the test" });
      socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-type: application/problem+json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    (state.noPong ? deaf : wss).handleUpgrade(req, socket, head, (ws) => {
      state.sockets.push(ws);
      ws.on("message", (data) => state.answers.push(JSON.parse(String(data))));
      ws.on("close", (code) => state.closes.push(code));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});
afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  child = undefined;
});
afterAll(async () => {
  await receiver?.close();
  for (const ws of state.sockets) ws.terminate();
  await new Promise<void>((r) => server.close(() => r()));
});

function listen(args: string[], extraEnv: Record<string, string> = {}) {
  const proc = spawn(NODE, [CLI, "listen", ...args], {
    env: { ...process.env, HOOKRELAY_URL: base, HOOKRELAY_API_KEY: KEY, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  const out = { stdout: "", stderr: "" };
  proc.stdout!.on("data", (d) => (out.stdout += d));
  proc.stderr!.on("data", (d) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, out, exited };
}

const frame = (id: string, path: string, body: string) => ({
  delivery_id: id,
  attempt: 1,
  headers: {
    "content-type": "application/json",
    "webhook-id": `evt_${id}`,
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    "hookrelay-event-type": "order.created",
    "hookrelay-delivery-id": id,
    "Content-Length": "999",
  },
  body,
  _path: path,
});

describe("hookrelay listen (CLI side, fake server)", () => {
  it("creates a relay endpoint, forwards frames byte for byte, answers outcomes, reconnects and stops on Ctrl-C", async () => {
    const run = listen(["--owner", "acme", "--forward-to", `${receiver.url}/hook`, "--types", "order.*"]);
    await waitFor(async () => state.sockets.length === 1 && run.out.stderr.includes("connected"));
    expect(state.endpoints).toEqual([expect.objectContaining({ kind: "relay", owner_id: "acme", description: "hookrelay listen" })]);
    expect(state.subscriptions).toEqual([expect.objectContaining({ endpoint_id: "ep_relay1", event_types: ["order.*"] })]);

    const body = '{"n":1,"s":"ünï"}  ';
    const { _path, ...f1 } = frame("dlv_1", "/hook", body);
    state.sockets[0]!.send("not json");
    state.sockets[0]!.send(JSON.stringify(f1));
    await waitFor(async () => state.answers.length === 1);
    const hit = receiver.received.find((r) => r.headers["hookrelay-delivery-id"] === "dlv_1")!;
    expect(hit.body).toBe(body);
    expect(hit.path).toBe("/hook");
    expect(hit.headers["webhook-signature"]).toBe(f1.headers["webhook-signature"]);
    expect(hit.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(state.answers[0]).toEqual({ delivery_id: "dlv_1", attempt: 1, status_code: 200, duration_ms: expect.any(Number), response_body: "local ok" });
    expect(run.out.stdout).toMatch(/order\.created {2}dlv_1 {2}→ 200 {2}\d+ms/);
    expect(run.out.stderr).toContain("not JSON");

    // The server drops the socket: the CLI comes back on its own.
    state.sockets[0]!.terminate();
    await waitFor(async () => state.sockets.length === 2 && state.sockets[1]!.readyState === 1, 15_000);

    run.proc.kill("SIGINT");
    expect(await run.exited).toBe(0);
    await waitFor(async () => state.closes.includes(1000));
  });

  it("reuses the endpoint by name, reports local failures and unreachable receivers as outcomes", async () => {
    const run = listen(["--owner", "acme", "--forward-to", `${receiver.url}/fail`, "--types", "order.*,invoice.*", "--json"]);
    await waitFor(async () => state.sockets.length === 3 && run.out.stderr.includes("connected"));
    expect(state.creates).toBe(1);
    expect(state.subscriptions).toHaveLength(1);
    expect(state.subscriptions[0]!.event_types).toEqual(["order.*", "invoice.*"]);
    const { _path, ...f2 } = frame("dlv_2", "/fail", "{}");
    state.sockets[2]!.send(JSON.stringify(f2));
    await waitFor(async () => state.answers.some((a) => a.delivery_id === "dlv_2"));
    expect(state.answers.find((a) => a.delivery_id === "dlv_2")).toMatchObject({ status_code: 503, response_body: "local down" });
    expect(JSON.parse(run.out.stdout)).toMatchObject({ delivery_id: "dlv_2", status_code: 503, event_type: "order.created" });
    run.proc.kill("SIGINT");
    expect(await run.exited).toBe(0);

    const down = listen(["--owner", "acme", "--forward-to", "http://127.0.0.1:1/hook"]);
    await waitFor(async () => state.sockets.length === 4 && down.out.stderr.includes("connected"));
    const { _path: _p, ...f3 } = frame("dlv_3", "/", "{}");
    state.sockets[3]!.send(JSON.stringify(f3));
    await waitFor(async () => state.answers.some((a) => a.delivery_id === "dlv_3"));
    expect(state.answers.find((a) => a.delivery_id === "dlv_3")).toMatchObject({ status_code: null, error: expect.stringMatching(/^network: /) });
    down.proc.kill("SIGTERM");
    expect(await down.exited).toBe(0);
  });

  it("exits 1 with the problem when the server refuses the socket, and 2 on bad usage", async () => {
    state.refuseWith = 404;
    const run = listen(["--owner", "acme", "--forward-to", `${receiver.url}/hook`]);
    expect(await run.exited).toBe(1);
    expect(run.out.stderr).toContain("404 not_found: refused by the test");
    state.refuseWith = null;
    expect(await listen(["--owner", "acme"]).exited).toBe(2);
    expect(await listen(["--owner", "acme", "--forward-to", "ftp://x"]).exited).toBe(2);
  });

  it("pings to keep the connection; a peer that stops answering pings is dropped and reconnected", async () => {
    const ping = { HOOKRELAY_LISTEN_PING_MS: "300" };
    // A live peer answers every ping: the connection stays (about 6 pings here).
    const before = state.sockets.length;
    const live = listen(["--owner", "acme", "--forward-to", `${receiver.url}/hook`], ping);
    await waitFor(async () => state.sockets.length === before + 1 && live.out.stderr.includes("connected"));
    await new Promise((r) => setTimeout(r, 2000));
    expect(live.out.stderr).not.toContain("keepalive");
    expect(state.sockets).toHaveLength(before + 1);
    live.proc.kill("SIGINT");
    expect(await live.exited).toBe(0);

    // A peer that never answers: dropped after two unanswered pings, then connected again.
    state.noPong = true;
    const dead = listen(["--owner", "acme", "--forward-to", `${receiver.url}/hook`], ping);
    await waitFor(async () => state.sockets.length >= before + 3, 15_000);
    expect(dead.out.stderr).toContain("no answer to keepalive pings; reconnecting");
    state.noPong = false;
    dead.proc.kill("SIGINT");
    expect(await dead.exited).toBe(0);
  });
});
