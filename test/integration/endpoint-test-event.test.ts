// POST /v1/endpoints/{id}/test (API.md "Test events"): one event, to this endpoint only, through the real
// queue and EndpointDO to the loopback receiver, signed, recorded, and listed with the owner's events.
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { deliveryId } from "../../src/domain/ids";
import { call, createOwnerKey, expectProblem } from "./helpers";
import { createEndpoint, eventMessage, eventually, runEvents, subscribe } from "./fanout-helpers";

const RECEIVER = (env as unknown as { TEST_RECEIVER_URL: string }).TEST_RECEIVER_URL;
const OWNER = "test-event-owner";

async function received(key: string): Promise<{ headers: Record<string, string>; body: string }[]> {
  return (await fetch(`${RECEIVER}/__received/${key}`)).json();
}

async function deliveryStatus(id: string): Promise<string | undefined> {
  const res = await call("GET", `/v1/deliveries/${id}`);
  return res.status === 200 ? (res.json.status as string) : undefined;
}

describe("POST /v1/endpoints/{id}/test", () => {
  it("delivers one signed default test event to this endpoint only, ignoring other endpoints' subscriptions", async () => {
    const key = `test-event-${crypto.randomUUID()}`;
    const target = await call("POST", "/v1/endpoints", { body: { url: `${RECEIVER}/${key}`, owner_id: OWNER } });
    expect(target.status).toBe(201);
    // Another endpoint of the same owner subscribed to everything: a normal event would reach it, a test event must not.
    const bystander = await createEndpoint(OWNER, `${RECEIVER}/${key}-bystander`);
    await subscribe(bystander, ["*"]);

    const res = await call("POST", `/v1/endpoints/${target.json.id}/test`);
    expect(res.status).toBe(202);
    expect(res.json.delivery_id).toBe(await deliveryId(res.json.event_id, target.json.id));

    await eventually(async () => (await deliveryStatus(res.json.delivery_id)) === "succeeded");
    const hits = await received(key);
    expect(hits).toHaveLength(1);
    const body = JSON.parse(hits[0]!.body);
    expect(body).toMatchObject({ test: true, endpoint_id: target.json.id });
    expect(Date.parse(body.sent_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(hits[0]!.headers["hookrelay-event-type"]).toBe("hookrelay.test");
    expect(hits[0]!.headers["webhook-id"]).toBe(res.json.event_id);
    // Signed like any delivery: the reference verifier accepts it with the endpoint's secret.
    expect(() => new Webhook(target.json.secret).verify(hits[0]!.body, hits[0]!.headers)).not.toThrow();

    const byEvent = await call("GET", `/v1/deliveries?event_id=${res.json.event_id}`);
    expect(byEvent.json.data.map((d: { endpoint_id: string }) => d.endpoint_id)).toEqual([target.json.id]);
    expect(await received(`${key}-bystander`)).toHaveLength(0);

    // Listed with the owner's events.
    const events = await call("GET", `/v1/events?owner_id=${OWNER}&event_type=hookrelay.test`);
    expect(events.json.data.map((e: { id: string }) => e.id)).toContain(res.json.event_id);
  });

  it("takes an event type and payload, and an owner key may test its own endpoints only", async () => {
    const key = `test-event-${crypto.randomUUID()}`;
    const endpointId = await createEndpoint(OWNER, `${RECEIVER}/${key}`);
    const ownerKey = await createOwnerKey(OWNER);
    const res = await call("POST", `/v1/endpoints/${endpointId}/test`, { key: ownerKey, body: { event_type: "order.created", payload: { id: 42 } } });
    expect(res.status).toBe(202);
    await eventually(async () => (await deliveryStatus(res.json.delivery_id)) === "succeeded");
    const [hit] = await received(key);
    expect(hit!.body).toBe('{"id":42}');
    expect(hit!.headers["hookrelay-event-type"]).toBe("order.created");

    const stranger = await createOwnerKey("someone-else");
    expectProblem(await call("POST", `/v1/endpoints/${endpointId}/test`, { key: stranger }), 404, "not_found");
    expectProblem(await call("POST", "/v1/endpoints/ep_00000000000000000000000000/test"), 404, "not_found");
    const bad = expectProblem(await call("POST", `/v1/endpoints/${endpointId}/test`, { body: { event_type: "no spaces allowed" } }), 422, "validation_failed");
    expect(bad.errors[0].path).toBe("event_type");
  });

  it("the consumer sends an only_endpoint_id event nowhere when that endpoint belongs to another owner", async () => {
    const foreign = await createEndpoint("test-event-other-owner", `${RECEIVER}/unused`);
    const message = { ...eventMessage(OWNER, "hookrelay.test", { test: true }), only_endpoint_id: foreign };
    const result = await runEvents([message]);
    expect(result.explicitAcks).toEqual(result.ids);
    const deliveries = await call("GET", `/v1/deliveries?event_id=${message.id}`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.json.data).toEqual([]);
    // The event itself is still stored and listed for its owner.
    expect((await call("GET", `/v1/events/${message.id}`)).status).toBe(200);
  });
});
