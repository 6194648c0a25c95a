// The events-queue consumer: matching, held deliveries, idempotent re-runs, cache invalidation, crash
// recovery, split large fanouts and payloads by reference — driven through the Worker's queue handler.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { handleEventsBatch } from "../../src/fanout/consumer";
import { storeLargePayload } from "../../src/history/event-history";
import { call } from "./helpers";
import { received, receiverUrl, uniqueKey } from "./delivery-fixtures";
import {
  createEndpoint,
  deliveriesOf,
  endpointDeliveries,
  eventMessage,
  eventually,
  ownerEvents,
  runEvents,
  storedEvent,
  subscribe,
  testEnv,
} from "./fanout-helpers";

describe("fanout consumer", () => {
  it("delivers to exactly the owner's subscribed endpoints; a disabled one gets a held delivery, never attempted", async () => {
    const owner = "fan-a";
    const keys = ["exact", "prefix", "star", "unsubscribed", "disabled", "foreign"].map((k) => uniqueKey(`fan-${k}`));
    const [exact, prefix, star, unsubscribed, disabled] = await Promise.all(keys.slice(0, 5).map((k) => createEndpoint(owner, receiverUrl(k))));
    const foreign = await createEndpoint("fan-b", receiverUrl(keys[5]!));
    await subscribe(exact!, ["order.created"]);
    await subscribe(prefix!, ["order.*"]);
    await subscribe(star!, ["*"]);
    await subscribe(unsubscribed!, ["invoice.*", "order"]);
    await subscribe(disabled!, ["order.created"]);
    await subscribe(foreign, ["*"]);
    expect((await call("POST", `/v1/endpoints/${disabled}/disable`)).status).toBe(200);

    const msg = eventMessage(owner, "order.created", { id: 7 });
    const result = await runEvents([msg]);
    expect(result.explicitAcks).toEqual(result.ids);
    expect(result.retryMessages).toEqual([]);

    const rows = await deliveriesOf(msg.id);
    expect(rows.map((r) => r.endpoint_id).sort()).toEqual([exact, prefix, star, disabled].sort());
    expect(rows.find((r) => r.endpoint_id === disabled)!.status).toBe("held");

    // The three active endpoints really receive it from their EndpointDOs; the others never hear of it.
    for (const key of keys.slice(0, 3)) {
      const got = await eventually(async () => ((await received(key)).length > 0 ? received(key) : null));
      expect(got).toHaveLength(1);
      expect(got[0]!.body).toBe('{"id":7}');
      expect(got[0]!.headers["webhook-id"]).toBe(msg.id);
    }
    for (const key of keys.slice(3)) expect(await received(key)).toEqual([]);
  });

  it("writes each event and delivery once when the same message is processed twice", async () => {
    const owner = "fan-twice";
    const ep = await createEndpoint(owner);
    await subscribe(ep, ["*"]);
    const msg = eventMessage(owner, "order.created", { n: 1 });
    const first = await runEvents([msg, msg]);
    const second = await runEvents([msg]);
    expect(first.explicitAcks).toHaveLength(2);
    expect(second.explicitAcks).toEqual(second.ids);
    expect((await ownerEvents(owner)).map((e) => e.id)).toEqual([msg.id]);
    expect(await deliveriesOf(msg.id)).toHaveLength(1);
    expect(await endpointDeliveries(ep)).toHaveLength(1);
  });

  it("stores a batch of events (one write per owner-day shard) and routes each by type", async () => {
    const owner = "fan-many";
    const orders = await createEndpoint(owner);
    const invoices = await createEndpoint(owner);
    await subscribe(orders, ["order.*"]);
    await subscribe(invoices, ["invoice.*"]);
    const msgs = Array.from({ length: 100 }, (_, i) => eventMessage(owner, i % 2 ? "invoice.paid" : "order.created", { i }));
    const result = await runEvents(msgs);
    expect(result.explicitAcks).toHaveLength(100);
    expect(await ownerEvents(owner)).toHaveLength(100);
    const toOrders = await endpointDeliveries(orders);
    const toInvoices = await endpointDeliveries(invoices);
    expect(toOrders).toHaveLength(50);
    expect(toOrders.every((d) => d.event_type === "order.created")).toBe(true);
    expect(toInvoices).toHaveLength(50);
    expect(toInvoices.every((d) => d.event_type === "invoice.paid")).toBe(true);
  });

  it("drops a deleted subscription and picks up a new one on the next batch (config version invalidation)", async () => {
    const owner = "fan-cache";
    const a = await createEndpoint(owner);
    const b = await createEndpoint(owner);
    const subA = await subscribe(a, ["order.created"]);
    const first = eventMessage(owner, "order.created", {});
    await runEvents([first]);
    expect((await deliveriesOf(first.id)).map((d) => d.endpoint_id)).toEqual([a]);

    expect((await call("DELETE", `/v1/subscriptions/${subA}`)).status).toBe(204);
    await subscribe(b, ["order.*"]);
    const second = eventMessage(owner, "order.created", {});
    await runEvents([second]);
    expect((await deliveriesOf(second.id)).map((d) => d.endpoint_id)).toEqual([b]);
  });

  it("loses nothing and duplicates nothing when a run dies after its history writes and is re-run", async () => {
    const owner = "fan-crash";
    const key = uniqueKey("fan-crash");
    const ep = await createEndpoint(owner, receiverUrl(key));
    await subscribe(ep, ["*"]);
    const msg = eventMessage(owner, "order.created", { crash: true });

    // The EndpointDO namespace fails as if the isolate died between the history write and the handoff.
    const dying = {
      ...testEnv,
      ENDPOINT_DO: {
        idFromName: (name: string) => testEnv.ENDPOINT_DO.idFromName(name),
        get: () => ({ enqueue: () => Promise.reject(new Error("simulated crash")) }),
      },
    } as unknown as Env;
    const crashed = await runEvents([msg], dying);
    expect(crashed.explicitAcks).toEqual([]);
    expect(crashed.retryMessages.map((m) => m.msgId)).toEqual(crashed.ids);
    // The event is in history, routed; its delivery is not handed over yet, and the API shows it pending.
    expect(await deliveriesOf(msg.id)).toEqual([]);
    const shown = await call("GET", `/v1/events/${msg.id}`);
    expect(shown.status).toBe(200);
    expect(shown.json.deliveries).toEqual([expect.objectContaining({ endpoint_id: ep, status: "pending" })]);

    const rerun = await runEvents([msg]);
    expect(rerun.explicitAcks).toEqual(rerun.ids);
    expect((await ownerEvents(owner)).map((e) => e.id)).toEqual([msg.id]);
    expect(await deliveriesOf(msg.id)).toEqual([expect.objectContaining({ endpoint_id: ep })]);
    const got = await eventually(async () => ((await received(key)).length > 0 ? received(key) : null));
    expect(got).toHaveLength(1);
  });

  it("retries a repeated event together with its first copy when that copy's handoff fails", async () => {
    const owner = "fan-twin";
    const ep = await createEndpoint(owner);
    await subscribe(ep, ["*"]);
    const msg = eventMessage(owner, "order.created", {});
    const unreachable = {
      ...testEnv,
      ENDPOINT_DO: { idFromName: (n: string) => testEnv.ENDPOINT_DO.idFromName(n), get: () => ({ enqueue: () => Promise.reject(new Error("down")) }) },
    } as unknown as Env;
    const result = await runEvents([msg, msg, msg], unreachable);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(result.ids);
  });

  it("a consumer that cannot read D1 acks nothing, so the platform redelivers everything", async () => {
    const msg = eventMessage("fan-d1", "order.created", {});
    const broken = { ...testEnv, DB: { prepare: () => { throw new Error("D1 unavailable"); }, batch: () => Promise.reject(new Error("D1 unavailable")) } } as unknown as Env;
    await expect(runEvents([msg], broken)).rejects.toThrow(/D1 unavailable/);
    expect(await storedEvent(msg.id, "fan-d1")).toBeUndefined();
  });

  it("splits a fanout past its DO-call budget into fanout messages that the real queue delivers", async () => {
    const owner = "fan-split";
    const eps = [];
    for (let i = 0; i < 3; i++) {
      const ep = await createEndpoint(owner);
      await subscribe(ep, ["*"]);
      eps.push(ep);
    }
    const msg = eventMessage(owner, "order.created", {});
    const batch = createMessageBatch("hookrelay-events", [{ id: "split-1", timestamp: new Date(), attempts: 1, body: msg }]);
    const ctx = createExecutionContext();
    await handleEventsBatch(batch, testEnv, { maxEndpoints: 1, maxDeliveries: 1_000, sliceSize: 1 });
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["split-1"]);
    expect(await deliveriesOf(msg.id)).toHaveLength(1);
    // The two split-off slices travel through hookrelay-events and the Worker's own consumer.
    await eventually(async () => (await deliveriesOf(msg.id)).length === 3);
    expect((await deliveriesOf(msg.id)).map((d) => d.endpoint_id).sort()).toEqual([...eps].sort());
  });

  it("reads payloads sent by reference from the event stored unrouted in history, and routes that event", async () => {
    const owner = "fan-large";
    const ep = await createEndpoint(owner);
    await subscribe(ep, ["*"]);
    const payload = JSON.stringify({ blob: "z".repeat(150_000) });
    const msg = { ...eventMessage(owner, "order.created", null), payload: null, payload_size: payload.length };
    // What accept() does for a payload too large for a queue message: the event goes to history first, unrouted.
    await storeLargePayload(testEnv, {
      id: msg.id, owner_id: owner, event_type: msg.event_type, payload, payload_size: payload.length, source_id: null,
      idempotency_key: null, accepted_at: msg.accepted_at, endpoints: null, filtered_out: 0,
    });
    const result = await runEvents([msg]);
    expect(result.explicitAcks).toEqual(result.ids);
    const row = await storedEvent(msg.id, owner);
    expect(row!.payload).toBe(payload);
    expect(row!.endpoints).toEqual([ep]);
    expect(await deliveriesOf(msg.id)).toHaveLength(1);
    // Processed again (a redelivery), the payload still comes from the stored event and nothing is doubled.
    expect((await runEvents([msg])).explicitAcks).toHaveLength(1);
    expect(await deliveriesOf(msg.id)).toHaveLength(1);
  });

  it("sends an over-128 KB payload through the API by reference and stores the exact bytes", async () => {
    const payload = { blob: "é".repeat(100_000) };
    const res = await call("POST", "/v1/events", { body: { payload, owner_id: "fan-large-api", event_type: "big.one" } });
    expect(res.status).toBe(202);
    // Stored unrouted by accept(), then routed (to nothing: no subscriptions) by the consumer.
    const row = await eventually(async () => {
      const e = await storedEvent(res.json.id, "fan-large-api");
      return e?.endpoints != null ? e : undefined;
    });
    expect(row.payload).toBe(JSON.stringify(payload));
    expect(row.payload_size).toBe(200_000 + 11); // {"blob":"…"} around 100,000 two-byte characters
    expect(row.endpoints).toEqual([]);
    const shown = await call("GET", `/v1/events/${res.json.id}`);
    expect(shown.json.payload).toEqual(payload);
  });

  it("retries malformed messages (they end in the dead-letter queue) and acks the good ones", async () => {
    const good = eventMessage("fan-bad", "order.created", {});
    const result = await runEvents([{ kind: "nonsense" }, good]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual([result.ids[0]]);
    expect(result.explicitAcks).toEqual([result.ids[1]]);
  });
});
