// The cache layer on the configured implementation: scripts/test.mjs runs this file twice, on the per-isolate
// memory cache and on a real redis-server behind the Upstash REST server (HOOKRELAY_TEST_REDIS=1). Covers
// routing across two isolates, API-key eviction, ingest throttling, Redis failures, and D1 reads per event.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { memoryCache, sharedCache } from "../../src/cache/cache";
import { MemoryCache } from "../../src/cache/memory-cache";
import { RedisCache, REDIS_TIMEOUT_MS } from "../../src/cache/redis-cache";
import { lookupStats, resetLookupStats } from "../../src/cache/stats";
import { createApp } from "../../src/app";
import { getDb } from "../../src/db/client";
import { CONFIG_VERSION_TRUST_MS, readConfigVersions, ROUTING_CHANGE_SETTLE_MS } from "../../src/db/repos/config-versions";
import { matchEndpoints } from "../../src/domain/event-matching";
import { sha256Hex } from "../../src/domain/crypto";
import type { EventsQueueBody } from "../../src/ingest/queue-messages";
import type { Env } from "../../src/env";
import { clearRoutingCache, createRouter, sharedRoutesKey } from "../../src/fanout/router";
import { clearApiKeyCache } from "../../src/http/middleware/auth";
import { throttleIngest } from "../../src/ingest/throttle";
import { instrumentEnv, resetCounters, snapshot } from "../../src/observability/counters";
import { received, receiverUrl, script, uniqueKey } from "./delivery-fixtures";
import { pollUntil } from "../support/poll";
import { createEndpoint, deliveriesOf, eventually, runEvents, subscribe, testEnv } from "./fanout-helpers";
import { ADMIN_KEY, call, expectProblem } from "./helpers";

const settings = env as unknown as { UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string; HOOKRELAY_CACHE_NAMESPACE: string };
const withRedis = settings.UPSTASH_REDIS_REST_URL !== "";
const db = getDb(testEnv.DB);
const app = createApp();

/** A request through the Worker's app with a modified env (settings the shared test bindings leave off). */
async function fetchWith(runEnv: Env, method: string, path: string, body: unknown, key: string) {
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`http://hookrelay.test${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    runEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

async function ownerKey(owner: string): Promise<{ id: string; key: string }> {
  const res = await call("POST", "/v1/api-keys", { body: { name: `cache ${owner}`, owner_id: owner } });
  expect(res.status).toBe(201);
  return { id: res.json.id, key: res.json.key };
}

async function versionOf(owner: string): Promise<number> {
  return (await readConfigVersions(db, [owner])).get(owner) ?? 0;
}

/** A queue producer that keeps what ingest sends, so the test runs the consumer on exactly those messages. */
function capturingQueue(into: EventsQueueBody[]): Queue<EventsQueueBody> {
  return {
    async send(body: EventsQueueBody) {
      into.push(body);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<EventsQueueBody>>) {
      for (const m of messages) into.push(m.body);
    },
  } as unknown as Queue<EventsQueueBody>;
}

/** Waits until at least `seconds` remain in the current one-minute throttle window (bounded: < 6 s). */
async function awayFromWindowEdge(seconds = 5): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1000) await new Promise((r) => setTimeout(r, left + 50));
}

describe(`cache layer (${withRedis ? "Upstash Redis" : "per-isolate memory"})`, () => {
  it("uses the implementation the settings select, and it stores, expires, deletes and counts", async () => {
    const cache = sharedCache(testEnv);
    expect(cache.kind).toBe(withRedis ? "redis" : "memory");
    const key = uniqueKey("probe");
    await cache.setMany([[key, { a: 1 }]], 60);
    expect((await cache.getMany([key, `${key}-absent`])).get(key)).toEqual({ a: 1 });
    expect((await cache.getMany([`${key}-absent`])).size).toBe(0);
    expect(await cache.increment(`${key}-n`, 2, 60)).toBe(2);
    expect(await cache.increment(`${key}-n`, 3, 60)).toBe(5);
    expect(await cache.delete([key])).toBe(true);
    expect((await cache.getMany([key])).has(key)).toBe(false);

    // Shared means shared: another client (another isolate's) sees the same entry; memory is this isolate's alone.
    await cache.setMany([[key, "v"]], 60);
    const other = withRedis
      ? new RedisCache({ url: settings.UPSTASH_REDIS_REST_URL, token: settings.UPSTASH_REDIS_REST_TOKEN, namespace: settings.HOOKRELAY_CACHE_NAMESPACE })
      : new MemoryCache();
    expect((await other.getMany([key])).get(key)).toBe(withRedis ? "v" : undefined);
    // Expiry: a one-second entry is there, then gone — polled (bounded: 10 s), not judged after one fixed sleep,
    // while the long-lived entry beside it stays.
    await cache.setMany([[`${key}-short`, 1]], 1);
    expect((await cache.getMany([`${key}-short`])).get(`${key}-short`)).toBe(1);
    await pollUntil(async () => (await cache.getMany([`${key}-short`])).size === 0, 10_000, 100);
    expect((await cache.getMany([key])).get(key)).toBe("v");
  });

  it("two isolates: once a subscription is deleted neither routes to it, though the old entry is still cached", async () => {
    const owner = uniqueKey("cache-route");
    const [keep, drop] = [uniqueKey("keep"), uniqueKey("drop")];
    const keepEp = await createEndpoint(owner, receiverUrl(keep));
    const dropEp = await createEndpoint(owner, receiverUrl(drop));
    await subscribe(keepEp, ["order.*"]);
    const dropSub = await subscribe(dropEp, ["order.*"]);
    const shared = sharedCache(testEnv);
    // Two routers, each with its own memory, as two isolates have; both share this D1 and (when set) this Redis.
    const isolateA = createRouter();
    const isolateB = createRouter();
    const routed = async (iso: ReturnType<typeof createRouter>) =>
      matchEndpoints((await iso.routingFor(db, [owner], shared)).get(owner)!, { eventType: "order.created", ownerId: owner, payload: "{}" })
        .targets.map((e) => e.endpointId)
        .sort();

    resetLookupStats();
    expect(await routed(isolateA)).toEqual([keepEp, dropEp].sort());
    expect(await routed(isolateB)).toEqual([keepEp, dropEp].sort());
    // With Redis, B takes A's load from Redis; without, each isolate reads D1.
    expect(lookupStats().d1_route_reads).toBe(withRedis ? 1 : 2);
    const before = await versionOf(owner);

    expect((await call("DELETE", `/v1/subscriptions/${dropSub}`)).status).toBe(204);
    expect(await versionOf(owner)).toBeGreaterThan(before);
    expect(await routed(isolateA)).toEqual([keepEp]);
    expect(await routed(isolateB)).toEqual([keepEp]);
    if (withRedis) {
      // The pre-delete entry is still in Redis under its own version: routing is right because entries are keyed
      // by config version (a reader of the new version can never see it), not because a delete happened to land.
      const stale = await shared.getMany<{ endpointId: string }[]>([sharedRoutesKey(owner, before)]);
      expect(stale.get(sharedRoutesKey(owner, before))?.map((r) => r.endpointId).sort()).toEqual([keepEp, dropEp].sort());
    }

    // And through the real pipeline (REST ingest → events queue → consumer → EndpointDO): only `keep` hears of it.
    const res = await call("POST", "/v1/events", { body: { payload: { n: 1 }, owner_id: owner, event_type: "order.created" } });
    expect(res.status).toBe(202);
    const got = await eventually(async () => ((await received(keep)).length > 0 ? received(keep) : null));
    expect(got[0]!.headers["webhook-id"]).toBe(res.json.id);
    const rows = await eventually(async () => ((await deliveriesOf(res.json.id)).length > 0 ? deliveriesOf(res.json.id) : null));
    expect(rows.map((r) => r.endpoint_id)).toEqual([keepEp]);
    expect(await received(drop)).toEqual([]);
  });

  it("trusts an owner's config version for CONFIG_VERSION_TRUST_MS, and a routing write answers only after that", async () => {
    const owner = uniqueKey("cache-trust");
    const [first, second] = [uniqueKey("trust-a"), uniqueKey("trust-b")];
    await subscribe(await createEndpoint(owner, receiverUrl(first)), ["order.*"]);
    const shared = sharedCache(testEnv);
    let clock = 1_000_000;
    const isolate = createRouter({ now: () => clock });
    const routed = async () =>
      matchEndpoints((await isolate.routingFor(db, [owner], shared)).get(owner)!, { eventType: "order.created", ownerId: owner, payload: "{}" }).targets.length;

    resetLookupStats();
    expect(await routed()).toBe(1);
    expect(lookupStats().d1_config_version_reads).toBe(1);
    clock += CONFIG_VERSION_TRUST_MS - 1;
    expect(await routed()).toBe(1);
    expect(lookupStats().d1_config_version_reads).toBe(1); // within the window: no read
    clock += 1;
    expect(await routed()).toBe(1);
    expect(lookupStats().d1_config_version_reads).toBe(2); // the window ran out: read again (same version: trusted anew)

    // A change made now is not seen until the window runs out — which is why its writer answers only after a longer
    // wait: on the real clock, no isolate still trusts a read from before the write once the caller has the answer.
    const started = Date.now();
    await subscribe(await createEndpoint(owner, receiverUrl(second)), ["order.*"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * ROUTING_CHANGE_SETTLE_MS); // two writes, each settled
    expect(ROUTING_CHANGE_SETTLE_MS).toBeGreaterThan(CONFIG_VERSION_TRUST_MS);
    expect(await routed()).toBe(1);
    clock += CONFIG_VERSION_TRUST_MS;
    expect(await routed()).toBe(2);
    expect(lookupStats().d1_config_version_reads).toBe(3);
  });

  it("two isolates: a filter set, changed or cleared reroutes both (filters travel in the shared entry)", async () => {
    const owner = uniqueKey("cache-filter");
    const ep = await createEndpoint(owner, receiverUrl(uniqueKey("cache-filter-ep")));
    const sub = await call("POST", "/v1/subscriptions", { body: { endpoint_id: ep, event_types: ["order.*"], filter: { "payload.n": { $gt: 10 } } } });
    expect(sub.status).toBe(201);
    const shared = sharedCache(testEnv);
    const [isolateA, isolateB] = [createRouter(), createRouter()];
    const routes = async (iso: ReturnType<typeof createRouter>, n: number) => {
      const index = (await iso.routingFor(db, [owner], shared)).get(owner)!;
      const { targets, filteredOut } = matchEndpoints(index, { eventType: "order.created", ownerId: owner, payload: JSON.stringify({ n }) });
      return { to: targets.map((t) => t.endpointId), filteredOut };
    };

    resetLookupStats();
    expect(await routes(isolateA, 50)).toEqual({ to: [ep], filteredOut: 0 });
    expect(await routes(isolateB, 5)).toEqual({ to: [], filteredOut: 1 });
    // With Redis, B compiled the filter from A's shared entry without reading D1.
    expect(lookupStats().d1_route_reads).toBe(withRedis ? 1 : 2);
    if (withRedis) {
      const entry = await shared.getMany<{ filtered?: { filter: unknown }[] }[]>([sharedRoutesKey(owner, await versionOf(owner))]);
      expect(entry.get(sharedRoutesKey(owner, await versionOf(owner)))?.[0]?.filtered?.[0]?.filter).toEqual({ "payload.n": { $gt: 10 } });
    }

    expect((await call("PATCH", `/v1/subscriptions/${sub.json.id}`, { body: { filter: { "payload.n": { $lt: 10 } } } })).status).toBe(200);
    for (const iso of [isolateA, isolateB]) {
      expect(await routes(iso, 5)).toEqual({ to: [ep], filteredOut: 0 });
      expect(await routes(iso, 50)).toEqual({ to: [], filteredOut: 1 });
    }
    expect((await call("PATCH", `/v1/subscriptions/${sub.json.id}`, { body: { filter: null } })).status).toBe(200);
    for (const iso of [isolateA, isolateB]) expect(await routes(iso, 50)).toEqual({ to: [ep], filteredOut: 0 });
  });

  it("API keys: a cold isolate finds a live key (in Redis when set); a deleted key is refused at once everywhere", async () => {
    const owner = uniqueKey("cache-key");
    const { id, key } = await ownerKey(owner);
    const hash = await sha256Hex(key);
    expect((await call("GET", "/v1/endpoints", { key })).status).toBe(200);
    const shared = sharedCache(testEnv);
    expect((await shared.getMany([`apikey:${hash}`])).get(`apikey:${hash}`)).toEqual(
      withRedis ? { kind: "owner", ownerId: owner, keyId: id } : undefined,
    );

    clearApiKeyCache(); // a fresh isolate
    resetLookupStats();
    expect((await call("GET", "/v1/endpoints", { key })).status).toBe(200);
    expect(lookupStats().d1_api_key_reads).toBe(withRedis ? 0 : 1);

    expect((await call("DELETE", `/v1/api-keys/${id}`)).status).toBe(204);
    // With Redis the entry becomes a tombstone; a lookup that read D1 just before the delete and fills late
    // (SET NX) cannot put the key back.
    expect((await shared.getMany([`apikey:${hash}`])).get(`apikey:${hash}`)).toEqual(withRedis ? { kind: "revoked" } : undefined);
    if (withRedis) await shared.setMany([[`apikey:${hash}`, { kind: "owner", ownerId: owner, keyId: id }]], 60, { ifAbsent: true });
    expectProblem(await call("GET", "/v1/endpoints", { key }), 401, "unauthorized");
    clearApiKeyCache(); // another isolate, cold
    resetLookupStats();
    expectProblem(await call("GET", "/v1/endpoints", { key }), 401, "unauthorized");
    // Redis's tombstone answers without D1; without Redis, D1 does.
    expect(lookupStats().d1_api_key_reads).toBe(withRedis ? 0 : 1);
  });

  it("unknown keys are never written to the shared store", async () => {
    const bogus = `hr_${crypto.randomUUID().replaceAll("-", "")}`;
    expectProblem(await call("GET", "/v1/endpoints", { key: bogus }), 401, "unauthorized");
    const hash = await sha256Hex(bogus);
    expect((await sharedCache(testEnv).getMany([`apikey:${hash}`])).size).toBe(0);
  });

  it("throttles an owner key per minute with 429 rate_limited and Retry-After; the admin key and other owners pass", async () => {
    const owner = uniqueKey("cache-thr");
    const other = uniqueKey("cache-thr-other");
    const { key } = await ownerKey(owner);
    const { key: otherKey } = await ownerKey(other);
    const sent: EventsQueueBody[] = [];
    const limited = { ...testEnv, INGEST_RATE_LIMIT_PER_MINUTE: "3", EVENTS_QUEUE: capturingQueue(sent) } as Env;
    const event = (o: string) => ({ payload: { x: 1 }, owner_id: o, event_type: "order.created" });

    await awayFromWindowEdge();
    expect((await fetchWith(limited, "POST", "/v1/events/batch", { events: [event(owner), event(owner)] }, key)).status).toBe(202);
    expect((await fetchWith(limited, "POST", "/v1/events", event(owner), key)).status).toBe(202);
    const over = await fetchWith(limited, "POST", "/v1/events", event(owner), key);
    expect(over.status).toBe(429);
    expect(over.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(over.json.code).toBe("rate_limited");
    const retryAfter = Number(over.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await fetchWith(limited, "POST", "/v1/events/batch", { events: [event(owner)] }, key)).status).toBe(429);
    // Bad input keeps its own answer; the admin key and another owner are not held back.
    expect((await fetchWith(limited, "POST", "/v1/events", { owner_id: owner }, key)).status).toBe(422);
    expect((await fetchWith(limited, "POST", "/v1/events", event(owner), ADMIN_KEY)).status).toBe(202);
    expect((await fetchWith(limited, "POST", "/v1/events", event(other), otherKey)).status).toBe(202);
    // The batch of two travels as one packed message: what counts is the events, in order.
    const owners = sent.flatMap((m) => (m.kind === "events" ? m.events.map((e) => e.owner_id) : m.kind === "event" ? [m.owner_id] : []));
    expect(owners).toEqual([owner, owner, owner, owner, other]);

    // Redis counts for every isolate: a fresh isolate's memory changes nothing. Without Redis the count is this isolate's.
    memoryCache().clear();
    expect((await fetchWith(limited, "POST", "/v1/events", event(owner), key)).status).toBe(withRedis ? 429 : 202);
  });

  it("throttle windows: the limit holds within a minute, resets in the next, and 0 means off", async () => {
    const owner = uniqueKey("cache-win");
    const env3 = { ...testEnv, INGEST_RATE_LIMIT_PER_MINUTE: "3" } as Env;
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 + 120_000; // a window no other test uses
    await throttleIngest(env3, owner, 3, t0 + 1_000);
    const err = await throttleIngest(env3, owner, 1, t0 + 59_000).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "rate_limited", headers: { "retry-after": "1" } });
    await expect(throttleIngest(env3, owner, 3, t0 + 60_000)).resolves.toBeUndefined();
    const off = { ...testEnv, INGEST_RATE_LIMIT_PER_MINUTE: "0" } as Env;
    for (let i = 0; i < 5; i++) await expect(throttleIngest(off, owner, 100, t0 + 60_000)).resolves.toBeUndefined();
    await expect(throttleIngest(env3, undefined, 100, t0)).resolves.toBeUndefined();
  });

  for (const failure of ["refused", "hanging"] as const) {
    it(`Redis ${failure}: ingest, auth, throttling, routing and delivery go on from D1 and isolate state, each call bounded`, async () => {
      const owner = uniqueKey(`cache-down-${failure}`);
      const target = uniqueKey("down-target");
      const ep = await createEndpoint(owner, receiverUrl(target));
      await subscribe(ep, ["*"]);
      const { key } = await ownerKey(owner);
      let url = "http://127.0.0.1:9"; // discard port: connection refused
      if (failure === "hanging") {
        // A REST server that accepts the request and answers only after the client's timeout.
        const fake = uniqueKey("fake-redis");
        await script(fake, [{ status: 200, body: '{"result":null}', delay_ms: 3_000 }]);
        url = receiverUrl(fake);
      }
      const sent: EventsQueueBody[] = [];
      const broken = {
        ...testEnv,
        UPSTASH_REDIS_REST_URL: url,
        UPSTASH_REDIS_REST_TOKEN: "t",
        HOOKRELAY_CACHE_NAMESPACE: uniqueKey("ns"),
        INGEST_RATE_LIMIT_PER_MINUTE: "1000",
        EVENTS_QUEUE: capturingQueue(sent),
      } as Env;
      expect(sharedCache(broken).kind).toBe("redis");
      clearApiKeyCache();
      clearRoutingCache();
      resetLookupStats();

      const started = Date.now();
      const res = await fetchWith(broken, "POST", "/v1/events", { payload: { down: failure }, owner_id: owner, event_type: "order.created" }, key);
      const took = Date.now() - started;
      expect(res.status).toBe(202);
      // Auth lookup and throttle counter each waited at most one timeout; then the back-off skips Redis.
      expect(took).toBeLessThan(2 * REDIS_TIMEOUT_MS + 1_500);
      expect(lookupStats().shared_errors).toBeGreaterThanOrEqual(1);
      expect(lookupStats().d1_api_key_reads).toBe(1);

      const result = await runEvents(sent, broken);
      expect(result.explicitAcks).toEqual(result.ids);
      expect(lookupStats().d1_route_reads).toBeGreaterThanOrEqual(1);
      const got = await eventually(async () => ((await received(target)).length > 0 ? received(target) : null));
      expect(got[0]!.headers["webhook-id"]).toBe(res.json.id);
    });
  }

  it("reports D1 reads per ingested event, warm and cold isolates", async () => {
    const owner = uniqueKey("cache-d1");
    const target = uniqueKey("d1-target");
    const ep = await createEndpoint(owner, receiverUrl(target));
    await subscribe(ep, ["*"]);
    const { key } = await ownerKey(owner);
    const BATCHES = 5;
    const PER_BATCH = 10;
    const figures: Record<string, unknown> = { mode: withRedis ? "redis" : "memory", batches: BATCHES, events_per_batch: PER_BATCH };

    for (const scenario of ["warm", "cold"] as const) {
      // Every D1 statement on the ingest + fanout path is counted (src/observability/counters.ts); the
      // EndpointDOs' own D1 reads are not in this figure (they run with their own env).
      const sent: EventsQueueBody[] = [];
      const counted = instrumentEnv({ ...testEnv, EVENTS_QUEUE: capturingQueue(sent) } as Env);
      // Warm-up so "warm" starts with this owner's routes and key cached, and Redis holds them.
      await fetchWith(counted, "POST", "/v1/events", { payload: { warm: true }, owner_id: owner, event_type: "order.created" }, key);
      await runEvents(sent.splice(0), counted);
      resetLookupStats();
      resetCounters();
      for (let b = 0; b < BATCHES; b++) {
        // Cold: every batch lands on an isolate that has never seen this owner or key (many isolates in production).
        if (scenario === "cold") {
          clearApiKeyCache();
          clearRoutingCache();
        }
        const events = Array.from({ length: PER_BATCH }, (_, i) => ({ payload: { b, i }, owner_id: owner, event_type: "order.created" }));
        expect((await fetchWith(counted, "POST", "/v1/events/batch", { events }, key)).status).toBe(202);
        if (scenario === "cold") clearRoutingCache();
        const result = await runEvents(sent.splice(0), counted);
        // The request's events travel packed in one message, acked whole.
        expect(result.ids).toHaveLength(1);
        expect(result.explicitAcks).toEqual(result.ids);
      }
      const events = BATCHES * PER_BATCH;
      const stats = lookupStats();
      const all = snapshot().counters;
      figures[scenario] = {
        lookup_d1_reads_per_event: stats.d1_reads / events,
        config_version_reads: stats.d1_config_version_reads,
        route_reads: stats.d1_route_reads,
        api_key_reads: stats.d1_api_key_reads,
        redis_hits: stats.shared_hits,
        redis_errors: stats.shared_errors,
        d1_queries_per_event_all: all.d1_queries / events,
        d1_rows_read_per_event_all: all.d1_rows_read / events,
      };
      // Cold: one config_versions read per fanout batch. Warm: at most that — a version read is trusted for
      // CONFIG_VERSION_TRUST_MS (its own test below), so back-to-back batches may share one.
      if (scenario === "cold") expect(stats.d1_config_version_reads).toBe(BATCHES);
      else expect(stats.d1_config_version_reads).toBeLessThanOrEqual(BATCHES);
      expect(stats.shared_errors).toBe(0);
      if (scenario === "warm") {
        expect(stats.d1_route_reads).toBe(0);
        expect(stats.d1_api_key_reads).toBe(0);
      } else {
        // Cold isolates: Redis answers what each would otherwise read from D1.
        expect(stats.d1_route_reads).toBe(withRedis ? 0 : BATCHES);
        expect(stats.d1_api_key_reads).toBe(withRedis ? 0 : BATCHES);
      }
    }
    console.log(`CACHE-FIGURES ${JSON.stringify(figures)}`);
    await eventually(async () => ((await received(target)).length >= 2 * 5 * 10 + 2 ? true : null), 30_000);
  });
});
