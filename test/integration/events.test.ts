// REST ingest and the events API: accept() validation order, owner scope, idempotency, list/detail/replay.
import { describe, expect, it } from "vitest";
import { newEventId, ownerTag } from "../../src/domain/ids";
import { call, createOwnerKey, expectProblem } from "./helpers";
import { createEndpoint, deliveriesOf, eventMessage, eventually, ownerEvents, runEvents, storedEvent, subscribe } from "./fanout-helpers";

const event = (owner: string, extra: Record<string, unknown> = {}) => ({ payload: { n: 1 }, owner_id: owner, event_type: "order.created", ...extra });
const MAX = 262_144;

/** Events of an owner in history (its owner-day log shards). */
async function storedEvents(owner: string): Promise<number> {
  return (await ownerEvents(owner)).length;
}

describe("POST /v1/events", () => {
  it("answers 202 with an evt_ id, and the real consumer stores exactly that event with the same bytes", async () => {
    const payload = { order: 42, note: "héllo", nested: { list: [1, 2, 3] } };
    const res = await call("POST", "/v1/events", { body: event("ing-ok", { payload }) });
    expect(res.status).toBe(202);
    expect(res.json.id).toMatch(/^evt_[0-9a-z]{26}$/);
    // The id carries its owner's tag, so the event is found from the id alone (GET /v1/events/{id}).
    expect(res.json.id.slice(14, 20)).toBe(ownerTag("ing-ok"));
    const row = await eventually(() => storedEvent(res.json.id, "ing-ok"));
    expect(row.payload).toBe(JSON.stringify(payload));
    expect(row.payload_size).toBe(new TextEncoder().encode(JSON.stringify(payload)).byteLength);
  });

  it("refuses malformed JSON (400), schema failures with paths (422), missing keys (401)", async () => {
    expectProblem(await call("POST", "/v1/events", { rawBody: '{"payload": ' }), 400, "invalid_json");
    const problem = expectProblem(await call("POST", "/v1/events", { body: { payload: 1, owner_id: "", event_type: "bad type!", extra: true } }), 422, "validation_failed");
    expect(problem.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["owner_id", "event_type"]));
    const noPayload = expectProblem(await call("POST", "/v1/events", { body: { owner_id: "a", event_type: "a" } }), 422, "validation_failed");
    expect(noPayload.errors.map((e: { path: string }) => e.path)).toContain("payload");
    expectProblem(await call("POST", "/v1/events", { key: null, body: event("x") }), 401, "unauthorized");
  });

  it("checks the payload size (UTF-8 bytes of the serialized payload) before schema errors of the same event", async () => {
    const exact = "x".repeat(MAX - 2); // serialized with its quotes: exactly MAX bytes
    expect((await call("POST", "/v1/events", { body: event("ing-size", { payload: exact }) })).status).toBe(202);
    const over = expectProblem(
      await call("POST", "/v1/events", { body: { payload: "é".repeat(MAX / 2), owner_id: 7, event_type: "no good!" } }),
      413,
      "payload_too_large",
    );
    expect(over.errors).toEqual([{ path: "payload", message: expect.stringContaining(`${MAX + 2} bytes`) }]);
  });

  it("refuses bodies over the ingest body limit with 413 before parsing them", async () => {
    const huge = "{".repeat(3 * MAX + 64 * 1024 + 1);
    expectProblem(await call("POST", "/v1/events", { rawBody: huge }), 413, "payload_too_large");
  });

  it("lets an owner key ingest only for its owner (403 otherwise)", async () => {
    const key = await createOwnerKey("ing-scope");
    expect((await call("POST", "/v1/events", { key, body: event("ing-scope") })).status).toBe(202);
    expectProblem(await call("POST", "/v1/events", { key, body: event("ing-other") }), 403, "forbidden");
  });
});

describe("POST /v1/events/batch", () => {
  it("accepts up to 100 events and answers their ids in order", async () => {
    const events = Array.from({ length: 100 }, (_, i) => event("ing-batch", { payload: { i } }));
    const res = await call("POST", "/v1/events/batch", { body: { events } });
    expect(res.status).toBe(202);
    expect(res.json.ids).toHaveLength(100);
    expect(new Set(res.json.ids).size).toBe(100);
    await eventually(async () => (await storedEvents("ing-batch")) === 100);
    const third = await storedEvent(res.json.ids[3], "ing-batch");
    expect(third!.payload).toBe('{"i":3}');
  });

  it("is all or nothing: one bad event refuses the batch and the error names its index", async () => {
    const owner = "ing-aon";
    const oversize = expectProblem(
      await call("POST", "/v1/events/batch", { body: { events: [event(owner), event(owner), event(owner, { event_type: "bad!" }), event(owner, { payload: "x".repeat(MAX) })] } }),
      413,
      "payload_too_large",
    );
    expect(oversize.errors.map((e: { path: string }) => e.path)).toEqual(["events.3.payload"]);
    const invalid = expectProblem(
      await call("POST", "/v1/events/batch", { body: { events: [event(owner), { ...event(owner), event_type: "bad!" }] } }),
      422,
      "validation_failed",
    );
    expect(invalid.errors.map((e: { path: string }) => e.path)).toEqual(["events.1.event_type"]);
    expectProblem(await call("POST", "/v1/events/batch", { body: { events: Array.from({ length: 101 }, () => event(owner)) } }), 422, "validation_failed");
    expectProblem(await call("POST", "/v1/events/batch", { body: { events: [] } }), 422, "validation_failed");
    expectProblem(await call("POST", "/v1/events/batch", { rawBody: "[1," }), 400, "invalid_json");
    const key = await createOwnerKey(owner);
    const scoped = expectProblem(await call("POST", "/v1/events/batch", { key, body: { events: [event(owner), event("ing-elsewhere")] } }), 403, "forbidden");
    expect(scoped.errors[0].path).toBe("events.1.owner_id");

    // A later good event arrives; none of the refused ones ever do.
    const good = await call("POST", "/v1/events", { body: event(owner) });
    await eventually(() => storedEvent(good.json.id, owner));
    expect(await storedEvents(owner)).toBe(1);
  });
});

describe("Idempotency-Key", () => {
  it("returns the same id for the same key and owner, and the event is stored once", async () => {
    const owner = "idem-a";
    const headers = { "idempotency-key": "order-42-created" };
    const first = await call("POST", "/v1/events", { headers, body: event(owner) });
    const second = await call("POST", "/v1/events", { headers, body: event(owner) });
    expect(first.status).toBe(202);
    expect(second.json.id).toBe(first.json.id);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    // Another owner with the same key gets its own id.
    const other = await call("POST", "/v1/events", { headers, body: event("idem-b") });
    expect(other.json.id).not.toBe(first.json.id);

    await eventually(() => storedEvent(first.json.id, owner));
    const later = await call("POST", "/v1/events", { body: event(owner) });
    await eventually(() => storedEvent(later.json.id, owner));
    expect(await storedEvents(owner)).toBe(2);
  });

  it("gives concurrent requests with one key the same ids and queues one set", async () => {
    const owner = "idem-race";
    const headers = { "idempotency-key": "race-1" };
    const body = { events: [event(owner, { payload: { a: 1 } }), event(owner, { payload: { b: 2 } })] };
    const results = await Promise.all(Array.from({ length: 5 }, () => call("POST", "/v1/events/batch", { headers, body })));
    for (const r of results) expect(r.status).toBe(202);
    const ids = results[0]!.json.ids;
    for (const r of results) expect(r.json.ids).toEqual(ids);
    expect(results.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(4);
    await eventually(async () => (await storedEvents(owner)) >= 2);
    expect(await storedEvents(owner)).toBe(2);
    // The same key for a different number of events is a conflict, not a silent mix-up.
    expectProblem(await call("POST", "/v1/events/batch", { headers, body: { events: [event(owner)] } }), 409, "conflict");
    expectProblem(await call("POST", "/v1/events", { headers: { "idempotency-key": "" + "x".repeat(256) }, body: event(owner) }), 422, "validation_failed");
  });
});

describe("GET /v1/events", () => {
  it("lists newest first with owner, type and time filters and a cursor; owner keys see only their owner", async () => {
    const owner = "list-a";
    const t0 = Date.now() - 60_000;
    const messages = [
      { ...eventMessage(owner, "order.created", { i: 0 }), accepted_at: t0 },
      { ...eventMessage(owner, "order.paid", { i: 1 }), accepted_at: t0 + 1000 },
      { ...eventMessage(owner, "order.created", { i: 2 }), accepted_at: t0 + 2000 },
      eventMessage("list-b", "order.created", { i: 3 }),
    ];
    const result = await runEvents(messages);
    expect(result.explicitAcks.sort()).toEqual([...result.ids].sort());

    const all = await call("GET", `/v1/events?owner_id=${owner}`);
    expect(all.status).toBe(200);
    expect(all.json.data).toHaveLength(3);
    expect(all.json.data[0]).not.toHaveProperty("payload");
    const ids = all.json.data.map((e: { id: string }) => e.id);
    expect([...ids].sort().reverse()).toEqual(ids);

    const created = await call("GET", `/v1/events?owner_id=${owner}&event_type=order.created`);
    expect(created.json.data.map((e: { event_type: string }) => e.event_type)).toEqual(["order.created", "order.created"]);
    const window = await call("GET", `/v1/events?owner_id=${owner}&after=${new Date(t0).toISOString()}&before=${new Date(t0 + 2000).toISOString()}`);
    expect(window.json.data.map((e: { accepted_at: string }) => e.accepted_at)).toEqual([new Date(t0 + 1000).toISOString()]);

    const first = await call("GET", `/v1/events?owner_id=${owner}&limit=2`);
    expect(first.json.data).toHaveLength(2);
    const second = await call("GET", `/v1/events?owner_id=${owner}&limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.data).toHaveLength(1);
    expect(second.json.next_cursor).toBeNull();

    const key = await createOwnerKey(owner);
    const scoped = await call("GET", "/v1/events", { key });
    expect(scoped.json.data.every((e: { owner_id: string }) => e.owner_id === owner)).toBe(true);
    expectProblem(await call("GET", "/v1/events?owner_id=list-b", { key }), 403, "forbidden");
    expectProblem(await call("GET", `/v1/events?owner_id=${owner}&cursor=nope!`), 400, "invalid_cursor");
    expectProblem(await call("GET", `/v1/events?owner_id=${owner}&after=yesterday`), 422, "validation_failed");
  });

  it("needs owner_id with the admin key: history is kept per owner (422 naming owner_id)", async () => {
    for (const query of ["", "?event_type=order.created", "?limit=5", "?owner_id="]) {
      const problem = expectProblem(await call("GET", `/v1/events${query}`), 422, "validation_failed");
      expect(problem.errors.map((e: { path: string }) => e.path)).toContain("owner_id");
    }
    // An owner key names its owner by itself.
    const key = await createOwnerKey("list-needs-owner");
    const scoped = await call("GET", "/v1/events", { key });
    expect(scoped.status).toBe(200);
    expect(scoped.json).toEqual({ data: [], next_cursor: null });
  });

  it("pages across an owner's day shards, newest day first", async () => {
    const owner = "list-days";
    const now = Date.now();
    const day = 86_400_000;
    // Ids (and so shards) of today, two days ago and five days ago; acceptance times follow the ids.
    const messages = [5, 2, 0].map((daysAgo, i) => {
      const at = now - daysAgo * day;
      return { ...eventMessage(owner, "order.created", { i }, newEventId(owner, at)), accepted_at: at };
    });
    expect((await runEvents(messages)).explicitAcks).toHaveLength(3);
    const expected = messages.map((m) => m.id).reverse();
    const all = await call("GET", `/v1/events?owner_id=${owner}`);
    expect(all.json.data.map((e: { id: string }) => e.id)).toEqual(expected);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call("GET", `/v1/events?owner_id=${owner}&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      seen.push(...res.json.data.map((e: { id: string }) => e.id));
      cursor = res.json.next_cursor;
    } while (cursor !== null && seen.length < 10);
    expect(seen).toEqual(expected);
    const recent = await call("GET", `/v1/events?owner_id=${owner}&after=${new Date(now - 3 * day).toISOString()}`);
    expect(recent.json.data.map((e: { id: string }) => e.id)).toEqual(expected.slice(0, 2));
  });
});

describe("GET /v1/events/{id}", () => {
  it("returns the payload as JSON and the event's deliveries; unknown and foreign ids are 404", async () => {
    const owner = "detail-a";
    const ep = await createEndpoint(owner);
    await subscribe(ep, ["order.*"]);
    const msg = eventMessage(owner, "order.created", { deep: { x: [1, "two"] } });
    await runEvents([msg]);

    const res = await call("GET", `/v1/events/${msg.id}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: msg.id, owner_id: owner, event_type: "order.created", payload: { deep: { x: [1, "two"] } } });
    // Subscriptions that matched the type but not their filter: none here, and the field is always present.
    expect(res.json.filtered_out).toBe(0);
    expect(res.json.deliveries).toHaveLength(1);
    expect(Object.keys(res.json.deliveries[0]).sort()).toEqual(
      ["attempts", "created_at", "endpoint_id", "id", "last_error", "last_status_code", "next_attempt_at", "status", "updated_at"].sort(),
    );
    expect(res.json.deliveries[0].endpoint_id).toBe(ep);

    expectProblem(await call("GET", "/v1/events/evt_00000000000000000000000000"), 404, "not_found");
    expectProblem(await call("GET", "/v1/events/not-an-id"), 404, "not_found");
    const foreignKey = await createOwnerKey("detail-b");
    expectProblem(await call("GET", `/v1/events/${msg.id}`, { key: foreignKey }), 404, "not_found");
    const ownKey = await createOwnerKey(owner);
    expect((await call("GET", `/v1/events/${msg.id}`, { key: ownKey })).status).toBe(200);
  });
});

describe("POST /v1/events/{id}/replay", () => {
  it("retries existing deliveries of endpoints that still match and creates deliveries for newly matching ones", async () => {
    const owner = "replay-a";
    const kept = await createEndpoint(owner);
    const dropped = await createEndpoint(owner);
    const added = await createEndpoint(owner);
    await subscribe(kept, ["order.created"]);
    const droppedSub = await subscribe(dropped, ["order.*"]);
    const msg = eventMessage(owner, "order.created", { r: 1 });
    await runEvents([msg]);
    expect((await deliveriesOf(msg.id)).map((d) => d.endpoint_id).sort()).toEqual([kept, dropped].sort());

    expect((await call("DELETE", `/v1/subscriptions/${droppedSub}`)).status).toBe(204);
    await subscribe(added, ["*"]);
    const res = await call("POST", `/v1/events/${msg.id}/replay`);
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ id: msg.id, retried: 1, created: 1 });
    // The new delivery comes through the real events queue and consumer.
    await eventually(async () => (await deliveriesOf(msg.id)).some((d) => d.endpoint_id === added));
    expect(await deliveriesOf(msg.id)).toHaveLength(3);

    expectProblem(await call("POST", "/v1/events/evt_00000000000000000000000000/replay"), 404, "not_found");
    const foreignKey = await createOwnerKey("replay-b");
    expectProblem(await call("POST", `/v1/events/${msg.id}/replay`, { key: foreignKey }), 404, "not_found");
  });

  // The event's views list the deliveries of the endpoints it was routed to: a replay adds the ones it reaches.
  it("shows a delivery a replay created in the event's detail and in GET /v1/deliveries?event_id=", async () => {
    const owner = "replay-view";
    const first = await createEndpoint(owner);
    const later = await createEndpoint(owner);
    await subscribe(first, ["*"]);
    const msg = eventMessage(owner, "order.created", { r: 2 });
    await runEvents([msg]);
    await subscribe(later, ["*"]);
    expect((await call("POST", `/v1/events/${msg.id}/replay`)).json).toEqual({ id: msg.id, retried: 1, created: 1 });
    await eventually(async () => (await deliveriesOf(msg.id)).some((d) => d.endpoint_id === later));
    const detail = await call("GET", `/v1/events/${msg.id}`);
    expect(detail.json.deliveries.map((d: { endpoint_id: string }) => d.endpoint_id).sort()).toEqual([first, later].sort());
    const listed = await call("GET", `/v1/deliveries?event_id=${msg.id}`);
    expect(listed.json.data.map((d: { endpoint_id: string }) => d.endpoint_id).sort()).toEqual([first, later].sort());
  });
});

describe("GET /v1/owners", () => {
  it("lists the owners known from ingest and from endpoints, in id order with a cursor; admin only", async () => {
    const prefix = `own-${crypto.randomUUID().slice(0, 8)}`;
    const [ingestOnly, withEndpoints, third] = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    // An owner seen only through ingest (the consumer enters it in the owners directory) ...
    expect((await runEvents([eventMessage(ingestOnly, "order.created", {})])).explicitAcks).toHaveLength(1);
    // ... and owners known from their endpoints.
    await createEndpoint(withEndpoints);
    await createEndpoint(withEndpoints);
    await createEndpoint(third);

    const ours: { owner_id: string; endpoints: number; created_at: string }[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const res = await call("GET", `/v1/owners?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.json.data.length).toBeLessThanOrEqual(2);
      ours.push(...res.json.data.filter((o: { owner_id: string }) => o.owner_id.startsWith(prefix)));
      cursor = res.json.next_cursor;
      if (cursor === null) break;
    }
    expect(cursor).toBeNull();
    expect(ours.map((o) => [o.owner_id, o.endpoints])).toEqual([
      [ingestOnly, 0],
      [withEndpoints, 2],
      [third, 1],
    ]);
    for (const o of ours) expect(Date.parse(o.created_at)).toBeGreaterThan(Date.now() - 10 * 60_000);

    // Each owner once, whatever it is known from.
    const whole = await call("GET", "/v1/owners?limit=500");
    const ids = whole.json.data.map((o: { owner_id: string }) => o.owner_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);

    const key = await createOwnerKey(withEndpoints);
    expectProblem(await call("GET", "/v1/owners", { key }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/owners", { key: null }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/owners?limit=0"), 422, "validation_failed");
    expectProblem(await call("GET", "/v1/owners?cursor=%25%25%25"), 400, "invalid_cursor");
  });
});
