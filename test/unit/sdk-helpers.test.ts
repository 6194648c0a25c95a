// Pure parts of the SDK: webhook verification (over the standardwebhooks reference), problem errors and the
// cursor iterator's termination.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { createHookRelay } from "../../sdk/src/client";
import { errorFromResponse, HookRelayError } from "../../sdk/src/errors";
import { paginate } from "../../sdk/src/pagination";
import { verifyWebhook, WebhookVerificationError } from "../../sdk/src/webhooks";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

function signed(body: string, at = new Date()) {
  const signature = new Webhook(SECRET).sign("evt_1", at, body);
  return { "webhook-id": "evt_1", "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": signature };
}

describe("verifyWebhook", () => {
  const body = '{"order":42}';
  it("accepts fetch Headers, Node-style header objects and byte bodies", () => {
    const h = signed(body);
    expect(verifyWebhook(SECRET, new Headers(h), body)).toEqual({ order: 42 });
    expect(verifyWebhook(SECRET, { ...h, "Webhook-Id": undefined, other: ["a", "b"] }, new TextEncoder().encode(body))).toEqual({ order: 42 });
    expect(verifyWebhook(SECRET, h, new TextEncoder().encode(body).buffer as ArrayBuffer)).toEqual({ order: 42 });
  });
  it("accepts a rotated pair of signatures when one matches", () => {
    const h = signed(body);
    expect(verifyWebhook(SECRET, { ...h, "webhook-signature": `v1,AAAA ${h["webhook-signature"]}` }, body)).toEqual({ order: 42 });
  });
  it("rejects a changed body, a wrong secret and an old timestamp", () => {
    const h = signed(body);
    expect(() => verifyWebhook(SECRET, h, '{"order":43}')).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook("whsec_" + btoa("another secret of some length"), h, body)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(SECRET, signed(body, new Date(Date.now() - 10 * 60_000)), body)).toThrow(/too old/);
    expect(() => verifyWebhook(SECRET, {}, body)).toThrow(/Missing required headers/);
  });
});

describe("HookRelayError", () => {
  it("carries code, errors, request_id and status from problem+json", () => {
    const res = new Response(null, { status: 422, headers: { "x-request-id": "req_header" } });
    const err = errorFromResponse(res, {
      type: "about:blank",
      title: "Validation failed",
      status: 422,
      code: "validation_failed",
      detail: "bad",
      request_id: "req_body",
      errors: [{ path: "url", message: "Invalid URL" }],
    });
    expect(err).toBeInstanceOf(HookRelayError);
    expect(err).toBeInstanceOf(Error);
    expect([err.status, err.code, err.requestId, err.errors]).toEqual([422, "validation_failed", "req_body", [{ path: "url", message: "Invalid URL" }]]);
    expect(err.message).toBe("422 validation_failed: bad");
  });
  it("still gives a code when the body is not a problem", () => {
    const err = errorFromResponse(new Response(null, { status: 502, headers: { "x-request-id": "req_h", "retry-after": "7" } }), "Bad gateway");
    expect([err.code, err.requestId, err.errors, err.retryAfterSeconds]).toEqual(["http_502", "req_h", [], 7]);
  });
});

describe("paginate", () => {
  const pages: Record<string, { data: number[]; next_cursor: string | null }> = {
    start: { data: [1, 2], next_cursor: "b" },
    b: { data: [3, 4], next_cursor: "c" },
    c: { data: [5], next_cursor: null },
  };
  it("walks every page in order", async () => {
    const seen: number[] = [];
    for await (const n of paginate(async (cursor) => pages[cursor ?? "start"]!)) seen.push(n);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
  it("stops at maxItems without reading further pages", async () => {
    const asked: (string | undefined)[] = [];
    const seen: number[] = [];
    for await (const n of paginate(async (cursor) => (asked.push(cursor), pages[cursor ?? "start"]!), { maxItems: 2 })) seen.push(n);
    expect(seen).toEqual([1, 2]);
    expect(asked).toEqual([undefined]);
  });
  it("refuses a cursor the server repeats instead of looping", async () => {
    const loop = paginate(async (cursor) => ({ data: [cursor ?? "first"], next_cursor: "same" }));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const x of loop) seen.push(x);
      })(),
    ).rejects.toThrow(/twice/);
    expect(seen).toEqual(["first", "same"]);
  });
});

describe("list scopes", () => {
  it("a deliveries list must name endpoint_id, event_id or owner_id (checked by tsc)", async () => {
    const asked: string[] = [];
    const hr = createHookRelay({
      baseUrl: "http://hookrelay.invalid",
      apiKey: "k",
      fetch: async (input) => (asked.push(new URL((input as Request).url).search), Response.json({ data: [], next_cursor: null })),
    });
    // @ts-expect-error no endpoint_id, event_id or owner_id
    await hr.deliveries.list({ status: "failed" });
    await hr.deliveries.list({ owner_id: "acme", status: "failed" });
    for await (const _ of hr.deliveries.iterate({ event_id: "evt_1" })) break;
    expect(asked).toEqual(["?status=failed", "?owner_id=acme&status=failed", "?event_id=evt_1"]);
  });
});
