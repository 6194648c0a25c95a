// What a dead letter was, read from its message body. The API keeps only the body and its origin queue
// (the consumer's error is in the Worker logs), so the kind of message is what explains what was lost.
import type { DeadLetter } from "../api/types";

export interface DeadLetterSummary {
  /** A short name for the kind of message: "Event", "Fanout slice", "Delivery retry", "Unrecognised message". */
  kind: string;
  /** What a reader scans a list for, next to the kind: an event's type. */
  subject?: string;
  /** Other facts worth seeing at a glance (ids, owner), as label/value pairs. */
  facts: { label: string; value: string }[];
  /** Why it is here, in words: which consumer gave up on what. */
  why: string;
  /** Where to look at what it concerns, when the dashboard has a page for it. */
  link?: { label: string; parts: string[] };
  /**
   * An event message's payload, parsed: the message carries it as a serialized string, which reads badly
   * inside the body's JSON. Absent for other kinds, and for payloads too large to travel in the message.
   */
  payload?: unknown;
}

type Fields = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function facts(pairs: [string, string | undefined][]): DeadLetterSummary["facts"] {
  return pairs.filter((p): p is [string, string] => p[1] !== undefined).map(([label, value]) => ({ label, value }));
}

/** The serialized payload as JSON when it parses, else as the text it is. */
function parsedPayload(payload: unknown): unknown {
  if (typeof payload !== "string") return undefined;
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

function eventSummary(b: Fields): DeadLetterSummary {
  const id = text(b.id);
  return {
    payload: parsedPayload(b.payload),
    kind: "Event",
    subject: text(b.event_type),
    facts: facts([["Event", id], ["Owner", text(b.owner_id)]]),
    why: "An accepted event the events consumer could not store and fan out before its retries ran out. Until it is redriven, it may be missing from Events and its endpoints have not received it.",
    link: id ? { label: "Open event", parts: ["events", id] } : undefined,
  };
}

/** Several events of one ingest request, packed into one queue message (src/ingest/queue-messages.ts). */
function packedSummary(b: Fields): DeadLetterSummary {
  const events = Array.isArray(b.events) ? (b.events as Fields[]) : [];
  const owners = [...new Set(events.map((e) => text(e.owner_id)).filter((o): o is string => o !== undefined))];
  const types = [...new Set(events.map((e) => text(e.event_type)).filter((t): t is string => t !== undefined))];
  const first = text(events[0]?.id);
  return {
    kind: "Events (packed)",
    subject: types.length === 1 ? types[0] : types.length > 1 ? `${types.length} event types` : undefined,
    facts: facts([["Events", String(events.length)], ["Owner", owners.length === 1 ? owners[0] : owners.length > 1 ? `${owners.length} owners` : undefined], ["First event", first]]),
    why: "Accepted events of one request, travelling in one queue message, that the events consumer could not store and fan out before its retries ran out. Redriving sends them all again.",
    link: first ? { label: "Open first event", parts: ["events", first] } : undefined,
  };
}

function fanoutSummary(b: Fields): DeadLetterSummary {
  const id = text(b.event_id);
  const endpoints = Array.isArray(b.endpoint_ids) ? b.endpoint_ids.length : undefined;
  return {
    kind: "Fanout slice",
    facts: facts([["Event", id], ["Endpoints", endpoints === undefined ? undefined : String(endpoints)]]),
    why: "Part of a stored event's fanout that the events consumer could not hand to its endpoints before its retries ran out. Those endpoints have not received the event.",
    link: id ? { label: "Open event", parts: ["events", id] } : undefined,
  };
}

function retrySummary(b: Fields): DeadLetterSummary {
  const endpoint = text(b.endpoint_id);
  return {
    kind: "Delivery retry",
    facts: facts([["Delivery", text(b.delivery_id)], ["Endpoint", endpoint]]),
    why: "A scheduled retry of a delivery that the retries consumer could not hand back to its endpoint before its retries ran out. The delivery waits for it.",
    link: endpoint ? { label: "Open endpoint", parts: ["endpoints", endpoint] } : undefined,
  };
}

const UNRECOGNISED: DeadLetterSummary = {
  kind: "Unrecognised message",
  facts: [],
  why: "A message no HookRelay consumer understands, so there is no queue to send it back to. Read its body below.",
};

export function summarizeDeadLetter(deadLetter: Pick<DeadLetter, "body">): DeadLetterSummary {
  const b = deadLetter.body;
  if (typeof b !== "object" || b === null || Array.isArray(b)) return UNRECOGNISED;
  const fields = b as Fields;
  if (fields.kind === "event") return eventSummary(fields);
  if (fields.kind === "events") return packedSummary(fields);
  if (fields.kind === "fanout") return fanoutSummary(fields);
  if (fields.kind === "retry") return retrySummary(fields);
  return UNRECOGNISED;
}

/** Only messages from a known queue can be redriven (the API answers 409 for the rest). */
export function canRedrive(deadLetter: Pick<DeadLetter, "queue">): boolean {
  return deadLetter.queue !== "unknown";
}
