// Packing accepted events into events-queue messages: few messages per request, always within platform limits.
import { describe, expect, it } from "vitest";
import {
  MAX_MESSAGE_BYTES,
  MAX_PACKED_BYTES,
  MAX_SEND_BATCH_BYTES,
  MAX_SEND_BATCH_MESSAGES,
  messageBytes,
  packSendBatches,
  toOutgoingMessages,
  type AcceptedEvent,
  type EventsQueueBody,
} from "../../src/ingest/queue-messages";

const event = (i: number, payloadJson = `{"n":${i}}`): AcceptedEvent => ({
  id: `evt_${i}`,
  ownerId: "acme",
  eventType: "order.created",
  payloadJson,
  payloadBytes: new TextEncoder().encode(payloadJson).byteLength,
  acceptedAt: 1_700_000_000_000,
  sourceId: null,
  idempotencyKey: "key-1",
});

/** The events a body carries, in order, as the consumer reads them. */
const idsOf = (body: EventsQueueBody): string[] =>
  body.kind === "events" ? body.events.map((e) => e.id) : body.kind === "event" ? [body.id] : [];

describe("toOutgoingMessages", () => {
  it("packs a batch of 100 small events into one `events` message that carries every field", () => {
    const events = Array.from({ length: 100 }, (_, i) => event(i));
    const { messages, byReference } = toOutgoingMessages(events);
    expect(messages).toHaveLength(1);
    expect(byReference).toEqual([]);
    const body = messages[0]!.body;
    expect(body.kind).toBe("events");
    expect(idsOf(body)).toEqual(events.map((e) => e.id));
    expect(body.kind === "events" && body.events[7]).toEqual({
      id: "evt_7", owner_id: "acme", event_type: "order.created", payload: '{"n":7}', payload_size: 7,
      accepted_at: 1_700_000_000_000, source_id: null, idempotency_key: "key-1",
    });
    expect(messages[0]!.bytes).toBe(messageBytes(body));
  });

  it("keeps a single event a plain `event` message (the single-event ingest shape)", () => {
    const { messages } = toOutgoingMessages([{ ...event(1), onlyEndpointId: "ep_1" }]);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.body).toMatchObject({ kind: "event", id: "evt_1", only_endpoint_id: "ep_1" });
    expect(messages[0]!.bytes).toBe(messageBytes(messages[0]!.body));
  });

  it("never exceeds the message limit, measures bytes exactly and keeps accept order", () => {
    // ~30 KB payloads with escapes: four fit a packed message, the fifth starts the next.
    const payload = (i: number) => JSON.stringify({ i, text: 'é"\\'.repeat(3_000) });
    const events = Array.from({ length: 23 }, (_, i) => event(i, payload(i)));
    const { messages } = toOutgoingMessages(events);
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.length).toBeLessThan(events.length / 2);
    for (const m of messages) {
      expect(m.bytes).toBe(messageBytes(m.body));
      expect(m.bytes).toBeLessThanOrEqual(MAX_PACKED_BYTES);
      expect(m.byReference).toBe(false);
    }
    expect(messages.flatMap((m) => idsOf(m.body))).toEqual(events.map((e) => e.id));
    // Greedy: no two neighbouring messages could have been one.
    for (let i = 1; i < messages.length; i++) expect(messages[i - 1]!.bytes + messages[i]!.bytes).toBeGreaterThan(MAX_PACKED_BYTES);
  });

  it("packs by-reference events (payload null) beside inline ones and reports them for storing first", () => {
    const huge = JSON.stringify({ blob: "x".repeat(MAX_MESSAGE_BYTES) });
    const events = [event(0), event(1, huge), event(2), event(3, huge)];
    const { messages, byReference } = toOutgoingMessages(events);
    expect(byReference.map((e) => e.id)).toEqual(["evt_1", "evt_3"]);
    expect(messages).toHaveLength(1);
    const body = messages[0]!.body;
    expect(body.kind === "events" && body.events.map((e) => e.payload)).toEqual(['{"n":0}', null, '{"n":2}', null]);
    expect(body.kind === "events" && body.events[1]!.payload_size).toBe(events[1]!.payloadBytes);
    expect(messages[0]!.byReference).toBe(true);
  });

  it("sends an event too big to pack with others alone, still inline when it fits a message", () => {
    const big = JSON.stringify({ blob: "y".repeat(MAX_PACKED_BYTES - 300) });
    const { messages } = toOutgoingMessages([event(0), event(1, big), event(2)]);
    expect(messages.map((m) => idsOf(m.body))).toEqual([["evt_0"], ["evt_1"], ["evt_2"]]);
    expect(messages[1]!.body).toMatchObject({ kind: "event", payload: big });
    expect(messages[1]!.bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });

  it("fits two full packed messages in one sendBatch, and every sendBatch within 100 messages / 240 KB", () => {
    const payload = (i: number) => JSON.stringify({ i, text: "z".repeat(9_000) });
    const events = Array.from({ length: 100 }, (_, i) => event(i, payload(i)));
    const { messages } = toOutgoingMessages(events);
    const groups = packSendBatches(messages);
    expect(groups.length).toBe(Math.ceil(messages.length / 2));
    for (const g of groups) {
      expect(g.length).toBeLessThanOrEqual(MAX_SEND_BATCH_MESSAGES);
      expect(g.reduce((n, m) => n + m.bytes + 128, 0)).toBeLessThanOrEqual(MAX_SEND_BATCH_BYTES);
    }
    expect(groups.flat().flatMap((m) => idsOf(m.body))).toEqual(events.map((e) => e.id));
  });
});

describe("dead letters of packed messages", () => {
  it("are redriven to the events queue, like single-event messages", async () => {
    const { originQueueOf } = await import("../../src/dead-letters/origin");
    const { messages } = toOutgoingMessages([event(1), event(2)]);
    expect(messages[0]!.body.kind).toBe("events");
    expect(originQueueOf(messages[0]!.body)).toBe("hookrelay-events");
    expect(originQueueOf(toOutgoingMessages([event(3)]).messages[0]!.body)).toBe("hookrelay-events");
  });
});
