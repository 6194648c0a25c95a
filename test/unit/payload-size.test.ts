import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serializePayload, utf8ByteLength } from "../../src/domain/payload-size";
import { validateEvents } from "../../src/ingest/validate-events";
import { AppError } from "../../src/http/errors";

describe("utf8ByteLength", () => {
  it("counts like TextEncoder for any string, including astral and lone surrogates", () => {
    const enc = new TextEncoder();
    expect(utf8ByteLength("é€😀")).toBe(2 + 3 + 4);
    expect(utf8ByteLength("\ud800")).toBe(3);
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => utf8ByteLength(s) === enc.encode(s).byteLength), { numRuns: 1000 });
  });

  it("serializes a payload once and measures the serialized bytes", () => {
    expect(serializePayload({ a: "é" })).toEqual({ json: '{"a":"é"}', bytes: 10 });
    expect(serializePayload(undefined)).toBeNull();
    expect(serializePayload(null)).toEqual({ json: "null", bytes: 4 });
  });
});

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected an AppError");
}

describe("validateEvents", () => {
  const ok = { payload: { n: 1 }, owner_id: "acme", event_type: "order.created" };

  it("accepts a payload of exactly the limit and refuses one byte more", () => {
    const exact = { ...ok, payload: "x".repeat(8) }; // "xxxxxxxx" serializes to 10 bytes
    expect(validateEvents([exact], { batch: false, maxPayloadBytes: 10 })[0]!.payloadJson).toBe('"xxxxxxxx"');
    const over = thrown(() => validateEvents([{ ...ok, payload: "x".repeat(9) }], { batch: false, maxPayloadBytes: 10 }));
    expect(over.code).toBe("payload_too_large");
    expect(over.errors).toEqual([{ path: "payload", message: expect.stringContaining("11 bytes") }]);
  });

  it("judges size before the schema of the same event, and names batch indexes", () => {
    const bad = { payload: "x".repeat(50), owner_id: 5, event_type: "no spaces allowed" };
    const err = thrown(() => validateEvents([ok, ok, bad], { batch: true, maxPayloadBytes: 20 }));
    expect(err.code).toBe("payload_too_large");
    expect(err.errors!.map((e) => e.path)).toEqual(["events.2.payload"]);
  });

  it("reports schema errors with indexed paths when nothing is oversize", () => {
    const err = thrown(() => validateEvents([ok, { payload: 1, owner_id: "acme", event_type: "bad type!" }, { owner_id: "acme", event_type: "a" }], { batch: true, maxPayloadBytes: 100 }));
    expect(err.code).toBe("validation_failed");
    expect(err.errors!.map((e) => e.path)).toEqual(["events.1.event_type", "events.2.payload"]);
  });

  it("refuses events for another owner than the scope", () => {
    const err = thrown(() => validateEvents([ok, { ...ok, owner_id: "globex" }], { batch: true, maxPayloadBytes: 100, ownerScope: "acme" }));
    expect(err.code).toBe("forbidden");
    expect(err.errors![0]!.path).toBe("events.1.owner_id");
  });
});
