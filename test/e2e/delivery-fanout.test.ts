// End to end through a real `wrangler dev`: REST ingest → events queue → fanout consumer → EndpointDOs →
// real receivers on 127.0.0.1, each request verified with the reference `standardwebhooks` package.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "./support/receiver";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";

let worker: RunningWorker;
const receivers: Receiver[] = [];

beforeAll(async () => {
  worker = await startWorker();
  for (let i = 0; i < 5; i++) receivers.push(await startReceiver());
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await worker?.stop();
});

async function endpoint(owner: string, receiver: Receiver, eventTypes: string[] | null) {
  const created = await worker.api("POST", "/v1/endpoints", { url: `${receiver.url}/hook`, owner_id: owner });
  expect(created.status).toBe(201);
  if (eventTypes) {
    const sub = await worker.api("POST", "/v1/subscriptions", { endpoint_id: created.json.id, event_types: eventTypes });
    expect(sub.status).toBe(201);
  }
  return created.json as { id: string; secret: string };
}

describe("delivery fanout", () => {
  it("delivers an event to exactly the owner's 3 subscribed endpoints, each signed verifiably", async () => {
    const [exact, prefix, star, unsubscribed, foreign] = receivers as [Receiver, Receiver, Receiver, Receiver, Receiver];
    const subscribed = [
      { receiver: exact, ep: await endpoint("acme", exact, ["order.created"]) },
      { receiver: prefix, ep: await endpoint("acme", prefix, ["order.*"]) },
      { receiver: star, ep: await endpoint("acme", star, ["*"]) },
    ];
    const unsubscribedEp = await endpoint("acme", unsubscribed, null);
    const foreignEp = await endpoint("globex", foreign, ["*"]);

    const payload = { order_id: 42, total: "19.99", note: "ünïcode ✓" };
    const accepted = await worker.api("POST", "/v1/events", { payload, owner_id: "acme", event_type: "order.created" });
    expect(accepted.status).toBe(202);
    const eventId = accepted.json.id as string;

    await waitFor(async () => subscribed.every(({ receiver }) => receiver.received.length >= 1), 30_000);
    for (const { receiver, ep } of subscribed) {
      expect(receiver.received).toHaveLength(1);
      const req = receiver.received[0]!;
      expect(req.body).toBe(JSON.stringify(payload));
      expect(req.headers["webhook-id"]).toBe(eventId);
      expect(req.headers["hookrelay-event-type"]).toBe("order.created");
      expect(req.headers["hookrelay-owner-id"]).toBe("acme");
      // Throws unless the signature is valid for this endpoint's secret over these exact bytes.
      const verified = new Webhook(ep.secret).verify(req.body, req.headers);
      expect(verified).toEqual(payload);
    }

    // The event's deliveries settle as succeeded, one per subscribed endpoint.
    const detail = await waitFor(async () => {
      const res = await worker.api("GET", `/v1/events/${eventId}`);
      return res.json?.deliveries?.length === 3 && res.json.deliveries.every((d: { status: string }) => d.status === "succeeded") ? res : null;
    }, 30_000);
    expect(detail.json.deliveries.map((d: { endpoint_id: string }) => d.endpoint_id).sort()).toEqual(subscribed.map((s) => s.ep.id).sort());
    expect(detail.json.payload).toEqual(payload);

    // Silence is judged by a marker, not a fixed sleep: a test event to each endpoint travels the same path
    // (events queue → fanout → that endpoint's EndpointDO) after the event above, and one object sends its work
    // in order, so once every marker has arrived a stray delivery of the event would already have arrived too.
    const markers = await Promise.all(
      [...subscribed, { receiver: unsubscribed, ep: unsubscribedEp }, { receiver: foreign, ep: foreignEp }].map(async ({ receiver, ep }) => {
        const sent = await worker.api("POST", `/v1/endpoints/${ep.id}/test`, { payload: { marker: ep.id } });
        expect(sent.status, sent.text).toBe(202);
        return { receiver, id: sent.json.event_id as string };
      }),
    );
    await waitFor(async () => markers.every(({ receiver, id }) => receiver.received.some((r) => r.headers["webhook-id"] === id)), 30_000);
    const idsAt = (r: Receiver) => r.received.map((q) => q.headers["webhook-id"]);
    expect(idsAt(unsubscribed)).toEqual([markers[3]!.id]);
    expect(idsAt(foreign)).toEqual([markers[4]!.id]);
    subscribed.forEach(({ receiver }, i) => expect(idsAt(receiver)).toEqual([eventId, markers[i]!.id]));
  });

  it("replays an event: existing deliveries are sent again, and an endpoint subscribed since gets its first", async () => {
    const owner = "replay-co";
    const [first, second, later] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    receivers.push(first, second, later);
    const a = await endpoint(owner, first, ["order.*"]);
    const b = await endpoint(owner, second, ["*"]);
    const accepted = await worker.api("POST", "/v1/events", { payload: { r: 1 }, owner_id: owner, event_type: "order.paid" });
    const eventId = accepted.json.id as string;
    await waitFor(async () => first.received.length === 1 && second.received.length === 1, 30_000);
    await waitFor(async () => {
      const res = await worker.api("GET", `/v1/events/${eventId}`);
      return res.json?.deliveries?.length === 2 && res.json.deliveries.every((d: { status: string }) => d.status === "succeeded");
    }, 30_000);

    const c = await endpoint(owner, later, ["order.paid"]);
    const replay = await worker.api("POST", `/v1/events/${eventId}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.json).toEqual({ id: eventId, retried: 2, created: 1 });

    await waitFor(async () => first.received.length === 2 && second.received.length === 2 && later.received.length === 1, 30_000);
    for (const [receiver, ep] of [[first, a], [second, b], [later, c]] as const) {
      for (const req of receiver.received) {
        expect(req.headers["webhook-id"]).toBe(eventId);
        expect(new Webhook(ep.secret).verify(req.body, req.headers)).toEqual({ r: 1 });
      }
    }
  });
});
