// Packed events-queue messages (`kind: "events"`, one per ingest request): every event lands in history and is
// delivered once, a redelivered packed message doubles nothing, a partly failing batch loses nothing, and
// old single-event messages are still handled beside them.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { handleEventsBatch } from "../../src/fanout/consumer";
import type { EventMessage, PackedEventsMessage } from "../../src/ingest/queue-messages";
import { received, receiverUrl, uniqueKey } from "./delivery-fixtures";
import { call } from "./helpers";
import { createEndpoint, endpointDeliveries, eventMessage, eventually, ownerEvents, runEvents, storedEvent, subscribe, testEnv } from "./fanout-helpers";

function packed(events: EventMessage[]): PackedEventsMessage {
  return { kind: "events", events: events.map(({ kind: _kind, ...entry }) => entry) };
}

/** An env whose EndpointDO RPCs fail for the given endpoints only (as if those objects were unreachable). */
function failingFor(endpointIds: string[]): Env {
  const down = new Set(endpointIds.map((id) => testEnv.ENDPOINT_DO.idFromName(id).toString()));
  return {
    ...testEnv,
    ENDPOINT_DO: {
      idFromName: (name: string) => testEnv.ENDPOINT_DO.idFromName(name),
      get: (id: DurableObjectId) =>
        down.has(id.toString()) ? { enqueue: () => Promise.reject(new Error("object unreachable")) } : testEnv.ENDPOINT_DO.get(id),
    },
  } as unknown as Env;
}

/** How often each event id arrived at a receiver (webhook-id is the event id). */
async function arrivals(key: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const r of await received(key)) counts.set(r.headers["webhook-id"]!, (counts.get(r.headers["webhook-id"]!) ?? 0) + 1);
  return counts;
}

async function endpointWithReceiver(owner: string, label: string, types: string[]) {
  const key = uniqueKey(label);
  const id = await createEndpoint(owner, receiverUrl(key));
  await subscribe(id, types);
  return { id, key };
}

describe("fanout consumer with packed messages", () => {
  it("stores and delivers every event of a packed message once per endpoint, beside an old single-event message", async () => {
    const owner = "pack-all";
    const eps = [];
    for (let i = 0; i < 3; i++) eps.push(await endpointWithReceiver(owner, `pack-all-${i}`, ["*"]));
    const events = Array.from({ length: 40 }, (_, i) => eventMessage(owner, "order.created", { i }));
    const single = eventMessage(owner, "order.created", { single: true });
    const result = await runEvents([packed(events.slice(0, 25)), single, packed(events.slice(25))]);
    expect(result.explicitAcks).toEqual(result.ids);
    const all = [...events, single].map((e) => e.id);
    expect((await ownerEvents(owner)).map((e) => e.id).sort()).toEqual([...all].sort());
    for (const ep of eps) {
      const got = await eventually(async () => {
        const counts = await arrivals(ep.key);
        return counts.size === all.length ? counts : undefined;
      }, 30_000);
      expect([...got.keys()].sort()).toEqual([...all].sort());
      expect([...got.values()].every((n) => n === 1)).toBe(true);
    }
  });

  it("a redelivered packed message doubles nothing (same batch and later)", async () => {
    const owner = "pack-again";
    const ep = await createEndpoint(owner);
    await subscribe(ep, ["*"]);
    const events = Array.from({ length: 10 }, (_, i) => eventMessage(owner, "order.created", { i }));
    const msg = packed(events);
    const first = await runEvents([msg, msg]);
    expect(first.explicitAcks).toEqual(first.ids);
    const again = await runEvents([msg]);
    expect(again.explicitAcks).toEqual(again.ids);
    expect((await ownerEvents(owner)).map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    const deliveries = await endpointDeliveries(ep);
    expect(deliveries.map((d) => d.event_id).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it("retries a whole packed message when one endpoint fails, acks the others, and the retry loses and doubles nothing", async () => {
    const owner = "pack-partial";
    const ok = await endpointWithReceiver(owner, "pack-ok", ["*"]);
    const flaky = await endpointWithReceiver(owner, "pack-flaky", ["invoice.*"]);
    const orders = Array.from({ length: 5 }, (_, i) => eventMessage(owner, "order.created", { i }));
    const invoices = Array.from({ length: 3 }, (_, i) => eventMessage(owner, "invoice.paid", { i }));
    const mixed = packed([orders[0]!, invoices[0]!, orders[1]!, invoices[1]!]);
    const ordersOnly = packed(orders.slice(2));
    // Repeats invoices[1], carried first by `mixed`: it must share mixed's fate, never be acked alone.
    const repeat = eventMessage(owner, "invoice.paid", { i: 1 }, invoices[1]!.id);
    const first = await runEvents([mixed, ordersOnly, repeat, invoices[2]!], failingFor([flaky.id]));
    expect(first.explicitAcks).toEqual([first.ids[1]]);
    expect(first.retryMessages.map((m) => m.msgId)).toEqual([first.ids[0], first.ids[2], first.ids[3]]);

    // The platform redelivers the retried messages; now every object is reachable.
    const retried = await runEvents([mixed, repeat, invoices[2]!]);
    expect(retried.explicitAcks).toEqual(retried.ids);
    const allIds = [...orders, ...invoices].map((e) => e.id).sort();
    expect((await ownerEvents(owner)).map((e) => e.id).sort()).toEqual(allIds);
    const atOk = await eventually(async () => {
      const counts = await arrivals(ok.key);
      return counts.size === allIds.length ? counts : undefined;
    }, 30_000);
    const atFlaky = await eventually(async () => {
      const counts = await arrivals(flaky.key);
      return counts.size === invoices.length ? counts : undefined;
    }, 30_000);
    expect([...atOk.keys()].sort()).toEqual(allIds);
    expect([...atFlaky.keys()].sort()).toEqual(invoices.map((e) => e.id).sort());
    // Settle a little more than the fastest delivery took, then check nothing arrived twice.
    await new Promise((r) => setTimeout(r, 500));
    expect([...(await arrivals(ok.key)).values()].every((n) => n === 1)).toBe(true);
    expect([...(await arrivals(flaky.key)).values()].every((n) => n === 1)).toBe(true);
    expect((await endpointDeliveries(ok.id)).length).toBe(allIds.length);
    expect((await endpointDeliveries(flaky.id)).length).toBe(invoices.length);
  });

  it("handles the valid entries of a damaged packed message and retries it (it ends in the dead-letter queue)", async () => {
    const owner = "pack-damaged";
    const good = eventMessage(owner, "order.created", {});
    const damaged = { kind: "events", events: [packed([good]).events[0], { id: 42 }] };
    const empty = { kind: "events", events: [] };
    const result = await runEvents([damaged, empty]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(result.ids);
    expect((await storedEvent(good.id, owner))?.id).toBe(good.id);
  });

  it("a batch through the API, with one payload by reference, arrives packed and is delivered whole", async () => {
    const owner = "pack-api";
    const ep = await endpointWithReceiver(owner, "pack-api", ["*"]);
    const big = { blob: "q".repeat(140_000) };
    const events = [{ n: 0 }, big, { n: 2 }].map((payload) => ({ payload, owner_id: owner, event_type: "order.created" }));
    const res = await call("POST", "/v1/events/batch", { body: { events } });
    expect(res.status).toBe(202);
    const ids = res.json.ids as string[];
    expect(ids).toHaveLength(3);
    const got = await eventually(async () => {
      const counts = await arrivals(ep.key);
      return counts.size === 3 ? counts : undefined;
    }, 30_000);
    expect([...got.keys()].sort()).toEqual([...ids].sort());
    const bigArrival = (await received(ep.key)).find((r) => r.headers["webhook-id"] === ids[1]);
    expect(JSON.parse(bigArrival!.body)).toEqual(big);
  });
});

describe("fanout budget with packed messages", () => {
  it("re-sends whole packed messages past the invocation's budget instead of slicing them per event", async () => {
    const owner = "pack-budget";
    const ep = await endpointWithReceiver(owner, "pack-budget", ["*"]);
    const events = Array.from({ length: 9 }, (_, i) => eventMessage(owner, "order.created", { i }));
    const bodies = [0, 1, 2].map((m) => packed(events.slice(m * 3, m * 3 + 3)));
    const sent: unknown[] = [];
    const recording = {
      ...testEnv,
      EVENTS_QUEUE: {
        send: (body: unknown, o?: QueueSendOptions) => (sent.push(body), testEnv.EVENTS_QUEUE.send(body as never, o)),
        sendBatch: (msgs: Iterable<MessageSendRequest>, o?: QueueSendBatchOptions) => {
          const list = [...msgs];
          sent.push(...list.map((m) => m.body));
          return testEnv.EVENTS_QUEUE.sendBatch(list as never, o);
        },
      },
    } as unknown as Env;
    const batch = createMessageBatch("hookrelay-events", bodies.map((body, i) => ({ id: `budget-${i}`, timestamp: new Date(), attempts: 1, body })));
    const ctx = createExecutionContext();
    // Budget of 5 deliveries: the first message (3) fits, the next two (3 each) would not.
    await handleEventsBatch(batch, recording, { maxEndpoints: 200, maxDeliveries: 5, sliceSize: 100 });
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["budget-0", "budget-1", "budget-2"]);
    // Two messages went back whole; no per-event `fanout` slices.
    expect(sent).toEqual([bodies[1], bodies[2]]);
    expect((await storedEvent(events[0]!.id, owner))?.endpoints).toEqual([ep.id]);
    // The real queue brings them back to the Worker's consumer: every event arrives once.
    const got = await eventually(async () => {
      const counts = await arrivals(ep.key);
      return counts.size === events.length ? counts : undefined;
    }, 30_000);
    expect([...got.keys()].sort()).toEqual(events.map((e) => e.id).sort());
    expect((await endpointDeliveries(ep.id)).length).toBe(events.length);
  });
});
