// One attempt: build the signed request for a delivery, POST it with a timeout that covers the whole
// response, never follow redirects, and record status, duration, error and the first 4 KiB of the body.
import { VERSION } from "../app";
import { bytesToBase64 } from "../domain/crypto";
import type { EndpointAuth } from "../domain/schemas";
import { signatureHeader } from "../domain/signing";
import type { z } from "@hono/zod-openapi";
import { readBounded } from "../http/bounded-read";
import { AttemptTimeouts } from "./attempt-timeouts";
import type { AttemptResult } from "./classify";

export const RESPONSE_BODY_LIMIT = 4096;
/** Past this many bytes the rest of a response is not worth waiting for: the attempt ends there. */
const RESPONSE_DRAIN_LIMIT = 1024 * 1024;

export interface SigningMessage {
  eventId: string;
  eventType: string;
  ownerId: string;
  deliveryId: string;
  /** 1-based, counting every attempt of the delivery (manual retries keep counting). */
  attempt: number;
  payload: string;
}

/** The headers of one attempt per API.md "What an endpoint receives". */
export async function buildHeaders(
  msg: SigningMessage,
  secrets: string[],
  auth: z.infer<typeof EndpointAuth> | null,
  nowMs: number,
): Promise<Record<string, string>> {
  const timestamp = Math.floor(nowMs / 1000);
  // Null prototype: a header named like an Object.prototype key (`__proto__`) is still an ordinary entry.
  const headers: Record<string, string> = Object.create(null);
  // The endpoint's own auth header goes in first so that it can never replace a signature header.
  if (auth?.type === "basic") {
    headers.authorization = `Basic ${bytesToBase64(new TextEncoder().encode(`${auth.username}:${auth.password}`))}`;
  } else if (auth?.type === "bearer") {
    headers.authorization = `Bearer ${auth.token}`;
  } else if (auth?.type === "header") {
    headers[auth.name.toLowerCase()] = auth.value;
  }
  Object.assign(headers, {
    "content-type": "application/json",
    "user-agent": `HookRelay/${VERSION}`,
    "webhook-id": msg.eventId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatureHeader(secrets, msg.eventId, timestamp, msg.payload),
    "hookrelay-event-type": msg.eventType,
    "hookrelay-owner-id": msg.ownerId,
    "hookrelay-delivery-id": msg.deliveryId,
    "hookrelay-attempt": String(msg.attempt),
  });
  return headers;
}

export interface OutboundRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/**
 * Sends one attempt. Never throws: every outcome is an AttemptResult. `timeouts` (one per object) times it
 * out with a shared timer; without it the attempt arms its own.
 */
export async function sendAttempt(req: OutboundRequest, timeouts: AttemptTimeouts = new AttemptTimeouts()): Promise<AttemptResult> {
  const startedAt = Date.now();
  // Not AbortSignal.timeout(): its timer lives on for the whole timeout after the attempt ended, and a busy
  // endpoint's object would hold thousands (the runtime refuses new timers past 10,000 per object).
  const deadline = timeouts.start(req.timeoutMs);
  const signal = deadline.signal;
  let statusCode: number | null = null;
  let retryAfter: string | null = null;
  let responseBody: string | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(req.url, { method: "POST", body: req.body, headers: req.headers, redirect: "manual", signal });
    statusCode = res.status;
    retryAfter = res.headers.get("retry-after");
    // The timeout covers the body too: a receiver that sends headers and then stalls is a timeout.
    responseBody = await readBodyPrefix(res);
    if (statusCode >= 300 && statusCode < 400) error = "redirect";
  } catch (err) {
    error = signal.aborted ? "timeout" : `network: ${errorMessage(err)}`;
  } finally {
    deadline.end();
  }
  return { startedAt, durationMs: Math.max(0, Date.now() - startedAt), statusCode, error, responseBody, retryAfter };
}

/**
 * Keeps the first 4 KiB and drains the rest (bounded), so "the whole response arrived" is observed. The fetch's
 * signal also errors its body stream when it aborts (Fetch spec; workerd and Node do it), so a stalled body
 * ends in a timeout without a listener of our own on every attempt.
 */
async function readBodyPrefix(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const { bytes } = await readBounded(res, { limit: RESPONSE_BODY_LIMIT, drainLimit: RESPONSE_DRAIN_LIMIT });
  return new TextDecoder().decode(bytes);
}

function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 500) || "request failed";
}
