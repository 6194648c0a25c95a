// WebSocket source ingest end to end: a real `ws` client against a real `wrangler dev`, events acked per
// frame, delivered to a loopback receiver, garbage nacked without closing, tokens checked before upgrade.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";
import { startReceiver, type Receiver } from "./support/receiver";

const MAX_PAYLOAD_BYTES = 4096;
/** The server's default bound on unanswered frames per connection (WS_MAX_IN_FLIGHT unset). */
const SERVER_WINDOW = 32;

let worker: RunningWorker;
let receiver: Receiver;
const figures: string[] = [];

beforeAll(async () => {
  [worker, receiver] = await Promise.all([startWorker({ vars: { MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES) } }), startReceiver()]);
});
afterAll(async () => {
  if (figures.length) console.log(`\nWebSocket ingest throughput (wrangler dev, this machine):\n${figures.join("\n")}\n`);
  await receiver?.close();
  await worker?.stop();
});

// --- sources -------------------------------------------------------------------------------------

interface WsSource {
  id: string;
  token: string;
  ownerId: string;
  worker: RunningWorker;
}

/** Creates a WebSocket source through POST /v1/sources; its token is shown once, in this answer. */
async function createWsSource(ownerId: string, extra: Record<string, unknown> = {}, w: RunningWorker = worker): Promise<WsSource> {
  const res = await w.api("POST", "/v1/sources", { type: "websocket", name: `ws for ${ownerId}`, owner_id: ownerId, ...extra });
  expect(res.status, res.text).toBe(201);
  expect(res.json).toMatchObject({ type: "websocket", status: "active", ingest_url: expect.stringContaining(`/ingest/ws/${res.json.id}`) });
  expect(typeof res.json.token).toBe("string");
  return { id: res.json.id, token: res.json.token, ownerId, worker: w };
}

async function subscribeReceiver(ownerId: string, eventTypes: string[]): Promise<string> {
  const ep = await worker.api("POST", "/v1/endpoints", { url: `${receiver.url}/${ownerId}`, owner_id: ownerId });
  expect(ep.status, ep.text).toBe(201);
  const sub = await worker.api("POST", "/v1/subscriptions", { endpoint_id: ep.json.id, event_types: eventTypes });
  expect(sub.status, sub.text).toBe(201);
  return ep.json.id;
}

function deliveredIds(ownerId: string): Set<string> {
  return new Set(receiver.received.filter((r) => r.path === `/${ownerId}`).map((r) => r.headers["webhook-id"]!));
}

// --- client --------------------------------------------------------------------------------------

function wsUrl(sourceId: string, query = "", w: RunningWorker = worker): string {
  return `${w.url.replace("http://", "ws://")}/ingest/ws/${sourceId}${query}`;
}

interface Conn {
  ws: WebSocket;
  worker: RunningWorker;
  replies: any[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the next `n` replies (bounded by time). */
  next(n?: number, timeoutMs?: number): Promise<any[]>;
}

function connect(source: WsSource, opts: { query?: string; headers?: Record<string, string> } = {}): Promise<Conn> {
  const headers = opts.headers ?? { authorization: `Bearer ${source.token}` };
  // closeTimeout: local workerd sends a server-initiated Close frame at once but ends the TCP connection only
  // when that socket had sent something before (see the rotation test); ws waits 30 s for that by default.
  const ws = new WebSocket(wsUrl(source.id, opts.query, source.worker), { headers, closeTimeout: 2000 });
  const replies: any[] = [];
  let waiters: (() => void)[] = [];
  ws.on("message", (data, isBinary) => {
    replies.push(isBinary ? { binary: data } : parseReply(String(data)));
    const w = waiters;
    waiters = [];
    for (const fn of w) fn();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  let consumed = 0;
  const conn: Conn = {
    ws,
    worker: source.worker,
    replies,
    closed,
    async next(n = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (replies.length < consumed + n) {
        if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${n} replies, have ${replies.length - consumed}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, 100);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
      const out = replies.slice(consumed, consumed + n);
      consumed += n;
      return out;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(conn));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

function parseReply(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return { text };
  }
}

/** Tries an upgrade that should be refused; returns the HTTP status and body the server sent instead. */
function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => {
      ws.close();
      reject(new Error("upgrade unexpectedly accepted"));
    });
    ws.once("unexpected-response", (_req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"]), body: parseReply(Buffer.concat(chunks).toString()) });
        ws.terminate();
      });
    });
    ws.once("error", () => undefined);
  });
}

/**
 * `wrangler dev` rebuilds and restarts when files under src/ change, dropping in-flight work and the
 * objects holding sockets; say so when a test times out, since a shared checkout changes under it.
 */
function reloadNote(conn: Conn): string {
  const n = conn.worker.logs.join("").split("Reloading local server").length - 1;
  return n > 0 ? ` (wrangler dev reloaded ${n} time(s) during this run)` : "";
}

function logTail(conn: Conn): string {
  return conn.worker.logs.join("").split("\n").slice(-15).join("\n");
}

/** When acks stop coming: is REST ingest (the same accept()) stuck too, and has the events consumer run? */
async function diagnoseStall(w: RunningWorker, err: unknown): Promise<never> {
  const t0 = Date.now();
  const rest = await Promise.race([
    w.api("POST", "/v1/events", { payload: { probe: true }, owner_id: "probe", event_type: "probe" }).then((r) => String(r.status)),
    new Promise<string>((r) => setTimeout(() => r("no answer"), 5000)),
  ]);
  const batches = w.logs.join("").split("QUEUE hookrelay-events").length - 1;
  throw new Error(`${String(err)}\n  probe: POST /v1/events -> ${rest} after ${Date.now() - t0} ms; events-queue batches logged so far: ${batches}`);
}

interface StreamResult {
  ids: string[];
  rateLimited: number;
  firstSendAt: number;
  lastAckAt: number;
}

/**
 * Sends `count` events over one connection keeping at most `window` frames unanswered, resending any
 * frame nacked as rate_limited; resolves when every event has been acked. Bounded in time.
 */
function streamEvents(conn: Conn, label: string, count: number, window = SERVER_WINDOW, timeoutMs = 60_000): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const ids = new Array<string>(count);
    let acked = 0;
    let nextRef = 0;
    let inFlight = 0;
    let rateLimited = 0;
    const retry: number[] = [];
    const firstSendAt = Date.now();
    const timer = setTimeout(
      () => reject(new Error(`${label}: ${acked}/${count} acked after ${timeoutMs} ms${reloadNote(conn)}; last log lines:\n${logTail(conn)}`)),
      timeoutMs,
    );
    const send = (i: number) => {
      inFlight++;
      conn.ws.send(JSON.stringify({ ref: `${label}-${i}`, payload: { label, i }, event_type: "ws.test.event" }));
    };
    const pump = () => {
      while (inFlight < window && (retry.length > 0 || nextRef < count)) send(retry.length > 0 ? retry.shift()! : nextRef++);
    };
    conn.ws.on("message", (data) => {
      const reply = parseReply(String(data));
      if (typeof reply.ref !== "string" || !reply.ref.startsWith(`${label}-`)) return;
      inFlight--;
      const i = Number(reply.ref.slice(label.length + 1));
      if (reply.ok) {
        if (ids[i] === undefined) acked++;
        ids[i] = reply.id;
      } else if (reply.error?.code === "rate_limited") {
        rateLimited++;
        retry.push(i);
      } else {
        clearTimeout(timer);
        reject(new Error(`${label}: frame ${i} nacked: ${JSON.stringify(reply)}`));
        return;
      }
      if (acked === count) {
        clearTimeout(timer);
        resolve({ ids, rateLimited, firstSendAt, lastAckAt: Date.now() });
      } else pump();
    });
    pump();
  });
}

function rate(events: number, ms: number): string {
  return `${Math.round((events / ms) * 1000)} events/s`;
}

// --- tests ---------------------------------------------------------------------------------------

describe("WebSocket source: handshake", () => {
  let source: WsSource;
  beforeAll(async () => {
    source = await createWsSource("ws-handshake");
  });

  it("refuses a missing or wrong token with 401 problem+json before upgrading", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong-token" }, { authorization: `Bearer ${source.token}x` }]) {
      const res = await refusedUpgrade(wsUrl(source.id), headers);
      expect(res.status).toBe(401);
      expect(res.contentType).toContain("application/problem+json");
      expect(res.body).toMatchObject({ status: 401, code: "unauthorized" });
    }
    const viaQuery = await refusedUpgrade(wsUrl(source.id, "?token=nope"));
    expect(viaQuery.status).toBe(401);
  });

  it("answers 404 for an unknown or non-WebSocket source and 426 for a plain GET", async () => {
    const unknown = await refusedUpgrade(wsUrl("src_doesnotexist"), { authorization: `Bearer ${source.token}` });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("not_found");
    const sns = await worker.api("POST", "/v1/sources", { type: "sns", name: "not a socket", owner_id: "ws-handshake" });
    expect(sns.status, sns.text).toBe(201);
    expect((await refusedUpgrade(wsUrl(sns.json.id), { authorization: `Bearer ${source.token}` })).status).toBe(404);
    const plain = await fetch(`${worker.url}/ingest/ws/${source.id}`, { headers: { authorization: `Bearer ${source.token}` } });
    expect(plain.status).toBe(426);
    expect(plain.headers.get("content-type")).toContain("application/problem+json");
    expect((await plain.json()).code).toBe("upgrade_required");
  });

  it("upgrades with the token in the header or in ?token=, and answers the keepalive ping", async () => {
    const a = await connect(source);
    const b = await connect(source, { query: `?token=${encodeURIComponent(source.token)}`, headers: {} });
    a.ws.send("ping");
    expect(await a.next()).toEqual([{ text: "pong" }]);
    b.ws.close(1000, "done");
    a.ws.close(1000, "done");
    expect((await b.closed).code).toBe(1000);
    expect((await a.closed).code).toBe(1000);
  });
});

describe("WebSocket source: idle connections", () => {
  it("keeps serving a connection after it sat idle long enough for its object to hibernate", async () => {
    const source = await createWsSource("ws-idle", { event_type: "ws.idle.default" });
    await subscribeReceiver(source.ownerId, ["ws.idle.*"]);
    const conn = await connect(source);
    conn.ws.send(JSON.stringify({ ref: "before", payload: { n: 1 } }));
    const [before] = await conn.next();
    expect(before).toMatchObject({ ref: "before", ok: true });
    // Idle: only the keepalive, which the runtime answers without waking the object.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 5000));
      conn.ws.send("ping");
      expect(await conn.next()).toEqual([{ text: "pong" }]);
    }
    // The source, owner and default event type come back from the socket's attachment.
    conn.ws.send(JSON.stringify({ ref: "after", payload: { n: 2 } }));
    const [after] = await conn.next();
    expect(after).toMatchObject({ ref: "after", ok: true });
    const delivered = await waitFor(async () => {
      const got = receiver.received.filter((r) => r.path === `/${source.ownerId}`);
      return got.length >= 2 ? got : undefined;
    }, 60_000);
    expect(new Set(delivered.map((r) => r.headers["webhook-id"]))).toEqual(new Set([before.id, after.id]));
    for (const r of delivered) {
      expect(r.headers["hookrelay-event-type"]).toBe("ws.idle.default");
      expect(r.headers["hookrelay-owner-id"]).toBe("ws-idle");
    }
    conn.ws.close(1000);
    await conn.closed;
  });
});

describe("WebSocket source: garbage frames", () => {
  it("nacks binary, non-JSON, schema errors, oversize frames and unknown fields, and stays open", async () => {
    const source = await createWsSource("ws-garbage");
    const conn = await connect(source);
    const cases: { frame: string | Buffer; ref: unknown; code: string }[] = [
      { frame: Buffer.from([1, 2, 3]), ref: null, code: "unsupported_media_type" },
      { frame: "{not json", ref: null, code: "invalid_json" },
      { frame: JSON.stringify({ ref: "bad-type", payload: {}, event_type: "not a valid type!" }), ref: "bad-type", code: "validation_failed" },
      { frame: JSON.stringify({ ref: "no-payload", event_type: "ws.test" }), ref: "no-payload", code: "validation_failed" },
      { frame: JSON.stringify({ ref: "unknown", payload: {}, event_type: "ws.test", colour: "red" }), ref: "unknown", code: "validation_failed" },
      { frame: JSON.stringify({ ref: "batch-extra", events: [{ payload: 1, event_type: "ws.test" }], x: 1 }), ref: "batch-extra", code: "validation_failed" },
      { frame: JSON.stringify({ ref: "frame-too-big", payload: "x".repeat(MAX_PAYLOAD_BYTES + 20_000), event_type: "ws.test" }), ref: null, code: "payload_too_large" },
      { frame: JSON.stringify({ ref: "payload-too-big", payload: "x".repeat(MAX_PAYLOAD_BYTES + 10), event_type: "ws.test" }), ref: "payload-too-big", code: "payload_too_large" },
      { frame: JSON.stringify({ ref: "owner", payload: {}, event_type: "ws.test", owner_id: "someone-else" }), ref: "owner", code: "forbidden" },
      { frame: "[]", ref: null, code: "validation_failed" },
    ];
    for (const c of cases) {
      conn.ws.send(c.frame);
      const [reply] = await conn.next();
      expect(reply, `frame ${String(c.frame).slice(0, 60)}`).toMatchObject({ ref: c.ref, ok: false, error: { code: c.code } });
      expect(typeof reply.error.detail).toBe("string");
    }
    // A batch with one bad event is refused whole and names the index.
    conn.ws.send(JSON.stringify({ ref: "bad-batch", events: [{ payload: 1, event_type: "ws.test" }, { payload: 2, event_type: "bad type" }] }));
    const [batchReply] = await conn.next();
    expect(batchReply).toMatchObject({ ref: "bad-batch", ok: false, error: { code: "validation_failed" } });
    expect(JSON.stringify(batchReply.error.errors)).toContain("events.1");

    // Still open, still working: one event and one batch are acked on the same connection.
    expect(conn.ws.readyState).toBe(WebSocket.OPEN);
    conn.ws.send(JSON.stringify({ ref: 1, payload: { ok: true }, event_type: "ws.test" }));
    conn.ws.send(JSON.stringify({ ref: 2, events: [{ payload: 1, event_type: "ws.test" }, { payload: 2, event_type: "ws.test" }] }));
    const replies = await conn.next(2);
    const single = replies.find((r) => r.ref === 1);
    const batch = replies.find((r) => r.ref === 2);
    expect(single).toMatchObject({ ok: true, id: expect.stringMatching(/^evt_/) });
    expect(batch).toMatchObject({ ok: true, ids: [expect.stringMatching(/^evt_/), expect.stringMatching(/^evt_/)] });
    // Nothing else was sent: exactly one reply per frame.
    expect(conn.replies).toHaveLength(cases.length + 3);
    conn.ws.close(1000);
    await conn.closed;
  });
});

describe("WebSocket source: flow control", () => {
  // Its own worker with a small window, so a burst reliably has more frames in flight than allowed.
  let small: RunningWorker;
  beforeAll(async () => {
    small = await startWorker({ vars: { WS_MAX_IN_FLIGHT: "2" } });
  });
  afterAll(async () => {
    await small?.stop();
  });

  it("nacks frames beyond the in-flight window with rate_limited instead of buffering them", async () => {
    const source = await createWsSource("ws-flow", {}, small);
    const conn = await connect(source);
    const burst = 400;
    for (let i = 0; i < burst; i++) conn.ws.send(JSON.stringify({ ref: i, payload: { i }, event_type: "ws.flow" }));
    const replies = await conn.next(burst, 60_000);
    expect(new Set(replies.map((r) => r.ref)).size).toBe(burst); // every frame answered exactly once
    const acked = replies.filter((r) => r.ok);
    const limited = replies.filter((r) => !r.ok);
    for (const r of limited) expect(r.error).toMatchObject({ code: "rate_limited", detail: expect.stringContaining("at most 2") });
    expect(acked.length).toBeGreaterThanOrEqual(2);
    expect(limited.length).toBeGreaterThan(0);
    expect(new Set(acked.map((r) => r.id)).size).toBe(acked.length);
    // The connection stays usable: a paced producer gets everything acked.
    expect(conn.ws.readyState).toBe(WebSocket.OPEN);
    const paced = await streamEvents(conn, "paced", 50, 2);
    expect(new Set(paced.ids).size).toBe(50);
    conn.ws.close(1000);
    await conn.closed;
  });
});

describe("WebSocket source: throughput and delivery", () => {
  it("acks 1,000 events over one connection and delivers every one to the subscribed receiver", async () => {
    const source = await createWsSource("ws-one");
    await subscribeReceiver(source.ownerId, ["ws.test.*"]);
    const conn = await connect(source);
    const result = await streamEvents(conn, "one", 1000).catch((err) => diagnoseStall(worker, err));
    const ids = new Set(result.ids);
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^evt_/);
    figures.push(`  1 connection x 1,000 events: ${rate(1000, result.lastAckAt - result.firstSendAt)} acked (${result.lastAckAt - result.firstSendAt} ms, ${result.rateLimited} rate_limited resends)`);
    conn.ws.close(1000);
    await conn.closed;

    await waitFor(async () => deliveredIds(source.ownerId).size >= 1000, 120_000, 500);
    const delivered = deliveredIds(source.ownerId);
    expect(delivered.size).toBe(1000);
    for (const id of ids) expect(delivered.has(id)).toBe(true);
  });

  it("acks 1,000 events sent as 10 batch frames of 100 over one connection", async () => {
    const source = await createWsSource("ws-batch");
    const conn = await connect(source);
    const start = Date.now();
    for (let f = 0; f < 10; f++) {
      conn.ws.send(JSON.stringify({ ref: f, events: Array.from({ length: 100 }, (_, i) => ({ payload: { f, i }, event_type: "ws.batch" })) }));
    }
    const replies = await conn.next(10, 30_000);
    const end = Date.now();
    for (const r of replies) expect(r).toMatchObject({ ok: true, ids: expect.any(Array) });
    const ids = new Set(replies.flatMap((r) => r.ids));
    expect(ids.size).toBe(1000);
    figures.push(`  1 connection x 10 batch frames of 100: ${rate(1000, end - start)} acked (${end - start} ms)`);
    conn.ws.close(1000);
    await conn.closed;
  });

  it("acks 20 concurrent connections x 100 events and delivers every one", async () => {
    const source = await createWsSource("ws-twenty");
    await subscribeReceiver(source.ownerId, ["*"]);
    const conns = await Promise.all(Array.from({ length: 20 }, () => connect(source)));
    const start = Date.now();
    const results = await Promise.all(conns.map((c, n) => streamEvents(c, `c${n}`, 100))).catch((err) => diagnoseStall(worker, err));
    const end = Math.max(...results.map((r) => r.lastAckAt));
    const ids = new Set(results.flatMap((r) => r.ids));
    expect(ids.size).toBe(2000);
    const resends = results.reduce((s, r) => s + r.rateLimited, 0);
    figures.push(`  20 connections x 100 events: ${rate(2000, end - start)} acked (${end - start} ms, ${resends} rate_limited resends)`);
    await Promise.all(conns.map(async (c) => (c.ws.close(1000), c.closed)));

    await waitFor(async () => deliveredIds(source.ownerId).size >= 2000, 120_000, 500);
    const delivered = deliveredIds(source.ownerId);
    expect(delivered.size).toBe(2000);
    for (const id of ids) expect(delivered.has(id)).toBe(true);
    // The receiver got each event's payload as the body, labelled with the event type.
    const sample = receiver.received.find((r) => r.path === `/${source.ownerId}`)!;
    expect(sample.headers["hookrelay-event-type"]).toBe("ws.test.event");
    expect(JSON.parse(sample.body)).toHaveProperty("label");
  });
});

describe("WebSocket source: rotation and deletion", () => {
  it("closes existing connections when the token is rotated; the old token is refused, the new one works", async () => {
    const source = await createWsSource("ws-rotate");
    const conns = await Promise.all(Array.from({ length: 6 }, () => connect(source)));
    // Half of them have streamed an event, half are idle: both kinds must be closed.
    for (const c of conns.slice(0, 3)) c.ws.send(JSON.stringify({ ref: "before", payload: {}, event_type: "ws.rotated" }));
    for (const c of conns.slice(0, 3)) expect((await c.next())[0]).toMatchObject({ ref: "before", ok: true });
    const rotated = await worker.api("POST", `/v1/sources/${source.id}/rotate-token`);
    expect(rotated.status, rotated.text).toBe(200);
    const newToken: string = rotated.json.token;
    expect(newToken).not.toBe(source.token);

    const closes = await Promise.race([
      Promise.all(conns.map((c) => c.closed)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("connections not closed within 10 s")), 10_000)),
    ]);
    for (const close of closes) expect(close).toEqual({ code: 4001, reason: "token rotated" });
    expect((await refusedUpgrade(wsUrl(source.id), { authorization: `Bearer ${source.token}` })).status).toBe(401);
    const fresh = await connect({ ...source, token: newToken });
    fresh.ws.send(JSON.stringify({ ref: "after", payload: {}, event_type: "ws.rotated" }));
    expect((await fresh.next())[0]).toMatchObject({ ref: "after", ok: true });
    fresh.ws.close(1000);
    await fresh.closed;
  });

  it("closes existing connections when the source is deleted, and refuses new ones with 404", async () => {
    const source = await createWsSource("ws-delete");
    const conns = await Promise.all(Array.from({ length: 4 }, () => connect(source)));
    const deleted = await worker.api("DELETE", `/v1/sources/${source.id}`);
    expect(deleted.status, deleted.text).toBe(204);
    const closes = await Promise.race([
      Promise.all(conns.map((c) => c.closed)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("connections not closed within 10 s")), 10_000)),
    ]);
    for (const close of closes) expect(close).toEqual({ code: 4001, reason: "source deleted" });
    expect((await refusedUpgrade(wsUrl(source.id), { authorization: `Bearer ${source.token}` })).status).toBe(404);
  });
});
