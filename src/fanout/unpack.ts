// Sorts an events-queue batch into the events and fanout slices it carries. A message may carry one event
// (`kind: "event"`, older producers and single-event ingest), several (`kind: "events"`, a packed ingest
// request) or a fanout slice. Acks stay per message: a message is retried when anything it carries must be,
// and everything is idempotent, so its other events come back as `maybe_seen` and change nothing.
import type { EventsQueueMessage } from "../delivery/contracts";
import type { EventMessage, PackedEventsMessage } from "../ingest/queue-messages";

export type SliceMessage = Extract<EventsQueueMessage, { kind: "fanout" }>;

export interface SortedBatch {
  /** Each distinct event once, with the index of the first message carrying it. */
  events: { index: number; body: EventMessage }[];
  slices: { index: number; body: SliceMessage }[];
  /** Messages to retry whatever happens (malformed, payload not readable, slices not sent, handoff failed). */
  retry: Set<number>;
  /**
   * A message repeating events that an earlier message carries → those carriers: it shares their fate
   * (retried if any of them is), so it is never acked while the event it repeats may still be lost.
   */
  twinOf: Map<number, Set<number>>;
  /** Messages of `kind: "events"` (packed). */
  packed: Set<number>;
}

export function isEventMessage(body: unknown): body is EventMessage {
  const b = body as EventMessage | null;
  return typeof b === "object" && b !== null && b.kind === "event" && isEventFields(b);
}

function isEventFields(b: Omit<EventMessage, "kind">): boolean {
  return (
    typeof b === "object" && b !== null && typeof b.id === "string" && typeof b.owner_id === "string" &&
    typeof b.event_type === "string" && (typeof b.payload === "string" || b.payload === null) && typeof b.accepted_at === "number"
  );
}

function isPackedMessage(body: unknown): body is PackedEventsMessage {
  const b = body as PackedEventsMessage | null;
  return typeof b === "object" && b !== null && b.kind === "events" && Array.isArray(b.events);
}

export function isSliceMessage(body: unknown): body is SliceMessage {
  const b = body as SliceMessage | null;
  return (
    typeof b === "object" && b !== null && b.kind === "fanout" && typeof b.event_id === "string" && typeof b.owner_id === "string" &&
    Array.isArray(b.endpoint_ids)
  );
}

/** The events a message carries; `malformed` when it (or one of its entries) is not a valid event. */
function eventsOf(body: unknown): { events: EventMessage[]; malformed: boolean } {
  if (isEventMessage(body)) return { events: [body], malformed: false };
  if (!isPackedMessage(body)) return { events: [], malformed: true };
  const events: EventMessage[] = [];
  for (const entry of body.events as unknown[]) {
    if (isEventFields(entry as Omit<EventMessage, "kind">)) events.push({ ...(entry as Omit<EventMessage, "kind">), kind: "event" });
  }
  return { events, malformed: events.length !== body.events.length || events.length === 0 };
}

function log(msg: string, fields: Record<string, unknown>) {
  console.error(JSON.stringify({ level: "error", msg, ...fields }));
}

export function sortMessages(batch: MessageBatch<unknown>): SortedBatch {
  const sorted: SortedBatch = { events: [], slices: [], retry: new Set(), twinOf: new Map(), packed: new Set() };
  const firstCarrier = new Map<string, number>();
  batch.messages.forEach((message, index) => {
    const body = message.body;
    if (isSliceMessage(body)) {
      sorted.slices.push({ index, body });
      return;
    }
    const { events, malformed } = eventsOf(body);
    if (isPackedMessage(body)) sorted.packed.add(index);
    if (malformed) {
      // Retried, never dropped: after max_retries it lands in the dead-letter queue, visible and redrivable.
      // Its valid entries are still handled now; the retries find them in history and change nothing.
      log("malformed events-queue message", { message_id: message.id });
      sorted.retry.add(index);
    }
    for (const event of events) {
      const carrier = firstCarrier.get(event.id);
      if (carrier === undefined) {
        firstCarrier.set(event.id, index);
        sorted.events.push({ index, body: event });
      } else if (carrier !== index) {
        sorted.twinOf.set(index, (sorted.twinOf.get(index) ?? new Set()).add(carrier));
      }
    }
  });
  return sorted;
}
