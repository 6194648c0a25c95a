import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { insertSubscription } from "../../src/db/repos/subscriptions";
import { call, createOwnerKey, expectProblem } from "./helpers";

async function createEndpoint(owner: string) {
  const res = await call("POST", "/v1/endpoints", { body: { url: "http://127.0.0.1:9/hook", owner_id: owner } });
  if (res.status !== 201) throw new Error(`create endpoint failed: ${res.text}`);
  return res.json;
}

async function subscribe(endpointId: string, eventTypes: string[] = ["order.created"], key?: string) {
  return call("POST", "/v1/subscriptions", { key, body: { endpoint_id: endpointId, event_types: eventTypes } });
}

async function configVersion(owner: string): Promise<number> {
  const row = await env.DB.prepare("SELECT version FROM config_versions WHERE owner_id = ?").bind(owner).first<{ version: number }>();
  return row?.version ?? 0;
}

async function subscriptionCount(endpointId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE endpoint_id = ?").bind(endpointId).first<{ n: number }>();
  return row!.n;
}

describe("POST /v1/subscriptions", () => {
  it("subscribes an endpoint; the subscription takes the endpoint's owner and bumps its config version", async () => {
    const ep = await createEndpoint("sub-acme");
    const before = await configVersion("sub-acme");
    const res = await call("POST", "/v1/subscriptions", {
      body: { endpoint_id: ep.id, event_types: ["order.created", "invoice.*", "*", "order.created"], description: "all" },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      endpoint_id: ep.id,
      owner_id: "sub-acme",
      event_types: ["order.created", "invoice.*", "*"],
      description: "all",
    });
    expect(res.json.id).toMatch(/^sub_[0-9a-z]{26}$/);
    expect(await configVersion("sub-acme")).toBe(before + 1);
    const stored = await env.DB.prepare("SELECT * FROM subscriptions WHERE id = ?").bind(res.json.id).first<Record<string, any>>();
    expect(stored).toMatchObject({ endpoint_id: ep.id, owner_id: "sub-acme", event_types: '["order.created","invoice.*","*"]' });
    expect((await call("GET", `/v1/subscriptions/${res.json.id}`)).json).toEqual(res.json);
  });

  it("answers malformed JSON with 400 and bad patterns with 422 naming the entry", async () => {
    const ep = await createEndpoint("sub-acme");
    expectProblem(await call("POST", "/v1/subscriptions", { rawBody: "[" }), 400, "invalid_json");
    const problem = expectProblem(await subscribe(ep.id, ["ok.type", "bad type!", "a.*.b", "x".repeat(201)]), 422, "validation_failed");
    expect(problem.errors.map((e: any) => e.path)).toEqual(["event_types.1", "event_types.2", "event_types.3"]);
    expect(expectProblem(await subscribe(ep.id, []), 422, "validation_failed").errors[0].path).toBe("event_types");
    const missing = expectProblem(await call("POST", "/v1/subscriptions", { body: { event_types: ["*"], extra: 1 } }), 422, "validation_failed");
    expect(missing.errors.map((e: any) => e.path)).toContain("endpoint_id");
    expect(await subscriptionCount(ep.id)).toBe(0);
  });

  it("answers an unknown endpoint with 404 and another owner's endpoint with 404, writing nothing", async () => {
    expectProblem(await subscribe("ep_00000000000000000000000000"), 404, "not_found");
    expectProblem(await subscribe("not-an-id"), 404, "not_found");
    const key = await createOwnerKey("sub-intruder");
    const victim = await createEndpoint("sub-victim");
    expectProblem(await subscribe(victim.id, ["*"], key), 404, "not_found");
    expect(await subscriptionCount(victim.id)).toBe(0);
  });

  it("never writes an orphan: the insert is conditional on the endpoint still existing", async () => {
    const ep = await createEndpoint("sub-race");
    expect((await call("DELETE", `/v1/endpoints/${ep.id}`)).status).toBe(204);
    const now = Date.now();
    const row = { id: "sub_0000000000race0000000000", endpointId: ep.id, ownerId: "sub-race", eventTypes: '["*"]', filter: null, description: null, createdAt: now, updatedAt: now };
    expect(await insertSubscription(getDb(env.DB), row)).toBe(false);
    expect(await subscriptionCount(ep.id)).toBe(0);
    const live = await createEndpoint("sub-race");
    expect(await insertSubscription(getDb(env.DB), { ...row, endpointId: live.id })).toBe(true);
    expect(await subscriptionCount(live.id)).toBe(1);
  });

  it("refuses a missing key with 401", async () => {
    expectProblem(await call("POST", "/v1/subscriptions", { key: null, body: { endpoint_id: "x", event_types: ["*"] } }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/subscriptions", { key: null }), 401, "unauthorized");
  });

  it("lets an owner key subscribe its own endpoint", async () => {
    const key = await createOwnerKey("sub-self");
    const ep = (await call("POST", "/v1/endpoints", { key, body: { url: "http://127.0.0.1:9/x" } })).json;
    const res = await subscribe(ep.id, ["a.b"], key);
    expect(res.status).toBe(201);
    expect(res.json.owner_id).toBe("sub-self");
  });
});

describe("every subscriptions route", () => {
  it("refuses a missing key with 401 before touching anything", async () => {
    const ep = await createEndpoint("sub-nokey");
    const sub = (await subscribe(ep.id)).json;
    for (const [method, path] of [
      ["GET", `/v1/subscriptions/${sub.id}`],
      ["PATCH", `/v1/subscriptions/${sub.id}`],
      ["DELETE", `/v1/subscriptions/${sub.id}`],
    ] as const) {
      expectProblem(await call(method, path, { key: null, body: method === "GET" ? undefined : { event_types: ["*"] } }), 401, "unauthorized");
    }
    expect((await call("GET", `/v1/subscriptions/${sub.id}`)).json.event_types).toEqual(["order.created"]);
  });
});

describe("GET /v1/subscriptions", () => {
  it("filters by endpoint and owner, newest first, with a cursor", async () => {
    const ep1 = await createEndpoint("sub-list");
    const ep2 = await createEndpoint("sub-list");
    const ids = [];
    for (const t of ["a", "b", "c"]) ids.push((await subscribe(ep1.id, [t])).json.id);
    const other = (await subscribe(ep2.id, ["z"])).json.id;

    const first = await call("GET", `/v1/subscriptions?endpoint_id=${ep1.id}&limit=2`);
    expect(first.json.data.map((s: any) => s.id)).toEqual([ids[2], ids[1]]);
    const second = await call("GET", `/v1/subscriptions?endpoint_id=${ep1.id}&limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.data.map((s: any) => s.id)).toEqual([ids[0]]);
    expect(second.json.next_cursor).toBeNull();

    const byOwner = await call("GET", "/v1/subscriptions?owner_id=sub-list");
    expect(byOwner.json.data.map((s: any) => s.id)).toEqual([other, ids[2], ids[1], ids[0]]);
    expectProblem(await call("GET", "/v1/subscriptions?cursor=bad"), 400, "invalid_cursor");
    expectProblem(await call("GET", "/v1/subscriptions?limit=abc"), 422, "validation_failed");
  });

  it("shows an owner key only its own subscriptions and refuses another owner_id with 403", async () => {
    const key = await createOwnerKey("sub-scope-a");
    const mine = (await subscribe((await createEndpoint("sub-scope-a")).id)).json.id;
    const theirEp = await createEndpoint("sub-scope-b");
    const theirs = (await subscribe(theirEp.id)).json.id;
    const list = await call("GET", "/v1/subscriptions", { key });
    const ids = list.json.data.map((s: any) => s.id);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(theirs);
    // Naming another owner's endpoint shows nothing of it.
    expect((await call("GET", `/v1/subscriptions?endpoint_id=${theirEp.id}`, { key })).json.data).toEqual([]);
    expectProblem(await call("GET", "/v1/subscriptions?owner_id=sub-scope-b", { key }), 403, "forbidden");
  });
});

describe("GET/PATCH/DELETE /v1/subscriptions/{id}", () => {
  it("changes event types and description, bumping the config version", async () => {
    const ep = await createEndpoint("sub-patch");
    const sub = (await subscribe(ep.id, ["a"])).json;
    const before = await configVersion("sub-patch");
    const res = await call("PATCH", `/v1/subscriptions/${sub.id}`, { body: { event_types: ["b.*"], description: "changed" } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: sub.id, event_types: ["b.*"], description: "changed", endpoint_id: ep.id });
    expect(await configVersion("sub-patch")).toBe(before + 1);
    const cleared = await call("PATCH", `/v1/subscriptions/${sub.id}`, { body: { description: null } });
    expect(cleared.json).toMatchObject({ event_types: ["b.*"], description: null });

    expectProblem(await call("PATCH", `/v1/subscriptions/${sub.id}`, { rawBody: "{{" }), 400, "invalid_json");
    const bad = expectProblem(
      await call("PATCH", `/v1/subscriptions/${sub.id}`, { body: { event_types: "b.*", endpoint_id: ep.id } }),
      422,
      "validation_failed",
    );
    expect(bad.errors.map((e: any) => e.path)).toContain("event_types");
    expect((await call("GET", `/v1/subscriptions/${sub.id}`)).json.event_types).toEqual(["b.*"]);
  });

  it("deletes and bumps; unknown, malformed and foreign ids are 404", async () => {
    const ep = await createEndpoint("sub-del");
    const sub = (await subscribe(ep.id)).json;
    const key = await createOwnerKey("sub-del-intruder");
    for (const method of ["GET", "DELETE"]) {
      expectProblem(await call(method, `/v1/subscriptions/${sub.id}`, { key }), 404, "not_found");
    }
    expectProblem(await call("PATCH", `/v1/subscriptions/${sub.id}`, { key, body: { event_types: ["*"] } }), 404, "not_found");
    expect((await call("GET", `/v1/subscriptions/${sub.id}`)).json.event_types).toEqual(["order.created"]);

    const before = await configVersion("sub-del");
    expect((await call("DELETE", `/v1/subscriptions/${sub.id}`)).status).toBe(204);
    expect(await configVersion("sub-del")).toBe(before + 1);
    expect(await subscriptionCount(ep.id)).toBe(0);
    for (const id of [sub.id, "sub_00000000000000000000000000", "garbage"]) {
      expectProblem(await call("GET", `/v1/subscriptions/${id}`), 404, "not_found");
      expectProblem(await call("DELETE", `/v1/subscriptions/${id}`), 404, "not_found");
      expectProblem(await call("PATCH", `/v1/subscriptions/${id}`, { body: { description: "x" } }), 404, "not_found");
    }
  });
});
