// Turns accepted events into events-queue messages and packs them into sendBatch calls that respect the
// platform limits: 128 KB per message, 100 messages and 256 KB per sendBatch (kept with a safety margin).
// Several events of one request share one `kind: "events"` message (queue operations are billed per message).
import type { EventsQueueMessage } from "../delivery/contracts";
import { utf8ByteLength } from "../domain/payload-size";

/** Largest message body we send (platform limit 128 KB, minus room for per-message metadata). */
export const MAX_MESSAGE_BYTES = 120_000;
/** Largest sendBatch we send (platform limit 256 KB). */
export const MAX_SEND_BATCH_BYTES = 240_000;
export const MAX_SEND_BATCH_MESSAGES = 100;
/** What the platform adds per message on top of its body, as we budget it. */
const MESSAGE_OVERHEAD_BYTES = 128;

export interface AcceptedEvent {
  id: string;
  ownerId: string;
  eventType: string;
  payloadJson: string;
  payloadBytes: number;
  acceptedAt: number;
  sourceId: string | null;
  idempotencyKey: string | null;
  /** A test event's one target (see EventsQueueMessage.only_endpoint_id). */
  onlyEndpointId?: string;
}

/** One event's message, `kind: "event"`: still sent for a single event, and accepted from older producers. */
export type EventMessage = Extract<EventsQueueMessage, { kind: "event" }>;
/** An event inside a packed message: the single-event body without its `kind`. */
export type PackedEvent = Omit<EventMessage, "kind">;
/** Several events of one ingest request in one message, in accept order. */
export interface PackedEventsMessage {
  kind: "events";
  events: PackedEvent[];
}
/** Every body the events queue carries. */
export type EventsQueueBody = EventsQueueMessage | PackedEventsMessage;

/**
 * Largest packed message: under MAX_MESSAGE_BYTES, and small enough that two fit one sendBatch with their
 * overhead, so a large request needs half as many sendBatch calls.
 */
export const MAX_PACKED_BYTES = Math.min(MAX_MESSAGE_BYTES, Math.floor(MAX_SEND_BATCH_BYTES / 2) - MESSAGE_OVERHEAD_BYTES);

export interface OutgoingMessage {
  body: EventsQueueBody;
  /** UTF-8 bytes of the JSON body: what the queue carries, since we send with contentType "json". */
  bytes: number;
  /** True when the payload travels by reference and must be in its history shard before sending. */
  byReference: boolean;
}

function eventMessage(event: AcceptedEvent, payload: string | null): EventsQueueMessage {
  return {
    kind: "event",
    id: event.id,
    owner_id: event.ownerId,
    event_type: event.eventType,
    payload,
    payload_size: event.payloadBytes,
    accepted_at: event.acceptedAt,
    source_id: event.sourceId,
    idempotency_key: event.idempotencyKey,
    ...(event.onlyEndpointId === undefined ? {} : { only_endpoint_id: event.onlyEndpointId }),
  };
}

export function messageBytes(body: unknown): number {
  return utf8ByteLength(JSON.stringify(body));
}

/** The message for one event: payload inline when it fits, else by reference (payload: null). */
export function toOutgoingMessage(event: AcceptedEvent): OutgoingMessage {
  // The payload string is escaped once more inside the JSON body, so measure the real body, not the payload.
  if (event.payloadBytes <= MAX_MESSAGE_BYTES) {
    const inline = eventMessage(event, event.payloadJson);
    const bytes = messageBytes(inline);
    if (bytes <= MAX_MESSAGE_BYTES) return { body: inline, bytes, byReference: false };
  }
  const byReference = eventMessage(event, null);
  return { body: byReference, bytes: messageBytes(byReference), byReference: true };
}

/**
 * The messages for one ingest request: consecutive events packed greedily, in order, into `kind: "events"`
 * messages of at most MAX_PACKED_BYTES. An event that travels by reference is packed like any other (its
 * entry is small); a group of one stays a plain `kind: "event"` message. `byReference` lists the events
 * whose payload must be in their history shard before sending.
 */
export function toOutgoingMessages(events: AcceptedEvent[]): { messages: OutgoingMessage[]; byReference: AcceptedEvent[] } {
  const singles = events.map(toOutgoingMessage);
  const byReference = events.filter((_, i) => singles[i]!.byReference);
  const emptyBytes = messageBytes({ kind: "events", events: [] } satisfies PackedEventsMessage);
  const messages: OutgoingMessage[] = [];
  let group: OutgoingMessage[] = [];
  let groupBytes = emptyBytes;
  const flush = () => {
    if (group.length === 1) messages.push(group[0]!);
    else if (group.length > 1) {
      const body: PackedEventsMessage = { kind: "events", events: group.map((m) => withoutKind(m.body as EventMessage)) };
      messages.push({ body, bytes: groupBytes, byReference: group.some((m) => m.byReference) });
    }
    group = [];
    groupBytes = emptyBytes;
  };
  for (const single of singles) {
    // An entry costs its own JSON plus a comma after the first: the packed body's size is known exactly.
    const entryBytes = messageBytes(withoutKind(single.body as EventMessage));
    if (group.length > 0 && groupBytes + 1 + entryBytes > MAX_PACKED_BYTES) flush();
    groupBytes += (group.length > 0 ? 1 : 0) + entryBytes;
    group.push(single);
  }
  flush();
  return { messages, byReference };
}

function withoutKind(body: EventMessage): PackedEvent {
  const { kind: _kind, ...entry } = body;
  return entry;
}

/** Greedy, order-preserving packing into sendBatch groups within the message-count and byte limits. */
export function packSendBatches<M extends { bytes: number }>(messages: M[]): M[][] {
  const groups: M[][] = [];
  let current: M[] = [];
  let currentBytes = 0;
  for (const message of messages) {
    const cost = message.bytes + MESSAGE_OVERHEAD_BYTES;
    if (current.length > 0 && (current.length >= MAX_SEND_BATCH_MESSAGES || currentBytes + cost > MAX_SEND_BATCH_BYTES)) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(message);
    currentBytes += cost;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
