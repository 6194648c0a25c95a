// The WebSocket frame protocol (pure): what becomes accept() input, what is nacked and with which code.
import { describe, expect, it } from "vitest";
import { ack, exceedsBytes, FRAME_ENVELOPE_BYTES, frameLimit, nack, parseFrame } from "../../src/ingest/ws-frames";

const ctx = { maxPayloadBytes: 1000, ownerId: "acme", defaultEventType: null };

describe("parseFrame", () => {
  it("turns a single event into accept() input, filling in the source owner and keeping the ref out", () => {
    const parsed = parseFrame(JSON.stringify({ ref: "r1", payload: { a: 1 }, event_type: "order.created" }), ctx);
    expect(parsed).toEqual({
      kind: "events",
      ref: "r1",
      batch: false,
      events: [{ payload: { a: 1 }, event_type: "order.created", owner_id: "acme" }],
    });
  });

  it("keeps an owner_id the producer named (accept() refuses another owner), and a numeric ref", () => {
    const parsed = parseFrame(JSON.stringify({ ref: 7, payload: 1, event_type: "x", owner_id: "other" }), ctx);
    expect(parsed.kind === "events" && parsed.events[0]).toMatchObject({ owner_id: "other" });
    expect(parsed.kind === "events" && parsed.ref).toBe(7);
  });

  it("uses the source's default event type only when the event names none", () => {
    const withDefault = { ...ctx, defaultEventType: "sensor.reading" };
    const a = parseFrame(JSON.stringify({ payload: 1 }), withDefault);
    const b = parseFrame(JSON.stringify({ payload: 1, event_type: "own.type" }), withDefault);
    expect(a.kind === "events" && a.events[0]).toMatchObject({ event_type: "sensor.reading" });
    expect(b.kind === "events" && b.events[0]).toMatchObject({ event_type: "own.type" });
    const none = parseFrame(JSON.stringify({ payload: 1 }), ctx);
    expect(none.kind === "events" && none.events[0]).not.toHaveProperty("event_type");
  });

  it("passes unknown event fields through for accept()'s strict schema to refuse", () => {
    const parsed = parseFrame(JSON.stringify({ payload: 1, event_type: "x", colour: "red" }), ctx);
    expect(parsed.kind === "events" && parsed.events[0]).toMatchObject({ colour: "red" });
  });

  it("turns {events:[…]} into a batch with defaults applied to each event", () => {
    const parsed = parseFrame(JSON.stringify({ ref: "b", events: [{ payload: 1, event_type: "a" }, { payload: 2, event_type: "b" }] }), ctx);
    expect(parsed).toMatchObject({ kind: "events", ref: "b", batch: true });
    expect(parsed.kind === "events" && parsed.events.map((e: any) => e.owner_id)).toEqual(["acme", "acme"]);
  });

  it.each([
    ["binary", new Uint8Array([123, 125]).buffer, null, "unsupported_media_type"],
    ["not JSON", "{nope", null, "invalid_json"],
    ["a JSON array", "[1,2]", null, "validation_failed"],
    ["a JSON string", '"hello"', null, "validation_failed"],
    ["an object ref", JSON.stringify({ ref: { x: 1 }, payload: 1 }), null, "validation_failed"],
    ["an overlong ref", JSON.stringify({ ref: "r".repeat(201), payload: 1 }), null, "validation_failed"],
    ["an unknown envelope field", JSON.stringify({ ref: "e", events: [{ payload: 1 }], extra: 1 }), "e", "validation_failed"],
    ["events not an array", JSON.stringify({ ref: 3, events: {} }), 3, "validation_failed"],
    ["an empty batch", JSON.stringify({ ref: 4, events: [] }), 4, "validation_failed"],
    ["a batch over 100", JSON.stringify({ ref: 5, events: Array.from({ length: 101 }, () => ({ payload: 1 })) }), 5, "validation_failed"],
  ])("nacks %s with the right ref and code", (_name, frame, ref, code) => {
    const parsed = parseFrame(frame as string | ArrayBuffer, ctx);
    expect(parsed.kind).toBe("nack");
    if (parsed.kind !== "nack") return;
    expect(parsed.reply).toMatchObject({ ref, ok: false, error: { code } });
    expect(parsed.reply.ok === false && parsed.reply.error.detail.length).toBeGreaterThan(0);
  });

  it("refuses frames over MAX_PAYLOAD_BYTES plus the envelope before parsing, counting UTF-8 bytes", () => {
    const limit = frameLimit(ctx.maxPayloadBytes);
    expect(limit).toBe(1000 + FRAME_ENVELOPE_BYTES);
    const fits = JSON.stringify({ payload: "a".repeat(limit - 40), event_type: "x" });
    expect(fits.length).toBeLessThanOrEqual(limit);
    expect(parseFrame(fits, ctx).kind).toBe("events");
    // Same number of characters, but "é" is 2 bytes in UTF-8: over the byte limit.
    const wide = JSON.stringify({ payload: "é".repeat(limit - 40), event_type: "x" });
    expect(wide.length).toBeLessThanOrEqual(limit);
    expect(parseFrame(wide, ctx)).toMatchObject({ kind: "nack", reply: { ref: null, ok: false, error: { code: "payload_too_large" } } });
  });
});

describe("replies", () => {
  it("acks a single event with id and a batch with ids", () => {
    expect(ack("r", ["evt_1"], false)).toEqual({ ref: "r", ok: true, id: "evt_1" });
    expect(ack(null, ["evt_1", "evt_2"], true)).toEqual({ ref: null, ok: true, ids: ["evt_1", "evt_2"] });
  });
  it("omits an empty errors list", () => {
    expect(nack(1, "x", "d", [])).toEqual({ ref: 1, ok: false, error: { code: "x", detail: "d" } });
  });
  it("exceedsBytes agrees with TextEncoder", () => {
    for (const s of ["abc", "é".repeat(10), "😀".repeat(5)]) {
      const bytes = new TextEncoder().encode(s).byteLength;
      expect(exceedsBytes(s, bytes)).toBe(false);
      expect(exceedsBytes(s, bytes - 1)).toBe(true);
    }
  });
});
