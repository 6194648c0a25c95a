// Prefixed, time-sortable ids: <prefix>_<10 chars of ms time><16 chars of randomness or hash>, Crockford base32.
// Sorting ids as strings sorts them by creation time, which is what cursor pagination relies on.

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix = "ep" | "sub" | "evt" | "dlv" | "att" | "src" | "key" | "nch" | "ntf" | "job" | "dlq" | "ptl";

function encodeTime(ms: number): string {
  let out = "";
  let value = Math.floor(ms);
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function encodeBytes(bytes: Uint8Array, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i % bytes.length]! % 32];
  return out;
}

export function newId(prefix: IdPrefix, nowMs: number = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(16));
  return `${prefix}_${encodeTime(nowMs)}${encodeBytes(random, 16)}`;
}

/** The time part of an id, so derived ids sort next to the id they come from. */
export function idTime(id: string): string {
  const body = id.slice(id.indexOf("_") + 1);
  return body.slice(0, 10);
}

/** Creation time (epoch ms) encoded in an id, or null when the id is not one of ours. */
export function idTimestamp(id: string): number | null {
  const time = idTime(id);
  if (!/^[0-9a-hjkmnp-tv-z]{10}$/.test(time)) return null;
  let value = 0;
  for (const ch of time) value = value * 32 + ALPHABET.indexOf(ch);
  return value;
}

/**
 * A deterministic id derived from other ids (e.g. a delivery from its event and endpoint), so that a
 * queue message processed twice produces the same row instead of a duplicate. Sorts with its parent.
 */
export async function derivedId(prefix: IdPrefix, parentId: string, ...parts: string[]): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode([parentId, ...parts].join("\u0000"))),
  );
  return `${prefix}_${idTime(parentId)}${encodeBytes(digest, 16)}`;
}

/** The lower bound of the ids made at `ms`: ids made at or after ms sort above it, earlier ones below. */
export function idAtTime(prefix: IdPrefix, ms: number): string {
  // Times before 1970 (a filter may name one) bound nothing lower than the first id.
  return `${prefix}_${encodeTime(Math.max(0, ms))}`;
}

/** How long an Idempotency-Key is remembered: a retried request within it gets the ids of its first try. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Margin for the clocks of the machines that propose an event's id and accept it. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Bounds on the time in the ids of events accepted in a range: an event's id is proposed when a request
 * first carries it, so its time is at most IDEMPOTENCY_TTL_MS before accepted_at (a retried request reuses
 * the ids) and never after it (beyond clock skew). Lets id indexes serve accepted_at filters, which stay
 * exact on top. `from`: events accepted at or after acceptedFrom have id times at or after it; `before`:
 * events accepted before acceptedBefore have id times before it. Attempt ids carry their event's id time.
 */
export function eventIdTimeBounds(acceptedFrom?: number, acceptedBefore?: number): { from?: number; before?: number } {
  return {
    from: acceptedFrom === undefined ? undefined : acceptedFrom - IDEMPOTENCY_TTL_MS - CLOCK_SKEW_MS,
    before: acceptedBefore === undefined ? undefined : acceptedBefore + CLOCK_SKEW_MS,
  };
}

export function isIdOf(prefix: IdPrefix, value: string): boolean {
  return new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`).test(value);
}
