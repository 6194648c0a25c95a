// The SDK runs inside workerd (a Worker calling HookRelay through a fetch it is handed): its client, typed
// problems, iterators and webhook verifier need nothing Node-specific.
import { exports } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { createHookRelay, HookRelayError, verifyWebhook } from "../../sdk/src/index";
import { ADMIN_KEY } from "./helpers";

const hr = createHookRelay({
  baseUrl: "http://hookrelay.test",
  apiKey: ADMIN_KEY,
  fetch: (input) => exports.default.fetch(input as Request),
});

describe("SDK inside workerd", () => {
  it("creates, iterates and reads resources, and throws typed problems", async () => {
    const owner = `sdk-workerd-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await hr.endpoints.create({ url: `https://example.com/${i}`, owner_id: owner })).id);
    const seen: string[] = [];
    for await (const ep of hr.endpoints.iterate({ owner_id: owner, limit: 2 })) seen.push(ep.id);
    expect(seen.sort()).toEqual(ids.sort());

    const err = await hr.subscriptions.create({ endpoint_id: ids[0]!, event_types: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HookRelayError);
    expect((err as HookRelayError).code).toBe("validation_failed");
    expect((err as HookRelayError).errors.length).toBeGreaterThan(0);

    const { id } = await hr.events.send({ owner_id: owner, event_type: "x.y", payload: { a: 1 } }, { idempotencyKey: "k" });
    expect((await hr.events.send({ owner_id: owner, event_type: "x.y", payload: { a: 1 } }, { idempotencyKey: "k" })).id).toBe(id);
  });

  it("verifies a signed webhook", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const now = new Date();
    const headers = new Headers({
      "webhook-id": "evt_1",
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign("evt_1", now, '{"ok":true}'),
    });
    expect(verifyWebhook(secret, headers, new TextEncoder().encode('{"ok":true}'))).toEqual({ ok: true });
  });
});
