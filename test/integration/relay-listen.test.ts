// Relay endpoints and GET /v1/endpoints/{id}/listen inside workerd: the route's refusals before the upgrade,
// and the EndpointDO's relay channel with a real WebSocket client — held while nobody listens, each attempt
// sent as a frame and recorded from the reply (success, failure → retry, malformed, timeout, disconnect).
import { exports } from "cloudflare:workers";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { attemptRows, deliveryRow, seedDelivery, seedEndpoint, TEST_SECRET, waitFor, waitForStatus } from "./delivery-fixtures";
import { ADMIN_KEY, call, createOwnerKey, expectProblem } from "./helpers";

const CONSTANT_RETRY = { strategy: "constant", max_attempts: 3, delay_s: 0, max_delay_s: 10, jitter: false } as const;

interface Listener {
  ws: WebSocket;
  frames: any[];
  close(): Promise<void>;
}

/** Connects like `hookrelay listen` does: a WebSocket upgrade with the key in Authorization. */
async function connect(endpointId: string, key = ADMIN_KEY): Promise<Listener> {
  const res = await exports.default.fetch(
    new Request(`http://hookrelay.test/v1/endpoints/${endpointId}/listen`, { headers: { upgrade: "websocket", authorization: `Bearer ${key}` } }),
  );
  if (res.status !== 101 || !res.webSocket) throw new Error(`listen refused: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  ws.accept();
  const frames: any[] = [];
  const closed = new Promise<void>((resolve) => ws.addEventListener("close", () => resolve()));
  ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data))));
  return {
    ws,
    frames,
    async close() {
      ws.close(1000, "done");
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}

function answer(l: Listener, frame: any, reply: Record<string, unknown>) {
  l.ws.send(JSON.stringify({ delivery_id: frame.delivery_id, attempt: frame.attempt, ...reply }));
}

async function relayEndpoint(opts: { timeoutMs?: number; retry?: typeof CONSTANT_RETRY } = {}) {
  return seedEndpoint({ kind: "relay", url: "", timeoutMs: opts.timeoutMs ?? 5000, retry: opts.retry ?? CONSTANT_RETRY, ownerId: `relay-${crypto.randomUUID().slice(0, 6)}` });
}

describe("relay endpoints in the API", () => {
  it("creates a relay endpoint without a URL and refuses a URL on it; http endpoints still need one", async () => {
    const created = await call("POST", "/v1/endpoints", { body: { kind: "relay", owner_id: "relay-api", description: "hookrelay listen" } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ kind: "relay", url: null, owner_id: "relay-api", status: "active" });
    expect(created.json.secret).toMatch(/^whsec_/);

    const listed = await call("GET", "/v1/endpoints?owner_id=relay-api");
    expect(listed.json.data).toEqual([expect.objectContaining({ id: created.json.id, kind: "relay", url: null })]);

    const withUrl = expectProblem(await call("POST", "/v1/endpoints", { body: { kind: "relay", owner_id: "relay-api", url: "https://example.com/h" } }), 422, "validation_failed");
    expect(withUrl.errors).toEqual([expect.objectContaining({ path: "url" })]);
    const noUrl = expectProblem(await call("POST", "/v1/endpoints", { body: { owner_id: "relay-api" } }), 422, "validation_failed");
    expect(noUrl.errors).toEqual([expect.objectContaining({ path: "url" })]);
    expectProblem(await call("POST", "/v1/endpoints", { body: { kind: "smtp", owner_id: "relay-api", url: "https://example.com/h" } }), 422, "validation_failed");
    const patched = expectProblem(await call("PATCH", `/v1/endpoints/${created.json.id}`, { body: { url: "https://example.com/h" } }), 422, "validation_failed");
    expect(patched.errors).toEqual([expect.objectContaining({ path: "url" })]);

    const http = await call("POST", "/v1/endpoints", { body: { owner_id: "relay-api", url: "https://example.com/h" } });
    expect(http.json).toMatchObject({ kind: "http", url: "https://example.com/h" });
  });
});

describe("GET /v1/endpoints/{id}/listen refusals (before the upgrade)", () => {
  it("answers problem+json: 401 without a key, 404 unknown or another owner's, 409 not relay, 426 without upgrade", async () => {
    const relay = await call("POST", "/v1/endpoints", { body: { kind: "relay", owner_id: "relay-owner-a" } });
    const http = await call("POST", "/v1/endpoints", { body: { owner_id: "relay-owner-a", url: "https://example.com/h" } });
    const upgrade = { upgrade: "websocket" };

    expectProblem(await call("GET", `/v1/endpoints/${relay.json.id}/listen`, { key: null, headers: upgrade }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/endpoints/ep_01jd5m3x7q0000000000000000/listen", { headers: upgrade }), 404, "not_found");
    expectProblem(await call("GET", "/v1/endpoints/nonsense/listen", { headers: upgrade }), 404, "not_found");
    const otherKey = await createOwnerKey("relay-owner-b");
    expectProblem(await call("GET", `/v1/endpoints/${relay.json.id}/listen`, { key: otherKey, headers: upgrade }), 404, "not_found");
    expectProblem(await call("GET", `/v1/endpoints/${http.json.id}/listen`, { headers: upgrade }), 409, "conflict");
    const plain = expectProblem(await call("GET", `/v1/endpoints/${relay.json.id}/listen`), 426, "upgrade_required");
    expect(plain.detail).toMatch(/WebSocket/);

    // The owner's own key is accepted; GET /v1/endpoints/{id} counts the listeners of a relay endpoint.
    expect((await call("GET", `/v1/endpoints/${relay.json.id}`)).json.listeners).toBe(0);
    expect((await call("GET", `/v1/endpoints/${http.json.id}`)).json).not.toHaveProperty("listeners");
    const ownKey = await createOwnerKey("relay-owner-a");
    const l = await connect(relay.json.id, ownKey);
    expect((await call("GET", `/v1/endpoints/${relay.json.id}`, { key: ownKey })).json.listeners).toBe(1);
    await l.close();
    await waitFor(async () => (await call("GET", `/v1/endpoints/${relay.json.id}`)).json.listeners === 0);
  });

  it("revoking an API key closes the listeners it opened (4001), not the others; portal sessions cannot listen", async () => {
    const relay = await call("POST", "/v1/endpoints", { body: { kind: "relay", owner_id: "relay-owner-rev" } });
    const keyRes = await call("POST", "/v1/api-keys", { body: { name: "listen", owner_id: "relay-owner-rev" } });
    const byKey = await connect(relay.json.id, keyRes.json.key);
    const byAdmin = await connect(relay.json.id);
    const closed = new Promise<number>((resolve) => byKey.ws.addEventListener("close", (e) => resolve(e.code)));
    expect((await call("DELETE", `/v1/api-keys/${keyRes.json.id}`)).status).toBe(204);
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r("still open"), 5000))])).toBe(4001);
    expect((await call("GET", `/v1/endpoints/${relay.json.id}`)).json.listeners).toBe(1);
    expectProblem(await call("GET", `/v1/endpoints/${relay.json.id}/listen`, { key: keyRes.json.key, headers: { upgrade: "websocket" } }), 401, "unauthorized");
    await byAdmin.close();

    const link = await call("POST", "/v1/portal-links", { body: { owner_id: "relay-owner-rev" } });
    expect(link.status).toBe(201);
    const token = new URL(link.json.url).hash.replace(/^#token=/, "");
    expectProblem(await call("GET", `/v1/endpoints/${relay.json.id}/listen`, { key: token, headers: { upgrade: "websocket" } }), 403, "forbidden");
  });

  it("deleting a relay endpoint closes its listeners (4004), and a reconnect gets 404", async () => {
    const relay = await call("POST", "/v1/endpoints", { body: { kind: "relay", owner_id: "relay-owner-del" } });
    const l = await connect(relay.json.id);
    const closed = new Promise<number>((resolve) => l.ws.addEventListener("close", (e) => resolve(e.code)));
    expect((await call("DELETE", `/v1/endpoints/${relay.json.id}`)).status).toBe(204);
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r("still open"), 5000))])).toBe(4004);
    expectProblem(await call("GET", `/v1/endpoints/${relay.json.id}/listen`, { headers: { upgrade: "websocket" } }), 404, "not_found");
  });
});

describe("EndpointDO relay channel", () => {
  it("holds work while nobody listens, then sends it as a signed frame and records the listener's reply", async () => {
    const ep = await relayEndpoint();
    const work = await seedDelivery(ep, { order: 7, note: "ünï" });
    await endpointStub(env, ep.id).enqueue([work]);
    // Not attempted (nobody to send it to), shown held.
    await waitFor(async () => (await deliveryRow(work.delivery_id))?.status === "held");
    expect((await endpointStub(env, ep.id).inspect()).inFlight).toBe(0);
    const held = await deliveryRow(work.delivery_id);
    expect(held).toMatchObject({ status: "held", attempts: 0, nextAttemptAt: null });
    // Lists say so too, and filter on it.
    const heldList = await call("GET", `/v1/deliveries?endpoint_id=${ep.id}&status=held`);
    expect(heldList.json.data.map((d: any) => [d.id, d.status])).toEqual([[work.delivery_id, "held"]]);
    expect((await call("GET", `/v1/deliveries?endpoint_id=${ep.id}&status=pending`)).json.data).toEqual([]);

    const l = await connect(ep.id);
    const frame = await waitFor(async () => l.frames[0]);
    expect(Object.keys(frame).sort()).toEqual(["attempt", "body", "delivery_id", "headers"]);
    expect(frame).toMatchObject({ delivery_id: work.delivery_id, attempt: 1, body: work.payload });
    expect(new Webhook(TEST_SECRET).verify(frame.body, frame.headers)).toEqual({ order: 7, note: "ünï" });
    expect(frame.headers).toMatchObject({ "hookrelay-delivery-id": work.delivery_id, "hookrelay-attempt": "1", "webhook-id": work.event_id });
    // While the reply is awaited, the delivery is in flight (pending), not held.
    expect((await deliveryRow(work.delivery_id))?.status).toBe("pending");

    answer(l, frame, { status_code: 204, duration_ms: 12, response_body: "local ok" });
    const done = await waitForStatus(work.delivery_id, "succeeded");
    expect(done.attempts).toBe(1);
    expect(await attemptRows(work.delivery_id)).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 204, error: null, responseBody: "local ok", durationMs: expect.any(Number) }),
    ]);
    const [recorded] = await attemptRows(work.delivery_id);
    expect(recorded!.durationMs).toBeLessThanOrEqual(12);
    await l.close();
  });

  it("a failed local outcome follows the retry policy; malformed replies and timeouts are failed attempts", async () => {
    const ep = await relayEndpoint({ timeoutMs: 1000 });
    const l = await connect(ep.id);
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);

    const first = await waitFor(async () => l.frames[0]);
    answer(l, first, { status_code: 500, duration_ms: 3, response_body: "boom" });
    // delay_s 0: the retry comes at once, as attempt 2 of the same delivery.
    const second = await waitFor(async () => l.frames[1]);
    expect(second).toMatchObject({ delivery_id: work.delivery_id, attempt: 2 });
    expect(second.headers["hookrelay-attempt"]).toBe("2");
    answer(l, second, { status_code: "200", duration_ms: 1 }); // malformed: status_code must be a number or null
    // Attempt 3 gets no answer: it times out after timeout_ms (+ grace) and the policy (3 attempts) is spent.
    const third = await waitFor(async () => l.frames[2]);
    expect(third.attempt).toBe(3);
    const failed = await waitForStatus(work.delivery_id, "failed", 20_000);
    expect(failed.attempts).toBe(3);
    const attempts = await attemptRows(work.delivery_id);
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, null],
      [2, null, expect.stringMatching(/^network: invalid listener reply \(status_code/)],
      [3, null, "timeout"],
    ]);
    expect(attempts[0]!.responseBody).toBe("boom");
    expect(attempts[2]!.durationMs).toBeGreaterThanOrEqual(1000);
    await l.close();
  });

  it("a listener that leaves mid-attempt fails that attempt at once, and later work is held until the next one", async () => {
    const ep = await relayEndpoint({ retry: { ...CONSTANT_RETRY, delay_s: 0 } });
    const first = await connect(ep.id);
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);
    await waitFor(async () => first.frames[0]);
    const t0 = Date.now();
    await first.close();
    // Failed at once (not after the 5 s timeout), then held: no listener to retry to.
    let seen: unknown;
    const held = await waitFor(async () => {
      const row = await deliveryRow(work.delivery_id);
      seen = { row, attempts: await attemptRows(work.delivery_id) };
      return row?.status === "held" && row.attempts === 1 ? row : undefined;
    }).catch((err) => {
      throw new Error(`${err} ${JSON.stringify(seen)}`);
    });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect((await attemptRows(work.delivery_id))[0]).toMatchObject({ statusCode: null, error: "network: the listener disconnected before answering" });
    expect(held.nextAttemptAt).toBeNull();

    const later = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([later]);
    await waitFor(async () => (await deliveryRow(later.delivery_id))?.status === "held");
    expect((await endpointStub(env, ep.id).inspect()).inFlight).toBe(0);

    // One frame at a time (a listener forwards in order): the next comes after the reply to the previous.
    const second = await connect(ep.id);
    answer(second, await waitFor(async () => second.frames[0]), { status_code: 200, duration_ms: 1 });
    answer(second, await waitFor(async () => second.frames[1]), { status_code: 200, duration_ms: 1 });
    const frames = second.frames;
    expect(frames).toHaveLength(2);
    expect(new Set(frames.map((f: any) => f.delivery_id))).toEqual(new Set([work.delivery_id, later.delivery_id]));
    expect(frames.find((f: any) => f.delivery_id === work.delivery_id).attempt).toBe(2);
    await waitForStatus(work.delivery_id, "succeeded");
    await waitForStatus(later.delivery_id, "succeeded");
    await second.close();
  });
});
