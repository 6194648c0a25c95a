// The WebSocket ingest protocol as pure functions: turn one incoming frame into accept() input or a nack,
// and build the one reply each frame gets. No bindings, no I/O — unit-tested in plain Node.

/** A frame's correlation id, echoed in its reply; null when the frame carried none or was not JSON. */
export type Ref = string | number | null;

export interface FrameError {
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
  /** Seconds to wait before resending, when ingest is throttled (the REST route's Retry-After). */
  retry_after?: number;
}

export type Reply =
  | { ref: Ref; ok: true; id: string }
  | { ref: Ref; ok: true; ids: string[] }
  | { ref: Ref; ok: false; error: FrameError };

export interface FrameContext {
  /** MAX_PAYLOAD_BYTES: the per-event payload limit (accept() enforces it per event with a 413). */
  maxPayloadBytes: number;
  /** The source's owner: filled in when an event names no owner_id (accept() refuses any other owner). */
  ownerId: string;
  /** The source's default event type, filled in when an event names none. */
  defaultEventType?: string | null;
}

export type ParsedFrame =
  | { kind: "events"; ref: Ref; events: unknown[]; batch: boolean }
  | { kind: "nack"; reply: Reply };

/**
 * Bytes a frame may carry beyond MAX_PAYLOAD_BYTES: the envelope (ref, owner_id, event_type, the batch
 * wrapper). A frame over MAX_PAYLOAD_BYTES + this is refused before it is parsed; a batch frame's events
 * share that budget.
 */
export const FRAME_ENVELOPE_BYTES = 16 * 1024;
export const MAX_REF_LENGTH = 200;
/** The same bound as POST /v1/events/batch. */
export const MAX_BATCH_EVENTS = 100;

const encoder = new TextEncoder();

export function frameLimit(maxPayloadBytes: number): number {
  return maxPayloadBytes + FRAME_ENVELOPE_BYTES;
}

/** UTF-8 length, without encoding when the UTF-16 length already decides (1..3 bytes per code unit). */
export function exceedsBytes(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return encoder.encode(text).byteLength > limit;
}

export function nack(ref: Ref, code: string, detail: string, errors?: FrameError["errors"]): Reply {
  return { ref, ok: false, error: errors && errors.length > 0 ? { code, detail, errors } : { code, detail } };
}

export function ack(ref: Ref, ids: string[], batch: boolean): Reply {
  return batch ? { ref, ok: true, ids } : { ref, ok: true, id: ids[0]! };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readRef(frame: Record<string, unknown>): { ok: true; ref: Ref } | { ok: false } {
  if (!("ref" in frame) || frame.ref === null) return { ok: true, ref: null };
  const ref = frame.ref;
  if (typeof ref === "string" && ref.length <= MAX_REF_LENGTH) return { ok: true, ref };
  if (typeof ref === "number" && Number.isFinite(ref)) return { ok: true, ref };
  return { ok: false };
}

/** Source defaults for what an event may leave out; anything else is left for accept() to validate. */
function withSourceDefaults(event: unknown, ctx: FrameContext): unknown {
  if (!isPlainObject(event)) return event;
  const out: Record<string, unknown> = { ...event };
  if (!("owner_id" in out)) out.owner_id = ctx.ownerId;
  if (!("event_type" in out) && ctx.defaultEventType) out.event_type = ctx.defaultEventType;
  return out;
}

/**
 * Parses one frame. Binary, oversize, non-JSON and malformed envelopes become a nack here; the events
 * themselves (schema, unknown fields, per-event payload size, owner) are validated by accept().
 */
export function parseFrame(message: string | ArrayBuffer | ArrayBufferView, ctx: FrameContext): ParsedFrame {
  if (typeof message !== "string") {
    return { kind: "nack", reply: nack(null, "unsupported_media_type", "Binary frames are not accepted: send each event as a JSON text frame.") };
  }
  const limit = frameLimit(ctx.maxPayloadBytes);
  if (exceedsBytes(message, limit)) {
    return {
      kind: "nack",
      reply: nack(null, "payload_too_large", `The frame is larger than ${limit} bytes (MAX_PAYLOAD_BYTES plus ${FRAME_ENVELOPE_BYTES} bytes of envelope).`),
    };
  }
  let frame: unknown;
  try {
    frame = JSON.parse(message);
  } catch {
    return { kind: "nack", reply: nack(null, "invalid_json", "The frame is not valid JSON.") };
  }
  if (!isPlainObject(frame)) {
    return {
      kind: "nack",
      reply: nack(null, "validation_failed", "A frame is one JSON object: an event, or {\"events\": [...]}.", [
        { path: "(root)", message: "the frame must be a JSON object" },
      ]),
    };
  }
  const ref = readRef(frame);
  if (!ref.ok) {
    return {
      kind: "nack",
      reply: nack(null, "validation_failed", "The frame does not match the schema.", [
        { path: "ref", message: `ref must be a string of at most ${MAX_REF_LENGTH} characters, or a number` },
      ]),
    };
  }
  const { ref: _ref, ...rest } = frame;
  if ("events" in rest) {
    const extra = Object.keys(rest).filter((k) => k !== "events");
    if (extra.length > 0) {
      return {
        kind: "nack",
        reply: nack(ref.ref, "validation_failed", "The frame does not match the schema.", extra.map((k) => ({ path: k, message: `${k} is not a field a batch frame accepts (only ref and events)` }))),
      };
    }
    if (!Array.isArray(rest.events)) {
      return {
        kind: "nack",
        reply: nack(ref.ref, "validation_failed", "The frame does not match the schema.", [{ path: "events", message: "events must be a JSON array of events" }]),
      };
    }
    if (rest.events.length < 1 || rest.events.length > MAX_BATCH_EVENTS) {
      return {
        kind: "nack",
        reply: nack(ref.ref, "validation_failed", "The frame does not match the schema.", [
          { path: "events", message: `events must hold between 1 and ${MAX_BATCH_EVENTS} events` },
        ]),
      };
    }
    return { kind: "events", ref: ref.ref, events: rest.events.map((e) => withSourceDefaults(e, ctx)), batch: true };
  }
  return { kind: "events", ref: ref.ref, events: [withSourceDefaults(rest, ctx)], batch: false };
}
