// Subscription filters through the API (create, PATCH set/clear, validation, test-filter) and through the real
// fanout: the events consumer delivers only what a subscription's filter lets through, and a filter change
// reroutes at once.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { received, receiverUrl, uniqueKey } from "./delivery-fixtures";
import { createEndpoint, deliveriesOf, eventMessage, eventually, runEvents } from "./fanout-helpers";
import { call, createOwnerKey, expectProblem } from "./helpers";

const BIG_EUR = { "payload.total": { $gte: 100 }, "payload.currency": { $in: ["EUR", "USD"] } };

async function subscribeWith(endpointId: string, filter: unknown, eventTypes = ["order.*"], key?: string) {
  return call("POST", "/v1/subscriptions", { key, body: { endpoint_id: endpointId, event_types: eventTypes, filter } });
}

async function configVersion(owner: string): Promise<number> {
  const row = await env.DB.prepare("SELECT version FROM config_versions WHERE owner_id = ?").bind(owner).first<{ version: number }>();
  return row?.version ?? 0;
}

function errorPaths(res: Awaited<ReturnType<typeof call>>): string[] {
  return expectProblem(res, 422, "validation_failed").errors.map((e: { path: string }) => e.path);
}

describe("subscription filters: API", () => {
  it("creates with a filter, echoes and stores it; absent or null means none", async () => {
    const ep = await createEndpoint("flt-api");
    const res = await subscribeWith(ep, BIG_EUR);
    expect(res.status).toBe(201);
    expect(res.json.filter).toEqual(BIG_EUR);
    expect((await call("GET", `/v1/subscriptions/${res.json.id}`)).json.filter).toEqual(BIG_EUR);
    const listed = await call("GET", `/v1/subscriptions?endpoint_id=${ep}`);
    expect(listed.json.data.map((s: { filter: unknown }) => s.filter)).toEqual([BIG_EUR]);

    expect((await subscribeWith(ep, null)).json.filter).toBeNull();
    const plain = await call("POST", "/v1/subscriptions", { body: { endpoint_id: ep, event_types: ["*"] } });
    expect(plain.json.filter).toBeNull();
  });

  it("PATCH sets, keeps (when absent) and clears (null) the filter, bumping the owner's config version each time", async () => {
    const ep = await createEndpoint("flt-patch");
    const id = (await subscribeWith(ep, null)).json.id;
    let version = await configVersion("flt-patch");

    const set = await call("PATCH", `/v1/subscriptions/${id}`, { body: { filter: { "payload.rush": true } } });
    expect(set.status).toBe(200);
    expect(set.json.filter).toEqual({ "payload.rush": true });
    expect(await configVersion("flt-patch")).toBeGreaterThan(version);
    version = await configVersion("flt-patch");

    const other = await call("PATCH", `/v1/subscriptions/${id}`, { body: { description: "rush orders" } });
    expect(other.json.filter).toEqual({ "payload.rush": true });

    const cleared = await call("PATCH", `/v1/subscriptions/${id}`, { body: { filter: null } });
    expect(cleared.json.filter).toBeNull();
    expect(await configVersion("flt-patch")).toBeGreaterThan(version);
    expect((await call("GET", `/v1/subscriptions/${id}`)).json.filter).toBeNull();
  });

  it("refuses bad filters with 422 validation_failed naming the path, and stores nothing", async () => {
    const ep = await createEndpoint("flt-bad");
    expect(errorPaths(await subscribeWith(ep, { "payload.total": { $regex: "1" } }))).toEqual(["filter.payload.total.$regex"]);
    expect(errorPaths(await subscribeWith(ep, { $or: [{ "payload.a": 1 }, { "payload.b": { $gt: [1] } }] }))).toEqual(["filter.$or.1.payload.b.$gt"]);
    expect(errorPaths(await subscribeWith(ep, { headers: "x" }))).toEqual(["filter.headers"]);
    expect(errorPaths(await subscribeWith(ep, [{ "payload.a": 1 }]))).toEqual(["filter"]);
    let deep: Record<string, unknown> = { "payload.a": 1 };
    for (let i = 0; i < 8; i++) deep = { $not: deep };
    expect(errorPaths(await subscribeWith(ep, deep))).toEqual(["filter"]);
    expect(errorPaths(await subscribeWith(ep, { "payload.a": "x".repeat(4100) }))).toEqual(["filter"]);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE endpoint_id = ?").bind(ep).first<{ n: number }>();
    expect(rows!.n).toBe(0);

    const id = (await subscribeWith(ep, BIG_EUR)).json.id;
    expect(errorPaths(await call("PATCH", `/v1/subscriptions/${id}`, { body: { filter: { "payload.x": { $where: "1" } } } }))).toEqual([
      "filter.payload.x.$where",
    ]);
    expect((await call("GET", `/v1/subscriptions/${id}`)).json.filter).toEqual(BIG_EUR);
  });

  it("POST /v1/subscriptions/test-filter evaluates a filter on an event", async () => {
    const event = { payload: { total: 150, currency: "EUR" }, event_type: "order.created", owner_id: "acme" };
    const test = (filter: unknown, ev: unknown = event, key?: string) => call("POST", "/v1/subscriptions/test-filter", { key, body: { filter, event: ev } });
    expect((await test(BIG_EUR)).json).toEqual({ matches: true });
    expect((await test(BIG_EUR, { ...event, payload: { total: 99, currency: "EUR" } })).json).toEqual({ matches: false });
    expect((await test({ event_type: { $startsWith: "invoice." } })).json).toEqual({ matches: false });
    expect((await test({ "payload.total": "150" })).json).toEqual({ matches: false });
    expect((await test(null)).json).toEqual({ matches: true });
    // An owner key may test too: nothing is read or stored.
    const key = await createOwnerKey("flt-tester");
    expect((await test(BIG_EUR, event, key)).json).toEqual({ matches: true });

    expect(errorPaths(await test({ "payload.total": { $near: 1 } }))).toEqual(["filter.payload.total.$near"]);
    expect(errorPaths(await test(BIG_EUR, { payload: {}, owner_id: "acme" }))).toEqual(["event.event_type"]);
    expect(errorPaths(await test(BIG_EUR, { event_type: "a", owner_id: "acme" }))).toEqual(["event.payload"]);
    expectProblem(await call("POST", "/v1/subscriptions/test-filter", { rawBody: "{not json" }), 400, "invalid_json");
    expectProblem(await call("POST", "/v1/subscriptions/test-filter", { key: "", body: { filter: null, event } }), 401, "unauthorized");
  });
});

describe("subscription filters: fanout", () => {
  it("delivers only events that satisfy a subscription's filter; any matching subscription of the endpoint suffices", async () => {
    const owner = uniqueKey("flt-fan");
    const [bigKey, rushKey, allKey] = ["big", "rush", "all"].map((k) => uniqueKey(`flt-${k}`));
    const big = await createEndpoint(owner, receiverUrl(bigKey!));
    const rush = await createEndpoint(owner, receiverUrl(rushKey!));
    const all = await createEndpoint(owner, receiverUrl(allKey!));
    expect((await subscribeWith(big, BIG_EUR)).status).toBe(201);
    // `rush` has two filtered subscriptions: either lets an event through.
    expect((await subscribeWith(rush, { "payload.rush": true })).status).toBe(201);
    expect((await subscribeWith(rush, { "payload.customer.tier": "gold" })).status).toBe(201);
    expect((await subscribeWith(all, null)).status).toBe(201);

    const bigOrder = eventMessage(owner, "order.created", { total: 500, currency: "EUR" });
    const smallRush = eventMessage(owner, "order.created", { total: 5, currency: "EUR", rush: true });
    const goldTyped = eventMessage(owner, "order.created", { total: "500", currency: "EUR", customer: { tier: "gold" } });
    const result = await runEvents([bigOrder, smallRush, goldTyped]);
    expect(result.explicitAcks).toEqual(result.ids);
    expect(result.retryMessages).toEqual([]);

    const targets = async (id: string) => (await deliveriesOf(id)).map((r) => r.endpoint_id).sort();
    expect(await targets(bigOrder.id)).toEqual([all, big].sort());
    expect(await targets(smallRush.id)).toEqual([all, rush].sort());
    // "500" is a string: $gte 100 is a comparison between types, so false.
    expect(await targets(goldTyped.id)).toEqual([all, rush].sort());

    // The receivers hear exactly those.
    const ids = async (key: string, n: number) =>
      (await eventually(async () => ((await received(key)).length >= n ? received(key) : null))).map((r) => r.headers["webhook-id"]).sort();
    expect(await ids(bigKey!, 1)).toEqual([bigOrder.id]);
    expect(await ids(rushKey!, 2)).toEqual([smallRush.id, goldTyped.id].sort());
    expect(await ids(allKey!, 3)).toEqual([bigOrder.id, smallRush.id, goldTyped.id].sort());
  });

  it("a filter change reroutes the next batch (the routing cache refreshes like any subscription change)", async () => {
    const owner = uniqueKey("flt-change");
    const ep = await createEndpoint(owner);
    const sub = (await subscribeWith(ep, { "payload.n": { $gt: 10 } })).json.id;
    const route = async (n: number) => {
      const msg = eventMessage(owner, "order.created", { n });
      await runEvents([msg]);
      return (await deliveriesOf(msg.id)).length;
    };
    expect(await route(5)).toBe(0);
    expect(await route(50)).toBe(1);
    expect((await call("PATCH", `/v1/subscriptions/${sub}`, { body: { filter: { "payload.n": { $lt: 10 } } } })).status).toBe(200);
    expect(await route(5)).toBe(1);
    expect(await route(50)).toBe(0);
    expect((await call("PATCH", `/v1/subscriptions/${sub}`, { body: { filter: null } })).status).toBe(200);
    expect(await route(50)).toBe(1);
  });

  it("an event whose filter evaluation fails is acked with no delivery, never retried", async () => {
    const owner = uniqueKey("flt-odd");
    const ep = await createEndpoint(owner);
    await subscribeWith(ep, { "payload.items.0.sku": { $startsWith: "A" } });
    // A payload that is not an object, and one where the path runs through a scalar: no match, no failure.
    const odd = [eventMessage(owner, "order.created", "just a string"), eventMessage(owner, "order.created", { items: 7 })];
    const result = await runEvents(odd);
    expect(result.explicitAcks).toEqual(result.ids);
    expect(result.retryMessages).toEqual([]);
    for (const msg of odd) expect(await deliveriesOf(msg.id)).toEqual([]);
  });

  it("a replay goes to the endpoints whose filters the event satisfies now", async () => {
    const owner = uniqueKey("flt-replay");
    const [first, refusing, accepting] = [await createEndpoint(owner), await createEndpoint(owner), await createEndpoint(owner)];
    await subscribeWith(first, null);
    const msg = eventMessage(owner, "order.created", { total: 42 });
    await runEvents([msg]);
    expect((await deliveriesOf(msg.id)).map((d) => d.endpoint_id)).toEqual([first]);

    await subscribeWith(refusing, { "payload.total": { $gt: 100 } });
    await subscribeWith(accepting, { "payload.total": { $lte: 100 } });
    const res = await call("POST", `/v1/events/${msg.id}/replay`);
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ id: msg.id, retried: 1, created: 1 });
    await eventually(async () => (await deliveriesOf(msg.id)).some((d) => d.endpoint_id === accepting));
    expect((await deliveriesOf(msg.id)).map((d) => d.endpoint_id).sort()).toEqual([first, accepting].sort());
  });
});
