// The management API's effect on real deliveries: a real `wrangler dev` and a loopback receiver check that
// the secret the API returns is the one that signs, that rotation signs with both secrets, and that PATCH,
// auth and disable/enable reach the endpoint's Durable Object at once.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver, type ReceivedRequest } from "./support/receiver";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";

const OWNER = "mgmt-e2e";

let worker: RunningWorker;
let receiver: Receiver;
let endpoint: any;

beforeAll(async () => {
  receiver = await startReceiver();
  worker = await startWorker();
  const created = await worker.api("POST", "/v1/endpoints", { url: `${receiver.url}/first`, owner_id: OWNER });
  expect(created.status, created.text).toBe(201);
  endpoint = created.json;
  const sub = await worker.api("POST", "/v1/subscriptions", { endpoint_id: endpoint.id, event_types: ["order.*"] });
  expect(sub.status, sub.text).toBe(201);
});

afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
});

/** Sends one event and waits until the receiver has it; returns the request the endpoint received. */
async function deliverOne(eventType: string, payload: unknown): Promise<ReceivedRequest> {
  const sent = await worker.api("POST", "/v1/events", { payload, owner_id: OWNER, event_type: eventType });
  expect(sent.status, sent.text).toBe(202);
  return waitFor(async () => receiver.received.find((r) => r.headers["webhook-id"] === sent.json.id), 60_000);
}

function verifies(secret: string, req: ReceivedRequest): boolean {
  try {
    new Webhook(secret).verify(req.body, {
      "webhook-id": req.headers["webhook-id"]!,
      "webhook-timestamp": req.headers["webhook-timestamp"]!,
      "webhook-signature": req.headers["webhook-signature"]!,
    });
    return true;
  } catch {
    return false;
  }
}

describe("management API → deliveries", () => {
  it("signs with the secret the API returned", async () => {
    const req = await deliverOne("order.created", { n: 1 });
    expect(req.path).toBe("/first");
    expect(JSON.parse(req.body)).toEqual({ n: 1 });
    expect(req.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(verifies(endpoint.secret, req)).toBe(true);
    expect(verifies("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", req)).toBe(false);
  });

  it("after rotate-secret, signs with the new and the old secret (two signatures)", async () => {
    const rotated = await worker.api("POST", `/v1/endpoints/${endpoint.id}/rotate-secret`);
    expect(rotated.status, rotated.text).toBe(200);
    const req = await deliverOne("order.updated", { n: 2 });
    expect(req.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verifies(rotated.json.secret, req)).toBe(true);
    expect(verifies(endpoint.secret, req)).toBe(true);
    endpoint.secret = rotated.json.secret;
  });

  it("PATCH of url and auth applies to the very next delivery", async () => {
    const patched = await worker.api("PATCH", `/v1/endpoints/${endpoint.id}`, {
      url: `${receiver.url}/second`,
      auth: { type: "bearer", token: "e2e-bearer-token-1234" },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.auth).toEqual({ type: "bearer", token: "••••1234" });
    const req = await deliverOne("order.shipped", { n: 3 });
    expect(req.path).toBe("/second");
    expect(req.headers.authorization).toBe("Bearer e2e-bearer-token-1234");
  });

  it("disable holds new deliveries without attempting them; enable attempts new events again", async () => {
    expect((await worker.api("POST", `/v1/endpoints/${endpoint.id}/disable`)).json.status).toBe("disabled");
    const before = receiver.received.length;
    const sent = await worker.api("POST", "/v1/events", { payload: { n: 4 }, owner_id: OWNER, event_type: "order.held" });
    expect(sent.status).toBe(202);
    // Wait for the fanout to record the delivery, then for it to settle; a disabled endpoint's must be held.
    const delivery = await waitFor(async () => {
      const event = await worker.api("GET", `/v1/events/${sent.json.id}`);
      const found = event.json?.deliveries?.find((d: any) => d.endpoint_id === endpoint.id);
      return found && found.status !== "pending" ? found : undefined;
    }, 60_000).catch(async (err) => {
      const event = await worker.api("GET", `/v1/events/${sent.json.id}`);
      throw new Error(`${err}; event now: ${event.status} ${event.text}`);
    });
    expect(delivery.status).toBe("held");
    expect(delivery.attempts).toBe(0);
    const heldList = await worker.api("GET", `/v1/deliveries?endpoint_id=${endpoint.id}&status=held`);
    expect(heldList.json.data.map((d: any) => d.event_id)).toContain(sent.json.id);
    expect(receiver.received.length).toBe(before);

    expect((await worker.api("POST", `/v1/endpoints/${endpoint.id}/enable`)).json.status).toBe("active");
    const req = await deliverOne("order.after", { n: 5 });
    expect(verifies(endpoint.secret, req)).toBe(true);
    expect(receiver.received.some((r) => r.headers["webhook-id"] === sent.json.id)).toBe(false);
  });

  it("after DELETE, events for the owner reach the endpoint no more", async () => {
    expect((await worker.api("DELETE", `/v1/endpoints/${endpoint.id}`)).status).toBe(204);
    const subs = await worker.api("GET", `/v1/subscriptions?endpoint_id=${endpoint.id}`);
    expect(subs.json.data).toEqual([]);
    const sent = await worker.api("POST", "/v1/events", { payload: { n: 6 }, owner_id: OWNER, event_type: "order.gone" });
    expect(sent.status).toBe(202);
    // The event is stored with no deliveries (no endpoint matches any more).
    const event = await waitFor(async () => {
      const res = await worker.api("GET", `/v1/events/${sent.json.id}`);
      return res.status === 200 ? res.json : undefined;
    }, 30_000);
    expect(event.deliveries).toEqual([]);
    expect(receiver.received.some((r) => r.headers["webhook-id"] === sent.json.id)).toBe(false);
  });
});
