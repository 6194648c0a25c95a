import { describe, expect, it } from "vitest";
import { planFanout } from "../../src/fanout/plan";
import { MAX_MESSAGE_BYTES, packSendBatches, toOutgoingMessage, type AcceptedEvent } from "../../src/ingest/queue-messages";

describe("planFanout", () => {
  it("keeps everything inline within budget", () => {
    const plan = planFanout([{ message: 0, eventId: "e1", endpointIds: ["a", "b"] }, { message: 1, eventId: "e2", endpointIds: ["a"] }]);
    expect(plan.now).toHaveLength(3);
    expect(plan.later).toEqual([]);
  });

  it("splits off endpoints past the DO-call budget in slices, reusing already-called endpoints", () => {
    const plan = planFanout(
      [
        { message: 0, eventId: "e1", endpointIds: ["a", "b", "c", "d", "e"] },
        { message: 1, eventId: "e2", endpointIds: ["a", "z"] },
      ],
      { maxEndpoints: 2, maxDeliveries: 100, sliceSize: 2 },
    );
    expect(plan.now.map((p) => `${p.eventId}:${p.endpointId}`)).toEqual(["e1:a", "e1:b", "e2:a"]);
    expect(plan.later).toEqual([
      { message: 0, eventId: "e1", endpointIds: ["c", "d"] },
      { message: 0, eventId: "e1", endpointIds: ["e"] },
      { message: 1, eventId: "e2", endpointIds: ["z"] },
    ]);
  });

  it("bounds delivery rows per invocation", () => {
    const plan = planFanout([{ message: 0, eventId: "e1", endpointIds: ["a", "b", "c"] }], { maxEndpoints: 10, maxDeliveries: 1, sliceSize: 10 });
    expect(plan.now).toHaveLength(1);
    expect(plan.later[0]!.endpointIds).toEqual(["b", "c"]);
  });
});

describe("queue message packing", () => {
  const event = (payloadJson: string): AcceptedEvent => ({
    id: "evt_x",
    ownerId: "acme",
    eventType: "t",
    payloadJson,
    payloadBytes: new TextEncoder().encode(payloadJson).byteLength,
    acceptedAt: 1,
    sourceId: null,
    idempotencyKey: null,
  });

  it("sends payloads by reference when the escaped message would exceed the message limit", () => {
    expect(toOutgoingMessage(event('{"a":1}')).byReference).toBe(false);
    // A 100 KB payload of escaped quotes doubles again inside the JSON body: too big although the payload is not.
    const quotes = JSON.stringify('"'.repeat(50_000));
    expect(quotes.length).toBeLessThan(MAX_MESSAGE_BYTES);
    const msg = toOutgoingMessage(event(quotes));
    expect(msg.byReference).toBe(true);
    expect(msg.body.kind === "event" && msg.body.payload).toBeNull();
    expect(msg.bytes).toBeLessThan(MAX_MESSAGE_BYTES);
  });

  it("packs at most 100 messages and 240 KB per sendBatch, preserving order", () => {
    const many = Array.from({ length: 250 }, (_, i) => ({ i, bytes: 100 }));
    expect(packSendBatches(many).map((g) => g.length)).toEqual([100, 100, 50]);
    const big = Array.from({ length: 5 }, (_, i) => ({ i, bytes: 100_000 }));
    const groups = packSendBatches(big);
    expect(groups.map((g) => g.length)).toEqual([2, 2, 1]);
    expect(groups.flat().map((m) => m.i)).toEqual([0, 1, 2, 3, 4]);
  });
});
