// The SDK against a real `wrangler dev`: its generated types match the live /openapi.json, and the client's
// calls, problem errors, cursor iteration, keyed ingest and webhook verification work end to end.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHookRelay, HookRelayError, verifyWebhook, type HookRelay } from "../../sdk/src/index";
// @ts-expect-error plain ESM script without types
import { renderSchema, SCHEMA_PATH } from "../../sdk/scripts/generate-types.mjs";
import { startReceiver, type Receiver } from "./support/receiver";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";

let worker: RunningWorker;
let receiver: Receiver;
let client: HookRelay;

beforeAll(async () => {
  [worker, receiver] = await Promise.all([startWorker(), startReceiver()]);
  client = createHookRelay({ baseUrl: worker.url, apiKey: worker.adminKey });
});
afterAll(async () => {
  await Promise.all([worker?.stop(), receiver?.close()]);
});

describe("generated types", () => {
  it("sdk/src/schema.ts is exactly what openapi-typescript makes of the live /openapi.json", async () => {
    const spec = await (await fetch(`${worker.url}/openapi.json`)).text();
    const fresh: string = await renderSchema(spec);
    const committed = readFileSync(SCHEMA_PATH as string, "utf8");
    // On failure: the API changed; run `npm start` and `npm run sdk:generate`, then commit sdk/src/schema.ts.
    expect(committed === fresh, "sdk/src/schema.ts is stale: run `npm run sdk:generate` against a running server").toBe(true);
  });
});

describe("client", () => {
  it("creates, reads, updates and deletes endpoints and subscriptions", async () => {
    const ep = await client.endpoints.create({ url: `${receiver.url}/crud`, owner_id: "sdk-crud", description: "first" });
    expect(ep.id).toMatch(/^ep_/);
    expect(ep.secret).toMatch(/^whsec_/);
    expect((await client.endpoints.get(ep.id)).description).toBe("first");
    expect((await client.endpoints.update(ep.id, { description: "second" })).description).toBe("second");
    const sub = await client.subscriptions.create({ endpoint_id: ep.id, event_types: ["order.*"] });
    expect((await client.subscriptions.list({ endpoint_id: ep.id })).data.map((s) => s.id)).toEqual([sub.id]);
    await client.subscriptions.delete(sub.id);
    await client.endpoints.delete(ep.id);
    const gone = await client.endpoints.get(ep.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(HookRelayError);
    expect((gone as HookRelayError).status).toBe(404);
  });

  it("throws typed problems: code, status, field errors and request id", async () => {
    const missing = (await client.events.get("evt_doesnotexist").catch((e: unknown) => e)) as HookRelayError;
    expect([missing.name, missing.status, missing.code]).toEqual(["HookRelayError", 404, "not_found"]);
    expect(missing.requestId).toMatch(/^req_/);

    const invalid = (await client.endpoints.create({ url: "not a url", owner_id: "sdk-crud" }).catch((e: unknown) => e)) as HookRelayError;
    expect([invalid.status, invalid.code]).toEqual([422, "validation_failed"]);
    expect(invalid.errors.map((e) => e.path)).toContain("url");

    const anonymous = createHookRelay({ baseUrl: worker.url, apiKey: "wrong-key" });
    const denied = (await anonymous.endpoints.list().catch((e: unknown) => e)) as HookRelayError;
    expect([denied.status, denied.code]).toEqual([401, "unauthorized"]);
  });

  it("iterates every item across pages exactly once, in list order", async () => {
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await client.endpoints.create({ url: `${receiver.url}/page/${i}`, owner_id: "sdk-pager" })).id);
    const iterated: string[] = [];
    for await (const ep of client.endpoints.iterate({ owner_id: "sdk-pager", limit: 3 })) iterated.push(ep.id);
    expect(iterated).toHaveLength(7);
    expect(new Set(iterated)).toEqual(new Set(created));
    expect(iterated).toEqual((await client.endpoints.list({ owner_id: "sdk-pager", limit: 500 })).data.map((e) => e.id));
    const firstThree: string[] = [];
    for await (const ep of client.endpoints.iterate({ owner_id: "sdk-pager", limit: 2 }, { maxItems: 3 })) firstThree.push(ep.id);
    expect(firstThree).toEqual(iterated.slice(0, 3));
  });

  it("sends an event once per idempotency key; the receiver verifies it with verifyWebhook", async () => {
    const ep = await client.endpoints.create({ url: `${receiver.url}/verify`, owner_id: "sdk-send" });
    await client.subscriptions.create({ endpoint_id: ep.id, event_types: ["order.*"] });
    const input = { owner_id: "sdk-send", event_type: "order.created", payload: { order: 7, note: "ünïcode" } };
    const first = await client.events.send(input, { idempotencyKey: "sdk-key-1" });
    const again = await client.events.send(input, { idempotencyKey: "sdk-key-1" });
    expect(again.id).toBe(first.id);
    const other = await client.events.send(input);
    expect(other.id).not.toBe(first.id);

    const hit = await waitFor(async () => receiver.received.find((r) => r.path === "/verify" && r.headers["webhook-id"] === first.id));
    expect(verifyWebhook(ep.secret, hit.headers, hit.body)).toEqual(input.payload);
    expect(() => verifyWebhook(ep.secret, hit.headers, hit.body.replace("7", "8"))).toThrow();

    const listed = await waitFor(async () => {
      const page = await client.events.list({ owner_id: "sdk-send" });
      return page.data.length === 2 ? page : undefined;
    });
    expect(listed.data.map((e) => e.id).sort()).toEqual([first.id, other.id].sort());
  });

  it("lists, reads and retries deliveries", async () => {
    const ep = await client.endpoints.create({ url: `${receiver.url}/retry`, owner_id: "sdk-dlv" });
    await client.subscriptions.create({ endpoint_id: ep.id, event_types: ["*"] });
    const { id: eventId } = await client.events.send({ owner_id: "sdk-dlv", event_type: "thing.done", payload: { n: 1 } });
    const delivery = await waitFor(async () => {
      for await (const d of client.deliveries.iterate({ event_id: eventId })) if (d.status === "succeeded") return d;
      return undefined;
    });
    expect(delivery.endpoint_id).toBe(ep.id);
    // Under load an attempt can fail (timeout) and be retried by policy: judge the last attempt, not the count.
    const detail = await client.deliveries.get(delivery.id);
    const before = detail.attempts.length;
    expect(detail.attempts.at(-1)!.status_code).toBe(200);

    await client.deliveries.retry(delivery.id);
    const retried = await waitFor(async () => {
      const d = await client.deliveries.get(delivery.id);
      return d.attempts.length > before && d.status === "succeeded" ? d : undefined;
    });
    expect(retried.attempts.map((a) => a.attempt)).toEqual(Array.from({ length: retried.attempts.length }, (_, i) => i + 1));
    expect(retried.attempts.at(-1)!.status_code).toBe(200);
    expect(receiver.received.filter((r) => r.path === "/retry").at(-1)!.headers["hookrelay-attempt"]).toBe(String(retried.attempts.length));
  });
});
