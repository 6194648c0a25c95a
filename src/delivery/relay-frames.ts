// The relay protocol of `hookrelay listen` (API.md "SDK and CLI"), pure: the delivery frame HookRelay sends
// and the listener's reply, read into the same AttemptResult an HTTP attempt produces (dispatch.ts).
import { z } from "@hono/zod-openapi";
import type { AttemptResult } from "./classify";

/** The response body kept per attempt, as for HTTP attempts (API.md: truncated to 4 KiB). */
const RESPONSE_BODY_BYTES = 4096;
const ERROR_CHARS = 500;

export interface DeliveryFrame {
  delivery_id: string;
  attempt: number;
  headers: Record<string, string>;
  /** The exact body bytes a real endpoint would get (the serialized payload). */
  body: string;
}

const Reply = z.object({
  delivery_id: z.string().min(1).max(200),
  attempt: z.number().int().min(1),
  status_code: z.number().int().min(100).max(599).nullable(),
  duration_ms: z.number().min(0),
  response_body: z.string().nullish(),
  error: z.string().nullish(),
});
export type RelayReply = z.infer<typeof Reply>;

/** Which attempt a reply answers: delivery id and attempt number. */
export function replyKey(deliveryId: string, attempt: number): string {
  return `${deliveryId}#${attempt}`;
}

export type ParsedReply =
  | { kind: "reply"; key: string; reply: RelayReply }
  /** Names an attempt but is malformed: that attempt fails with `error` rather than waiting for its timeout. */
  | { kind: "invalid"; key: string; error: string }
  /** Not an answer to anything (not JSON, binary, no delivery_id/attempt): ignored. */
  | { kind: "ignored"; why: string };

export function parseReply(message: string | ArrayBuffer): ParsedReply {
  if (typeof message !== "string") return { kind: "ignored", why: "binary frame" };
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return { kind: "ignored", why: "not JSON" };
  }
  const named = value as { delivery_id?: unknown; attempt?: unknown } | null;
  if (typeof named?.delivery_id !== "string" || typeof named.attempt !== "number") return { kind: "ignored", why: "no delivery_id/attempt" };
  const key = replyKey(named.delivery_id, named.attempt);
  const parsed = Reply.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: "invalid", key, error: `network: invalid listener reply (${issue?.path.join(".") || "reply"}: ${issue?.message ?? "invalid"})` };
  }
  return { kind: "reply", key, reply: parsed.data };
}

/**
 * The attempt as HookRelay records it. The duration is the listener's (its local request), never more than
 * the round trip HookRelay measured itself, so a listener cannot report an attempt longer than it took.
 */
export function attemptFromReply(reply: RelayReply, startedAt: number, now: number): AttemptResult {
  const roundTrip = Math.max(0, now - startedAt);
  const status = reply.status_code;
  let error = reply.error ? normalizeError(reply.error) : null;
  if (error === null && status === null) error = "network: the listener got no response";
  if (error === null && status !== null && status >= 300 && status < 400) error = "redirect";
  return {
    startedAt,
    durationMs: Math.min(Math.round(reply.duration_ms), roundTrip),
    statusCode: status,
    error,
    responseBody: reply.response_body == null ? null : truncateUtf8(reply.response_body, RESPONSE_BODY_BYTES),
    retryAfter: null,
  };
}

/** An attempt that got no usable answer (no listener, timeout, socket closed). */
export function failedAttempt(startedAt: number, now: number, error: string): AttemptResult {
  return { startedAt, durationMs: Math.max(0, now - startedAt), statusCode: null, error, responseBody: null, retryAfter: null };
}

/** Errors keep the classes classify.ts knows ("timeout", "network: …"); anything else is a network error. */
function normalizeError(raw: string): string {
  const text = raw.slice(0, ERROR_CHARS);
  return text === "timeout" || text.startsWith("network") ? text : `network: ${text}`;
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  return bytes.byteLength <= maxBytes ? text : new TextDecoder().decode(bytes.subarray(0, maxBytes));
}
