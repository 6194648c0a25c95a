// Standard Webhooks signing: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed by the decoded
// bytes of a `whsec_` secret. Pure (WebCrypto only), so the spec's test vector runs as a unit test.
import { base64ToBytes, bytesToBase64 } from "./crypto";

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

/** The HMAC key bytes of a secret: the base64 after `whsec_` (a bare base64 secret is accepted too). */
export function secretBytes(secret: string): Uint8Array {
  const b64 = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  return base64ToBytes(b64);
}

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", secretBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    // Bounded: endpoint secrets are few per isolate, but never let the cache grow without limit.
    if (keyCache.size > 1000) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

/** One `v1,<base64>` signature of the message with one secret. */
export async function signOnce(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(`${id}.${timestampSeconds}.${body}`));
  return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}

/**
 * The `webhook-signature` header value: one signature per secret, space-separated, current secret first
 * (a rotated secret keeps signing during its window so receivers can switch over without a gap).
 */
export async function signatureHeader(secrets: string[], id: string, timestampSeconds: number, body: string): Promise<string> {
  if (secrets.length === 0) throw new Error("At least one signing secret is required.");
  const parts = await Promise.all(secrets.map((s) => signOnce(s, id, timestampSeconds, body)));
  return parts.join(" ");
}
