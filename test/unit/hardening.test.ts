// Hardening properties of pure modules: the WebSocket frame parser never throws and always answers in protocol,
// the URL check catches every IPv4/IPv6 spelling of a private address (IPv4 embedded in IPv6 included), and header-bound values can't inject headers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EndpointAuth, EndpointCreate, EndpointPatch, EventInput, Metadata, OwnerId } from "../../src/domain/schemas";
import { parseIpv4, urlSafetyProblem } from "../../src/domain/url-safety";
import {
  checkMessageAge,
  checkSourceAccepts,
  SNS_MAX_CLOCK_SKEW_MS,
  SNS_MAX_MESSAGE_AGE_MS,
  SnsVerificationError,
} from "../../src/ingest/sns";
import { exceedsBytes, frameLimit, MAX_BATCH_EVENTS, MAX_REF_LENGTH, parseFrame, type FrameContext } from "../../src/ingest/ws-frames";
import { assertProperty, fuzzSettings, hostileJson, nastyString, oddString } from "../fuzz/arbitraries";

const SETTINGS = fuzzSettings({ seed: process.env.HOOKRELAY_FUZZ_SEED, runs: process.env.HOOKRELAY_FUZZ_RUNS }, 1000);
const strict = { allowPrivate: false };

// --- WebSocket frames ---------------------------------------------------------------------------------

const ctx: FrameContext = { maxPayloadBytes: 2048, ownerId: "ws-owner", defaultEventType: "ws.default" };
const NACK_CODES = new Set(["unsupported_media_type", "payload_too_large", "invalid_json", "validation_failed"]);

/** Frames as clients might send them: events, batches, refs of every type, hostile values, and non-JSON text. */
const frameText = fc.oneof(
  { weight: 2, arbitrary: oddString },
  { weight: 2, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? "undefined") },
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          ref: fc.oneof(fc.constant(undefined), oddString, fc.double(), fc.integer(), hostileJson),
          events: fc.oneof(fc.constant(undefined), fc.array(hostileJson, { maxLength: 120 }), hostileJson),
          payload: hostileJson,
          owner_id: fc.oneof(fc.constant(undefined), oddString, fc.constant("ws-owner")),
          event_type: fc.oneof(fc.constant(undefined), oddString, fc.constant("a.b")),
          extra: fc.option(fc.tuple(fc.oneof(nastyString, oddString), hostileJson), { nil: undefined }),
        },
        { requiredKeys: [] },
      )
      .map(({ extra, ...frame }) => {
        const out: Record<string, unknown> = {};
        const define = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
        for (const [k, v] of Object.entries(frame)) if (v !== undefined) define(k, v);
        if (extra) define(extra[0], extra[1]);
        return JSON.stringify(out);
      }),
  },
  // Truncated JSON and oversize frames.
  { weight: 1, arbitrary: fc.tuple(hostileJson, fc.nat()).map(([v, cut]) => { const t = JSON.stringify({ v }); return t.slice(0, cut % t.length); }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * 2048 }).map((n) => JSON.stringify({ payload: "é".repeat(n), event_type: "a" })) },
);

describe("WebSocket frame parser (property)", () => {
  it("never throws, and every frame gets one protocol answer: events to accept, or a nack with a known code", async () => {
    await assertProperty(
      "ws frames",
      fc.property(frameText, (text) => {
        const parsed = parseFrame(text, ctx);
        // Whatever the outcome, it serializes (the reply goes back on the socket as JSON).
        const roundTrip = JSON.parse(JSON.stringify(parsed));
        expect(roundTrip.kind).toBe(parsed.kind);
        if (parsed.kind === "nack") {
          expect(parsed.reply.ok).toBe(false);
          if (parsed.reply.ok) return;
          expect(NACK_CODES.has(parsed.reply.error.code)).toBe(true);
          expect(typeof parsed.reply.error.detail).toBe("string");
          const ref = parsed.reply.ref;
          expect(ref === null || (typeof ref === "string" && ref.length <= MAX_REF_LENGTH) || (typeof ref === "number" && Number.isFinite(ref))).toBe(true);
          if (exceedsBytes(text, frameLimit(ctx.maxPayloadBytes))) expect(parsed.reply.error.code).toBe("payload_too_large");
          return;
        }
        expect(exceedsBytes(text, frameLimit(ctx.maxPayloadBytes))).toBe(false);
        expect(parsed.events.length).toBeGreaterThanOrEqual(1);
        expect(parsed.events.length).toBeLessThanOrEqual(MAX_BATCH_EVENTS);
        if (!parsed.batch) expect(parsed.events).toHaveLength(1);
        const ref = parsed.ref;
        expect(ref === null || (typeof ref === "string" && ref.length <= MAX_REF_LENGTH) || (typeof ref === "number" && Number.isFinite(ref))).toBe(true);
        for (const event of parsed.events) {
          // The source's owner fills a missing owner_id; a named one is left for accept() to judge (never rewritten).
          if (event && typeof event === "object" && !Array.isArray(event)) {
            const e = event as Record<string, unknown>;
            expect("owner_id" in e).toBe(true);
            expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
          }
        }
      }),
      SETTINGS,
    );
  });

  it("refuses every binary frame, whatever its bytes", async () => {
    await assertProperty(
      "ws binary",
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        for (const frame of [bytes, bytes.buffer as ArrayBuffer, new DataView(bytes.buffer)]) {
          const parsed = parseFrame(frame, ctx);
          expect(parsed.kind).toBe("nack");
          if (parsed.kind === "nack" && !parsed.reply.ok) expect(parsed.reply.error.code).toBe("unsupported_media_type");
        }
      }),
      { ...SETTINGS, numRuns: Math.min(SETTINGS.numRuns, 200) },
    );
  });

  it("measures frame size in UTF-8 bytes exactly, for every kind of string", async () => {
    await assertProperty(
      "exceedsBytes",
      fc.property(fc.oneof(oddString, fc.string({ unit: "binary", maxLength: 300 })), fc.nat({ max: 1200 }), (text, limit) => {
        expect(exceedsBytes(text, limit)).toBe(new TextEncoder().encode(text).byteLength > limit);
      }),
      SETTINGS,
    );
  });
});

// --- Outbound URL safety -------------------------------------------------------------------------------

const BLOCKED_V4: [number, number][] = [
  [0x00000000, 8], [0x0a000000, 8], [0x64400000, 10], [0x7f000000, 8], [0xa9fe0000, 16],
  [0xac100000, 12], [0xc0000000, 24], [0xc0a80000, 16], [0xc6120000, 15], [0xe0000000, 4], [0xf0000000, 4],
  [0xc0000200, 24], [0xc6336400, 24], [0xcb007100, 24], // documentation (TEST-NET-1, -2, -3)
];
const inBlock = (addr: number) => BLOCKED_V4.some(([base, prefix]) => addr >= base && addr < base + 2 ** (32 - prefix));

const blockedAddress = fc
  .tuple(fc.constantFrom(...BLOCKED_V4), fc.nat())
  .map(([[base, prefix], r]) => base + (r % 2 ** (32 - prefix)));
const publicAddress = fc.integer({ min: 0, max: 0xffffffff }).filter((a) => !inBlock(a));

/** Every inet_aton spelling of an address: 1 to 4 parts, each in decimal, octal or hex, any letter case. */
const spelling = (addr: number) =>
  fc.record({ parts: fc.integer({ min: 1, max: 4 }), radix: fc.array(fc.constantFrom(10, 8, 16), { minLength: 4, maxLength: 4 }), upper: fc.boolean() }).map(({ parts, radix, upper }) => {
    const bytes = [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255];
    const values = [...bytes.slice(0, parts - 1), bytes.slice(parts - 1).reduce((v, b) => v * 256 + b, 0)];
    const text = values
      .map((v, i) => (radix[i] === 16 ? `0x${v.toString(16)}` : radix[i] === 8 ? `0${v.toString(8)}` : String(v)))
      .join(".");
    return upper ? text.toUpperCase().replace(/^0X|\.0X/g, (m) => m.toLowerCase()) : text;
  });

const hex4 = (n: number) => n.toString(16);
const mapped = (addr: number) =>
  fc.constantFrom(
    `[::ffff:${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}]`,
    `[::ffff:${hex4(addr >>> 16)}:${hex4(addr & 0xffff)}]`,
    `[0:0:0:0:0:ffff:${hex4(addr >>> 16)}:${hex4(addr & 0xffff)}]`,
    `[::FFFF:${hex4(addr >>> 16).toUpperCase()}:${hex4(addr & 0xffff).toUpperCase()}]`,
    `[0000:0000:0000:0000:0000:ffff:${hex4(addr >>> 16).padStart(4, "0")}:${hex4(addr & 0xffff).padStart(4, "0")}]`,
  );

const hi = (addr: number) => hex4(addr >>> 16);
const lo = (addr: number) => hex4(addr & 0xffff);
const dotted = (addr: number) => `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
/** A public Teredo server (65.54.227.120) and a public client (8.8.4.4, bits inverted) to pair with the address under test. */
const TEREDO_SERVER = "4136:e378";
const TEREDO_CLIENT = `${hex4(~0x08080404 >>> 16 & 0xffff)}:${hex4(~0x08080404 & 0xffff)}`;
/** The address inside every IPv6 form that embeds or translates IPv4 (RFC 4291, 2765, 6052, 3056, 4380). */
const embeddedForms = (addr: number) =>
  fc.constantFrom(
    `[::ffff:0:${dotted(addr)}]`, // IPv4-translated
    `[0:0:0:0:ffff:0:${hi(addr)}:${lo(addr)}]`,
    `[::${dotted(addr)}]`, // IPv4-compatible
    `[64:ff9b::${dotted(addr)}]`, // NAT64 well-known prefix
    `[64:ff9b::${hi(addr)}:${lo(addr)}]`,
    `[2002:${hi(addr)}:${lo(addr)}::1]`, // 6to4
    `[2001:0:${hi(addr)}:${lo(addr)}:0:0:${TEREDO_CLIENT}]`, // Teredo server
    `[2001:0:${TEREDO_SERVER}:8000:63bf:${hex4(~addr >>> 16 & 0xffff)}:${hex4(~addr & 0xffff)}]`, // Teredo client
  );

describe("outbound URL check (property)", () => {
  it("refuses a private, loopback, link-local or reserved IPv4 address however it is spelled", async () => {
    await assertProperty(
      "url v4 blocked",
      fc.property(blockedAddress.chain((a) => fc.tuple(fc.constant(a), spelling(a))), ([addr, host]) => {
        expect(parseIpv4(host.toLowerCase())).toBe(addr);
        expect(urlSafetyProblem(`https://${host}/hook`, strict), host).not.toBeNull();
      }),
      SETTINGS,
    );
  });

  it("refuses the same addresses inside IPv4-mapped IPv6, in every notation", async () => {
    await assertProperty(
      "url v4-mapped",
      fc.property(blockedAddress.chain((a) => mapped(a)), (host) => {
        expect(urlSafetyProblem(`https://${host}:8443/x`, strict), host).toMatch(/must not point at/);
      }),
      SETTINGS,
    );
  });

  it("refuses the same addresses inside every other IPv6 form that embeds or translates IPv4", async () => {
    await assertProperty(
      "url v4-embedded",
      fc.property(blockedAddress.chain((a) => embeddedForms(a)), (host) => {
        expect(urlSafetyProblem(`https://${host}/x`, strict), host).toMatch(/must not point at/);
      }),
      SETTINGS,
    );
  });

  it("accepts public IPv4 addresses inside those forms (no false alarms)", async () => {
    await assertProperty(
      "url v4-embedded public",
      fc.property(publicAddress.chain((a) => embeddedForms(a)), (host) => {
        expect(urlSafetyProblem(`https://${host}/x`, strict), host).toBeNull();
      }),
      SETTINGS,
    );
  });

  it("refuses every address of the local-use NAT64 prefix 64:ff9b:1::/48, whatever it embeds", async () => {
    await assertProperty(
      "url nat64 local-use",
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 5, maxLength: 5 }), (groups) => {
        const host = `[64:ff9b:1:${groups.map(hex4).join(":")}]`;
        expect(urlSafetyProblem(`https://${host}/`, strict), host).toMatch(/local-use NAT64/);
      }),
      SETTINGS,
    );
  });

  it("accepts public IPv4 addresses in any spelling and as IPv4-mapped IPv6 (no false alarms)", async () => {
    await assertProperty(
      "url v4 public",
      fc.property(publicAddress.chain((a) => fc.tuple(spelling(a), mapped(a))), ([host, v6]) => {
        expect(urlSafetyProblem(`https://${host}/hook`, strict), host).toBeNull();
        expect(urlSafetyProblem(`https://${v6}/hook`, strict), v6).toBeNull();
      }),
      SETTINGS,
    );
  });

  it("refuses private and special IPv6 ranges, compressed or not", () => {
    for (const host of ["[::1]", "[0:0:0:0:0:0:0:1]", "[fe80::abcd]", "[FE80::1]", "[febf:ffff::1]", "[fc12::1]", "[fd00:ec2::254]", "[ff02::1]", "[fec0::1]", "[::]", "[::127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:a9fe:a9fe::1]", "[::ffff:0:0]", "[2001:db8::1]", "[64:ff9b:1::a00:1]", "[::ffff:0:127.0.0.1]", "[2001:0:a00:1::1]"]) {
      expect(urlSafetyProblem(`https://${host}/`, strict), host).toMatch(/must not point at/);
    }
    for (const host of ["[2606:4700:4700::1111]", "[64:ff9b::808:808]", "[2002:808:808::1]"]) {
      expect(urlSafetyProblem(`https://${host}/`, strict), host).toBeNull();
    }
  });

  it("never throws on arbitrary text, and never allows a non-http(s) scheme", async () => {
    await assertProperty(
      "url garbage",
      fc.property(fc.oneof(oddString, fc.webUrl(), fc.constantFrom("javascript:alert(1)", "file:///etc/passwd", "gopher://x", "data:,x", "ws://a/b")), fc.boolean(), (text, allowPrivate) => {
        const why = urlSafetyProblem(text, { allowPrivate });
        expect(why === null || typeof why === "string").toBe(true);
        if (why === null) expect(["http:", "https:"]).toContain(new URL(text).protocol);
        if (why === null && !allowPrivate) expect(new URL(text).protocol).toBe("https:");
      }),
      SETTINGS,
    );
  });
});

// --- SNS: what a source takes before and after confirmation, and how old ---------------------------------

const takes = (fn: () => void): boolean => {
  try {
    fn();
    return true;
  } catch (err) {
    if (!(err instanceof SnsVerificationError)) throw err;
    return false;
  }
};

describe("SNS source state and message age (property)", () => {
  const topics = ["arn:aws:sns:us-east-1:123456789012:a", "arn:aws:sns:us-east-1:123456789012:b"];

  it("a Notification or UnsubscribeConfirmation is taken only by a confirmed source or one with that topic; no foreign topic ever", async () => {
    await assertProperty(
      "sns source state",
      fc.property(
        fc.constantFrom("pending_confirmation", "confirmed", "unsubscribed", "active", ""),
        fc.option(fc.constantFrom(...topics), { nil: null }),
        fc.constantFrom("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"),
        fc.oneof(fc.constantFrom(...topics), oddString),
        (status, topicArn, type, msgTopic) => {
          const taken = takes(() => checkSourceAccepts({ Type: type as "Notification", TopicArn: msgTopic }, { status, topicArn }));
          const topicOk = topicArn === null || msgTopic === topicArn;
          const stateOk = type === "SubscriptionConfirmation" || status === "confirmed" || topicArn !== null;
          expect(taken).toBe(topicOk && stateOk);
        },
      ),
      SETTINGS,
    );
  });

  it("a message is taken only within 1 h after its Timestamp (5 min of skew ahead), and no Timestamp text makes the check throw anything else", async () => {
    const now = Date.parse("2026-12-04T12:00:00.000Z");
    await assertProperty(
      "sns message age",
      fc.property(fc.integer({ min: -30 * 86_400_000, max: 30 * 86_400_000 }), oddString, (offset, junk) => {
        const timestamp = new Date(now + offset).toISOString();
        const taken = takes(() => checkMessageAge({ Timestamp: timestamp }, now));
        expect(taken).toBe(-offset <= SNS_MAX_MESSAGE_AGE_MS && offset <= SNS_MAX_CLOCK_SKEW_MS);
        takes(() => checkMessageAge({ Timestamp: junk }, now));
      }),
      SETTINGS,
    );
  });
});

// --- Header injection ----------------------------------------------------------------------------------

const withControl = fc
  .tuple(fc.string({ maxLength: 20 }), fc.constantFrom("\r", "\n", "\r\n", "\0", "\r\nX-Injected: 1\r\n"), fc.string({ maxLength: 20 }))
  .map(([a, bad, b]) => `${a}${bad}${b}`);

describe("values that end up in request headers (property)", () => {
  it("event_type and owner_id (hookrelay-event-type, hookrelay-owner-id) never admit CR, LF or NUL", async () => {
    await assertProperty(
      "event header values",
      fc.property(withControl, (bad) => {
        expect(OwnerId.safeParse(bad).success).toBe(false);
        expect(EventInput.safeParse({ payload: 1, owner_id: "o", event_type: bad }).success).toBe(false);
        expect(EventInput.safeParse({ payload: 1, owner_id: bad, event_type: "a" }).success).toBe(false);
      }),
      SETTINGS,
    );
  });

  it("every auth config the API accepts yields header values a fetch can send unchanged", async () => {
    await assertProperty(
      "auth header values",
      fc.property(
        fc.oneof(withControl, oddString, fc.string({ maxLength: 30 })),
        fc.constantFrom("basic", "bearer", "header"),
        (value, type) => {
          const candidate =
            type === "basic" ? { type, username: "u", password: value } : type === "bearer" ? { type, token: value } : { type, name: "X-Api-Key", value };
          const parsed = EndpointAuth.safeParse(candidate);
          if (/[\r\n\0]/.test(value) && type !== "basic") expect(parsed.success).toBe(false);
          if (!parsed.success) return;
          const auth = parsed.data;
          const headerValue = auth.type === "bearer" ? `Bearer ${auth.token}` : auth.type === "header" ? auth.value : `Basic ${btoa("u:x")}`;
          expect(/[\r\n\0]/.test(headerValue)).toBe(false);
          // Node's Headers follows the Fetch spec: it refuses CR/LF/NUL outright, and it must not refuse these.
          expect(() => new Headers([["x-probe", headerValue.replace(/[^\x00-\xff]/g, "?")]])).not.toThrow();
        },
      ),
      SETTINGS,
    );
  });

  it("refuses auth header names that would reframe or redirect the request or replace HookRelay's own headers", () => {
    for (const name of ["Host", "content-length", "Transfer-Encoding", "connection", "webhook-signature", "Webhook-Id", "hookrelay-owner-id", "content-type", "user-agent", "proxy-authorization", "cf-connecting-ip", "__proto__", "__PROTO__"]) {
      expect(EndpointAuth.safeParse({ type: "header", name, value: "v" }).success, name).toBe(false);
    }
    for (const name of ["X-Api-Key", "Authorization", "x-webhook-token", "X-Hookrelay-Tenant"]) {
      expect(EndpointAuth.safeParse({ type: "header", name, value: "v" }).success, name).toBe(true);
    }
  });
});

// --- Prototype keys ------------------------------------------------------------------------------------

describe("prototype keys in stored JSON", () => {
  it("metadata keeps every key but __proto__, which is dropped rather than assigned (no prototype change)", async () => {
    await assertProperty(
      "metadata round trip",
      fc.property(fc.array(fc.tuple(fc.oneof(nastyString, oddString), hostileJson), { maxLength: 6 }), (entries) => {
        // Built as JSON text so `__proto__` is an own key, as it is in a parsed request body.
        const text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",")}}`;
        const body = JSON.parse(text) as Record<string, unknown>;
        const parsed = Metadata.safeParse(body);
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        expect(Object.getPrototypeOf(parsed.data)).toBe(Object.prototype);
        const expected = Object.fromEntries(Object.entries(body).filter(([k]) => k !== "__proto__"));
        expect(JSON.parse(JSON.stringify(parsed.data))).toEqual(JSON.parse(JSON.stringify(expected)));
      }),
      SETTINGS,
    );
  });

  it("never pollutes Object.prototype through endpoint bodies", () => {
    const body = JSON.parse('{"url":"https://example.com/h","owner_id":"o","metadata":{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}}');
    const created = EndpointCreate.safeParse(body);
    expect(created.success).toBe(true);
    expect(EndpointPatch.safeParse({ metadata: body.metadata }).success).toBe(true);
    if (created.success) expect(created.data.metadata).toEqual({ constructor: { prototype: { x: 1 } } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
