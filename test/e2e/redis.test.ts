// End to end with the optional Redis: a real `wrangler dev` using a real redis-server behind the Upstash REST
// server. Redis is killed mid-run (SIGKILL) and started again: ingest, routing changes and delivery carry on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startReceiver, type Receiver } from "./support/receiver";
import { startRedis, type RunningRedis } from "./support/redis";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";

const NAMESPACE = `e2e-${Date.now()}`;
const LIMIT = 40;
let redis: RunningRedis;
let worker: RunningWorker;
let first: Receiver;
let second: Receiver;

beforeAll(async () => {
  redis = await startRedis();
  first = await startReceiver();
  second = await startReceiver();
  worker = await startWorker({
    vars: {
      UPSTASH_REDIS_REST_URL: redis.restUrl,
      UPSTASH_REDIS_REST_TOKEN: redis.token,
      HOOKRELAY_CACHE_NAMESPACE: NAMESPACE,
      INGEST_RATE_LIMIT_PER_MINUTE: String(LIMIT),
    },
  });
});
afterAll(async () => {
  await first?.close();
  await second?.close();
  await worker?.stop();
  await redis?.stop();
});

async function keysInRedis(): Promise<string[]> {
  return ((await redis.command("KEYS", `${NAMESPACE}:*`)) as string[]).sort();
}

/** Ingests `n` events one request each with `key`; returns their ids and the slowest answer in ms. */
async function ingest(owner: string, key: string, n: number, tag: string): Promise<{ ids: string[]; slowestMs: number }> {
  const ids: string[] = [];
  let slowestMs = 0;
  for (let i = 0; i < n; i++) {
    const started = Date.now();
    const res = await worker.api("POST", "/v1/events", { payload: { tag, i }, owner_id: owner, event_type: "order.created" }, key);
    slowestMs = Math.max(slowestMs, Date.now() - started);
    expect(res.status, res.text).toBe(202);
    ids.push(res.json.id);
  }
  return { ids, slowestMs };
}

const idsAt = (r: Receiver) => r.received.map((q) => q.headers["webhook-id"]!);

/** Waits until every id reached the receiver; on timeout the error shows what arrived and the Worker's log tail. */
async function deliveredTo(r: Receiver, ids: string[]): Promise<void> {
  await waitFor(async () => ids.every((id) => idsAt(r).includes(id)), 60_000).catch((err: unknown) => {
    const missing = ids.filter((id) => !idsAt(r).includes(id));
    const tail = worker.logs.join("").split("\n").filter((l) => !l.includes("workerd@")).slice(-40).join("\n");
    throw new Error(`${String(err)}; missing ${missing.length}/${ids.length}; received ${r.received.length}\n${tail}`);
  });
}

describe("with Redis (real redis-server behind the Upstash REST server)", () => {
  it("uses Redis, keeps ingesting and delivering while it is killed, and uses it again once it is back", async () => {
    const owner = "redis-acme";
    const key = (await worker.api("POST", "/v1/api-keys", { name: "k", owner_id: owner })).json.key as string;
    const ep1 = await worker.api("POST", "/v1/endpoints", { url: `${first.url}/hook`, owner_id: owner });
    const sub1 = await worker.api("POST", "/v1/subscriptions", { endpoint_id: ep1.json.id, event_types: ["*"] });
    expect(sub1.status).toBe(201);

    // 1. Redis up: events are delivered, and the routing table, the API key and the ingest counter are in Redis.
    const up = await ingest(owner, key, 10, "up");
    await deliveredTo(first, up.ids);
    const stored = await keysInRedis();
    expect(stored.some((k) => k.startsWith(`${NAMESPACE}:routes:`) && k.endsWith(`:${owner}`))).toBe(true);
    expect(stored.some((k) => k.startsWith(`${NAMESPACE}:apikey:`))).toBe(true);
    expect(stored.some((k) => k.startsWith(`${NAMESPACE}:ingest:`) && k.endsWith(`:${owner}`))).toBe(true);

    // 2. Redis killed. Routing changes made meanwhile still take effect (D1's config version decides).
    await redis.killRedis();
    const down = await ingest(owner, key, 10, "down");
    // Delivered before the routing change below, which would otherwise (rightly) route them to the new endpoint.
    await deliveredTo(first, down.ids);
    const ep2 = await worker.api("POST", "/v1/endpoints", { url: `${second.url}/hook`, owner_id: owner });
    expect((await worker.api("POST", "/v1/subscriptions", { endpoint_id: ep2.json.id, event_types: ["order.*"] })).status).toBe(201);
    expect((await worker.api("DELETE", `/v1/subscriptions/${sub1.json.id}`)).status).toBe(204);
    const afterChange = await ingest(owner, key, 5, "down-after-change");
    await deliveredTo(second, afterChange.ids);
    expect(idsAt(first).filter((id) => afterChange.ids.includes(id))).toEqual([]);
    expect(worker.logs.join("")).toContain("redis unavailable");
    // Each request waits for at most a Redis timeout or two (then the back-off skips Redis), never fails.
    expect(down.slowestMs).toBeLessThan(3_000);
    console.log(`REDIS-E2E slowest ingest answer: redis up ${up.slowestMs} ms, redis killed ${down.slowestMs} ms`);

    // 3. Redis back (empty). Commands the REST server's client queued while Redis was gone are replayed on
    // reconnect (increments the Worker had already given up on), so clear them to see what the Worker writes anew
    // once its back-off has passed.
    // restartRedis() returns once a PING passes through the REST server's client, which sends the commands it
    // queued first (in order): the replay is behind us and FLUSHALL clears it (no fixed sleep to hope it was).
    await redis.restartRedis();
    await redis.command("FLUSHALL");
    // The Worker skips Redis for its back-off after a failure (REDIS_BACKOFF_MS): ingest one event at a time until
    // it writes a counter again, rather than sleeping for a guess at how long that is (bounded: 20 s).
    const probes: string[] = [];
    await waitFor(async () => {
      probes.push(...(await ingest(owner, key, 1, "back-probe")).ids);
      return (await keysInRedis()).some((k) => k.startsWith(`${NAMESPACE}:ingest:`));
    }, 20_000);
    const back = await ingest(owner, key, 5, "back");
    back.ids.push(...probes);
    await deliveredTo(second, back.ids);

    // Every accepted event reached its endpoint exactly once per request it matched (receivers dedupe by webhook-id).
    for (const id of [...up.ids, ...down.ids]) expect(idsAt(first).filter((x) => x === id).length).toBeGreaterThanOrEqual(1);
    for (const id of [...afterChange.ids, ...back.ids]) expect(idsAt(second)).toContain(id);
  });

  it("throttles an owner key over INGEST_RATE_LIMIT_PER_MINUTE with 429 + Retry-After, counted in Redis; the admin key passes", async () => {
    const owner = "redis-throttled";
    const key = (await worker.api("POST", "/v1/api-keys", { name: "t", owner_id: owner })).json.key as string;
    // Stay inside one one-minute window (bounded wait: under 8 s).
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 8_000) await new Promise((r) => setTimeout(r, left + 100));
    const window = Math.floor(Date.now() / 60_000);
    const events = Array.from({ length: LIMIT }, (_, i) => ({ payload: { i }, owner_id: owner, event_type: "order.created" }));
    expect((await worker.api("POST", "/v1/events/batch", { events }, key)).status).toBe(202);
    const over = await worker.api("POST", "/v1/events", events[0], key);
    expect(over.status).toBe(429);
    expect(over.json).toMatchObject({ code: "rate_limited", status: 429 });
    expect(over.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    // The counter lives in Redis (INCRBY + EXPIRE in one pipeline) with a TTL.
    const counterKey = `${NAMESPACE}:ingest:${window}:${owner}`;
    expect(Number(await redis.command("GET", counterKey))).toBe(LIMIT + 1);
    const ttl = Number(await redis.command("TTL", counterKey));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(120);
    expect((await worker.api("POST", "/v1/events", events[0])).status).toBe(202);
  });

  it("throttles a WebSocket source's owner too: the frame over the limit is nacked rate_limited with retry_after", async () => {
    const owner = "redis-ws";
    const source = await worker.api("POST", "/v1/sources", { type: "websocket", name: "ws", owner_id: owner });
    expect(source.status, source.text).toBe(201);
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 8_000) await new Promise((r) => setTimeout(r, left + 100));
    const ws = new WebSocket(`${worker.url.replace("http://", "ws://")}/ingest/ws/${source.json.id}`, {
      headers: { authorization: `Bearer ${source.json.token}` },
      closeTimeout: 2_000,
    });
    const replies: any[] = [];
    ws.on("message", (data) => replies.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    try {
      const events = Array.from({ length: LIMIT }, (_, i) => ({ payload: { i }, event_type: "order.created" }));
      ws.send(JSON.stringify({ ref: "all", events }));
      await waitFor(async () => replies.length >= 1, 10_000);
      ws.send(JSON.stringify({ ref: "one-more", payload: { x: 1 }, event_type: "order.created" }));
      await waitFor(async () => replies.length >= 2, 10_000);
      expect(replies[0]).toMatchObject({ ref: "all", ok: true });
      expect(replies[1]).toMatchObject({ ref: "one-more", ok: false, error: { code: "rate_limited" } });
      expect(replies[1].error.retry_after).toBeGreaterThanOrEqual(1);
      expect(replies[1].error.retry_after).toBeLessThanOrEqual(60);
    } finally {
      ws.terminate();
    }
  });
});
