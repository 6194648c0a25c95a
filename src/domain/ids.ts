// Prefixed, time-sortable ids: <prefix>_<10 chars of ms time><16 chars of randomness or hash>, Crockford base32.
// Sorting ids as strings sorts them by creation time, which is what cursor pagination relies on.

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix = "ep" | "sub" | "evt" | "dlv" | "att" | "src" | "key" | "nch" | "ntf" | "job" | "dlq" | "ptl";

/** `value` in `length` base32 characters, most significant first (so that ids sort by it). */
function encodeNumber(value: number, length: number): string {
  let out = "";
  let rest = Math.floor(value);
  for (let i = 0; i < length; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeTime(ms: number): string {
  return encodeNumber(ms, 10);
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

/** Characters of an event id that carry its owner's hash (see newEventId). */
const OWNER_TAG_LENGTH = 6;

/** FNV-1a over the owner id, as 6 base32 characters (30 bits): the tag event ids carry. Not a secret. */
export function ownerTag(ownerId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < ownerId.length; i++) {
    h ^= ownerId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = "";
  for (let i = 0; i < OWNER_TAG_LENGTH; i++) {
    out += ALPHABET[h & 31];
    h >>>= 5;
  }
  return out;
}

/**
 * An event id: time, then the owner's tag, then randomness. History is sharded by owner (history/), and the
 * tag lets `GET /v1/events/{id}` find the owner — through the owners directory — from the id alone.
 */
export function newEventId(ownerId: string, nowMs: number = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(16));
  return `evt_${encodeTime(nowMs)}${ownerTag(ownerId)}${encodeBytes(random, 16 - OWNER_TAG_LENGTH)}`;
}

/** The owner tag an event id carries (ids made before tags existed carry a random one: no owner matches). */
export function eventOwnerTag(eventId: string): string {
  return eventId.slice(4 + 10, 4 + 10 + OWNER_TAG_LENGTH);
}

/**
 * A delivery's id: derived from (event, endpoint), so a message processed twice makes the same delivery,
 * and self-locating — the event's time and the endpoint's id are in it, which name its history shard.
 * `dlv_<event time 10><hash 10><endpoint id body 26>`.
 */
export async function deliveryId(eventId: string, endpointId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${eventId}\u0000${endpointId}`)));
  return `dlv_${idTime(eventId)}${encodeBytes(digest, 10)}${endpointId.slice(endpointId.indexOf("_") + 1)}`;
}

/** The endpoint a delivery id names, or null when it is not a delivery id of this shape. */
export function deliveryEndpointId(id: string): string | null {
  return isDeliveryId(id) ? `ep_${id.slice(4 + 20)}` : null;
}

export function isDeliveryId(value: string): boolean {
  return /^dlv_[0-9a-hjkmnp-tv-z]{46}$/.test(value);
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

/**
 * An attempt's id: its delivery's time and hash, then the attempt number — unique per (delivery, attempt),
 * the same each time it is made, and sorting with its delivery. No digest per attempt (it is on the hot
 * path): the delivery id already carries a hash of (event, endpoint). `att_<event time 10><hash 10><attempt 6>`.
 */
export function attemptId(deliveryId: string, attempt: number): string {
  // Every delivery id has that shape; anything else still gets a stable id (time 0, an FNV hash).
  const parent = isDeliveryId(deliveryId) ? deliveryId.slice(4, 4 + 20) : `${encodeTime(0)}${ownerTag(deliveryId)}${ownerTag(`${deliveryId}\u0000`).slice(0, 4)}`;
  return `att_${parent}${encodeNumber(attempt, 6)}`;
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
