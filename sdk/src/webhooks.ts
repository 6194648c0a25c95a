// Receiver side: checks that a webhook really came from HookRelay (Standard Webhooks signature over
// "{webhook-id}.{webhook-timestamp}.{body}", ±5 min clock tolerance) with the reference `standardwebhooks` verifier.
import { Webhook, WebhookVerificationError } from "standardwebhooks";

export { WebhookVerificationError };

/** Whatever a framework hands over: a fetch `Headers`, or a plain object (Node's `req.headers`). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * Verifies and parses one delivery. `body` must be the raw bytes as received (not re-serialized JSON).
 * Returns the parsed payload; throws `WebhookVerificationError` when the signature, id or timestamp is wrong.
 */
export function verifyWebhook<T = unknown>(secret: string, headers: WebhookHeaders, body: string | Uint8Array | ArrayBuffer): T {
  const text = typeof body === "string" ? body : new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body);
  return new Webhook(secret).verify(text, plainHeaders(headers)) as T;
}

function plainHeaders(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === "function" && typeof (headers as Headers).get === "function") {
    (headers as Headers).forEach((value, key) => {
      out[key.toLowerCase()] = value;
    });
    return out;
  }
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (value === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(" ") : value;
  }
  return out;
}
