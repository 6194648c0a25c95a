// Outbound headers (property, inside workerd): for any event type, owner and auth config the API accepts, the
// attempt's headers are exactly the documented set, sendable as they are, and none can be injected or replaced.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildHeaders } from "../../src/delivery/dispatch";
import { EndpointAuth, EVENT_TYPE_PATTERN, OwnerId } from "../../src/domain/schemas";
import { assertProperty, fuzzSettings, oddString } from "../fuzz/arbitraries";

const raw = env as unknown as { HOOKRELAY_FUZZ_SEED?: string; HOOKRELAY_FUZZ_RUNS?: string };
const SETTINGS = fuzzSettings({ seed: raw.HOOKRELAY_FUZZ_SEED, runs: raw.HOOKRELAY_FUZZ_RUNS }, 500);
const DOCUMENTED = ["content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature", "hookrelay-event-type", "hookrelay-owner-id", "hookrelay-delivery-id", "hookrelay-attempt"];

const eventType = fc.stringMatching(EVENT_TYPE_PATTERN);
const ownerId = fc.stringMatching(/^[A-Za-z0-9._\-:@]{1,200}$/).filter((s) => OwnerId.safeParse(s).success);
/** Mostly ASCII (control characters included); now and then anything (workerd then warns about non-ASCII values). */
const valueText = fc.oneof(
  { weight: 9, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 }) },
  { weight: 1, arbitrary: oddString },
);
/** Auth configs built from hostile strings; only those the API would accept are kept. */
const acceptedAuth = fc
  .record({
    type: fc.constantFrom("basic", "bearer", "header"),
    username: fc.oneof(valueText, fc.constant("user")),
    password: valueText,
    token: valueText,
    name: fc.oneof(fc.constantFrom("X-Api-Key", "Authorization", "x-custom", "Host", "webhook-signature", "Content-Length", "__proto__", "constructor"), valueText),
    value: valueText,
  })
  .map(({ type, username, password, token, name, value }) =>
    type === "basic" ? { type, username, password } : type === "bearer" ? { type, token } : { type, name, value },
  )
  .map((candidate) => EndpointAuth.safeParse(candidate))
  .filter((r) => r.success)
  .map((r) => r.data!);

describe("outbound headers (property)", () => {
  it("are the documented set plus the auth header, valid for fetch, with values carried unchanged", async () => {
    let withAuth = 0;
    await assertProperty(
      "outbound headers",
      fc.asyncProperty(eventType, ownerId, fc.option(acceptedAuth, { nil: null }), fc.integer({ min: 1, max: 100 }), async (type, owner, auth, attempt) => {
        const headers = await buildHeaders(
          { eventId: "evt_01jd5m3x7q0000000000000000", eventType: type, ownerId: owner, deliveryId: "dlv_01jd5m3x7q0000000000000000", attempt, payload: '{"a":1}' },
          ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
          auth,
          Date.now(),
        );
        for (const [name, value] of Object.entries(headers)) {
          expect(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name), name).toBe(true);
          expect(/[\r\n\0]/.test(value), `${name}: ${JSON.stringify(value)}`).toBe(false);
        }
        // The fetch the attempt makes builds exactly these Headers: it must not throw, and must not drop or merge any.
        const built = new Headers(headers);
        expect(built.get("hookrelay-event-type")).toBe(type);
        expect(built.get("hookrelay-owner-id")).toBe(owner);
        expect(built.get("hookrelay-attempt")).toBe(String(attempt));
        expect(built.get("webhook-signature")).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
        const names = [...built.keys()];
        const expected = new Set(DOCUMENTED);
        if (auth) {
          withAuth++;
          expected.add(auth.type === "header" ? auth.name.toLowerCase() : "authorization");
        }
        expect(new Set(names)).toEqual(expected);
      }),
      SETTINGS,
    );
    // The generator really produced accepted auth configs (not only `null`).
    expect(withAuth).toBeGreaterThan(SETTINGS.numRuns / 4);
  });
});
