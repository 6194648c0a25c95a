// Rate limit, back-off and concurrency in the EndpointDO against the real receiver on 127.0.0.1, and how
// they show in GET /v1/endpoints/{id} (delivery_state). The long exactness run lives in test/e2e/rate-limit.test.ts.
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { endpointStub } from "../../src/delivery/endpoint-client";
import type { Env } from "../../src/env";
import { call } from "./helpers";
import { attemptRows, received, receiverUrl, script, seedDelivery, seedEndpoint, uniqueKey, waitFor, waitForStatus } from "./delivery-fixtures";

const constant1s = { strategy: "constant" as const, max_attempts: 3, delay_s: 1, max_delay_s: 60, jitter: false };

/** Most requests the receiver was working on at once, from arrival times and its fixed answer delay. */
function maxConcurrent(arrivals: number[], holdMs: number): number {
  const events = arrivals.flatMap((t) => [
    [t, 1],
    [t + holdMs, -1],
  ]);
  // Ends before starts at the same instant: a slot freed and reused is not an overlap.
  events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let best = 0;
  for (const [, d] of events) {
    now += d!;
    best = Math.max(best, now);
  }
  return best;
}

describe("rate_limit changes through the API", () => {
  it("raising the limit applies to the next delivery; the queued work is all delivered, once each", async () => {
    const key = uniqueKey("raise");
    const ep = await seedEndpoint({ url: receiverUrl(key), rateLimit: { requests: 1, per_seconds: 60 } });
    const works: Awaited<ReturnType<typeof seedDelivery>>[] = [];
    for (let i = 0; i < 6; i++) works.push(await seedDelivery(ep, { i }));
    await endpointStub(env, ep.id).enqueue(works);
    await waitForStatus(works[0]!.delivery_id, "succeeded");
    // One a minute: the other five wait for tokens.
    const before = await call("GET", `/v1/endpoints/${ep.id}`);
    expect(before.json.delivery_state).toMatchObject({ effective_rate_per_second: 0.017, pending: 5, in_flight: 0 });

    const patchedAt = Date.now();
    const patched = await call("PATCH", `/v1/endpoints/${ep.id}`, { body: { rate_limit: { requests: 10, per_seconds: 1 } } });
    expect(patched.status).toBe(200);
    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 5_000);
    const reqs = (await received(key)).sort((a, b) => a.at - b.at);
    const firstAfter = reqs[1]!.at - patchedAt;
    console.log(`rate_limit 1/min → 10/s: next delivery ${firstAfter} ms after the PATCH, the rest within ${reqs.at(-1)!.at - patchedAt} ms`);
    expect(reqs).toHaveLength(6);
    expect(new Set(reqs.map((r) => r.headers["hookrelay-delivery-id"])).size).toBe(6);
    expect(firstAfter).toBeLessThan(1000);
    for (const w of works) expect(await attemptRows(w.delivery_id)).toHaveLength(1);
    const after = await call("GET", `/v1/endpoints/${ep.id}`);
    expect(after.json.delivery_state).toMatchObject({ effective_rate_per_second: 10, pending: 0 });
  });

  it("lowering the limit mid-backlog spaces the next deliveries at once", async () => {
    const key = uniqueKey("lower");
    await script(key, [{ status: 200, delay_ms: 100 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 1 });
    const works: Awaited<ReturnType<typeof seedDelivery>>[] = [];
    for (let i = 0; i < 12; i++) works.push(await seedDelivery(ep, { i }));
    await endpointStub(env, ep.id).enqueue(works);
    await waitFor(async () => (await received(key)).length >= 3);
    const patchedAt = Date.now();
    expect((await call("PATCH", `/v1/endpoints/${ep.id}`, { body: { rate_limit: { requests: 1, per_seconds: 1 } } })).status).toBe(200);
    await waitFor(async () => (await received(key)).filter((r) => r.at > patchedAt + 150).length >= 3, 10_000);
    // Requests already started when the PATCH landed may finish; after that, one per second — judged on the
    // object's recorded attempt starts (what the limiter paces; arrival times also carry loopback jitter).
    const laterReqs = (await received(key)).filter((r) => r.at > patchedAt + 150);
    const after = (
      await Promise.all(laterReqs.map(async (r) => (await waitFor(async () => (await attemptRows(r.headers["hookrelay-delivery-id"]!))[0], 10_000)).startedAt))
    ).sort((a, b) => a - b);
    const gaps = after.slice(1).map((t, i) => t - after[i]!);
    console.log(`unlimited → 1/s mid-backlog: attempt start gaps after the PATCH (ms) ${gaps.join(", ")}`);
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(1000);
    // Nothing queued was dropped: the rest is still waiting its turn.
    const state = await call("GET", `/v1/endpoints/${ep.id}`);
    expect(state.json.delivery_state.pending + (await received(key)).length + state.json.delivery_state.in_flight).toBeGreaterThanOrEqual(12);
  });
});

describe("concurrency and order", () => {
  it("never more than max_in_flight requests at the receiver at once, and it uses them", async () => {
    const key = uniqueKey("conc");
    await script(key, [{ status: 200, delay_ms: 300 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 2 });
    const works: Awaited<ReturnType<typeof seedDelivery>>[] = [];
    for (let i = 0; i < 8; i++) works.push(await seedDelivery(ep, { i }));
    await endpointStub(env, ep.id).enqueue(works);
    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 10_000);
    const arrivals = (await received(key)).map((r) => r.at);
    const peak = maxConcurrent(arrivals, 300);
    console.log(`max_in_flight 2, receiver holding each request 300 ms: peak concurrency at the receiver ${peak}`);
    expect(arrivals).toHaveLength(8);
    expect(peak).toBe(2);
  });

  it("one at a time, deliveries go out in the order they became due", async () => {
    const key = uniqueKey("order");
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 1 });
    const works: Awaited<ReturnType<typeof seedDelivery>>[] = [];
    for (let i = 0; i < 8; i++) works.push(await seedDelivery(ep, { i }));
    await endpointStub(env, ep.id).enqueue(works);
    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 10_000);
    const order = (await received(key)).sort((a, b) => a.at - b.at).map((r) => JSON.parse(r.body).i);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("Retry-After pause", () => {
  it("a 503 with Retry-After pauses the whole endpoint, shown as paused_until; a 503 without it does not", async () => {
    const key = uniqueKey("pause503");
    await script(key, [{ status: 503, headers: { "retry-after": "2" } }, { status: 200 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 1, retry: constant1s });
    const a = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([a]);
    await waitForStatus(a.delivery_id, "retrying");
    const shown = await call("GET", `/v1/endpoints/${ep.id}`);
    const pausedFor = Date.parse(shown.json.delivery_state.paused_until) - Date.now();
    expect(pausedFor).toBeGreaterThan(1000);
    expect(pausedFor).toBeLessThanOrEqual(2000);
    const b = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([b]);
    await waitForStatus(b.delivery_id, "succeeded", 10_000);
    const reqs = (await received(key)).sort((x, y) => x.at - y.at);
    const bReq = reqs.find((r) => r.headers["hookrelay-delivery-id"] === b.delivery_id)!;
    expect(bReq.at - reqs[0]!.at).toBeGreaterThanOrEqual(1950);

    const plainKey = uniqueKey("plain503");
    await script(plainKey, [{ status: 503 }, { status: 200 }]);
    const plain = await seedEndpoint({ url: receiverUrl(plainKey), retry: constant1s });
    const c = await seedDelivery(plain);
    await endpointStub(env, plain.id).enqueue([c]);
    await waitForStatus(c.delivery_id, "retrying");
    const plainState = (await call("GET", `/v1/endpoints/${plain.id}`)).json.delivery_state;
    expect(plainState).toMatchObject({ paused_until: null, effective_rate_per_second: null, backoff_recovers_at: null });
  });
});

describe("adaptive back-off: 429 without Retry-After", () => {
  it("halves the effective rate (no burst while it lasts), visible in delivery_state; the 429 is one failed attempt", async () => {
    const key = uniqueKey("aimd");
    await script(key, [{ status: 429, body: "too many" }, { status: 200 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), rateLimit: { requests: 10, per_seconds: 1 }, retry: constant1s });
    const first = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([first]);
    await waitForStatus(first.delivery_id, "retrying");
    const shown = await call("GET", `/v1/endpoints/${ep.id}`);
    const state = shown.json.delivery_state;
    expect(state.configured_rate_per_second).toBe(10);
    expect(state.effective_rate_per_second).toBeGreaterThanOrEqual(5);
    expect(state.effective_rate_per_second).toBeLessThan(5.5);
    expect(state.paused_until).toBeNull();
    const recovers = Date.parse(state.backoff_recovers_at) - Date.now();
    expect(recovers).toBeGreaterThan(25_000);
    expect(recovers).toBeLessThanOrEqual(30_000);

    const works: Awaited<ReturnType<typeof seedDelivery>>[] = [];
    for (let i = 0; i < 5; i++) works.push(await seedDelivery(ep, { i }));
    await endpointStub(env, ep.id).enqueue(works);
    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 10_000);
    // When the object started each attempt, which is what the limiter paces (arrival times at the receiver
    // also carry the loopback's jitter on a busy machine).
    const times = (await Promise.all(works.map(async (w) => (await attemptRows(w.delivery_id))[0]!.startedAt))).sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    console.log(`after a 429 without Retry-After (10/s configured): attempt start gaps (ms) ${gaps.join(", ")}`);
    // At ~5/s, not 10/s, and no burst: every gap near 1000/5.x ms.
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(170);
    await waitForStatus(first.delivery_id, "succeeded", 10_000);
    expect((await attemptRows(first.delivery_id)).map((a) => a.statusCode)).toEqual([429, 200]);
  });

  it("an unlimited endpoint gets a finite effective rate after a 429, from its observed rate", async () => {
    const key = uniqueKey("aimd-free");
    await script(key, [{ status: 200 }, { status: 200 }, { status: 200 }, { status: 429 }, { status: 200 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 1, retry: constant1s });
    const works: Awaited<ReturnType<typeof seedDelivery>>[] = [];
    for (let i = 0; i < 4; i++) works.push(await seedDelivery(ep, { i }));
    const before = await call("GET", `/v1/endpoints/${ep.id}`);
    expect(before.json.delivery_state.effective_rate_per_second).toBeNull();
    await endpointStub(env, ep.id).enqueue(works);
    await waitForStatus(works[3]!.delivery_id, "retrying");
    const after = await call("GET", `/v1/endpoints/${ep.id}`);
    console.log(`unlimited endpoint after a 429: effective rate ${after.json.delivery_state.effective_rate_per_second}/s`);
    expect(after.json.delivery_state.effective_rate_per_second).toBeGreaterThan(0);
    expect(after.json.delivery_state.effective_rate_per_second).toBeLessThanOrEqual(2.5);
    expect(after.json.delivery_state.configured_rate_per_second).toBeNull();
    await waitForStatus(works[3]!.delivery_id, "succeeded", 10_000);
  });
});

describe("GET /v1/endpoints/{id} delivery_state", () => {
  it("is left out, not an error, when the endpoint's object cannot be asked", async () => {
    const ep = await seedEndpoint({ url: receiverUrl(uniqueKey("nodo")) });
    const testEnv = env as unknown as Env;
    const brokenEnv = {
      ...testEnv,
      ENDPOINT_DO: { idFromName: (n: string) => testEnv.ENDPOINT_DO.idFromName(n), get: () => ({ inspect: () => Promise.reject(new Error("object down")) }) },
    } as unknown as Env;
    const res = await createApp().fetch(
      new Request(`http://hookrelay.test/v1/endpoints/${ep.id}`, { headers: { authorization: "Bearer test-admin-key" } }),
      brokenEnv,
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.id).toBe(ep.id);
    expect(body).not.toHaveProperty("delivery_state");
  });
});
