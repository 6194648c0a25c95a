// AWS SNS: checks an HTTPS-subscription message's shape and URLs, verifies its RSA signature against the
// SNS signing certificate (WebCrypto; certificates cached per isolate), and maps a Notification to an event.
import { EVENT_TYPE_PATTERN } from "../domain/schemas";
import { base64ToBytes } from "../domain/crypto";
import { readBoundedText } from "../http/bounded-read";

export type SnsMessageType = "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation";

export interface SnsMessageAttribute {
  Type: string;
  Value: string;
}

export interface SnsMessage {
  Type: SnsMessageType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: "1" | "2";
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
  UnsubscribeURL?: string;
  MessageAttributes?: Record<string, SnsMessageAttribute>;
}

/**
 * Every way a message can be refused; the route turns it into 403 and logs `reason`. `invalid_signature`
 * for a message that is not provably SNS's for this source; `forbidden` for a genuine one that this source
 * must not take now (its state, or the message's age).
 */
export class SnsVerificationError extends Error {
  constructor(
    readonly reason: string,
    readonly code: "invalid_signature" | "forbidden" = "invalid_signature",
  ) {
    super(reason);
  }
}

// The signed fields per message type, in the order SNS signs them (alphabetical; Subject only if present).
const NOTIFICATION_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] as const;
const CONFIRMATION_FIELDS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"] as const;

const MESSAGE_TYPES: readonly string[] = ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"];

/** The exact bytes SNS signs: "Key\nValue\n" for each signed field of the message's type. */
export function canonicalString(msg: { Type: string }): string {
  const fields = msg.Type === "Notification" ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  let out = "";
  for (const key of fields) {
    const value = (msg as Record<string, unknown>)[key];
    if (value === undefined || value === null) {
      if (key === "Subject") continue;
      throw new SnsVerificationError(`missing ${key}`);
    }
    if (typeof value !== "string") throw new SnsVerificationError(`${key} is not a string`);
    out += `${key}\n${value}\n`;
  }
  return out;
}

// Regional SNS hosts only: sns.<region>.amazonaws.com, or .com.cn in the China partition.
const SNS_HOST = /^sns\.[a-z]{2}(?:-[a-z]+)+-\d{1,2}\.amazonaws\.com(?:\.cn)?$/;

function underTestPrefix(url: URL, testPrefix: string | undefined): boolean {
  // Compared on the parsed, normalised href so that tricks like "http://127.0.0.1:1@evil/" cannot match.
  return !!testPrefix && url.href.startsWith(testPrefix);
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

function isSnsHttpsUrl(url: URL): boolean {
  return (
    url.protocol === "https:" && url.port === "" && url.username === "" && url.password === "" && SNS_HOST.test(url.hostname)
  );
}

/** SigningCertURL: https on a regional SNS host, a .pem path; or anything under the test-only prefix. */
export function isTrustedCertUrl(value: string, testPrefix?: string): boolean {
  const url = parseUrl(value);
  if (!url) return false;
  if (underTestPrefix(url, testPrefix)) return true;
  return isSnsHttpsUrl(url) && url.pathname.endsWith(".pem");
}

/** SubscribeURL: https on a regional SNS host; or anything under the test-only prefix. */
export function isTrustedSubscribeUrl(value: string, testPrefix?: string): boolean {
  const url = parseUrl(value);
  if (!url) return false;
  if (underTestPrefix(url, testPrefix)) return true;
  return isSnsHttpsUrl(url);
}

export interface CheckOptions {
  /** SNS_TEST_CERT_URL_PREFIX: tests serve certificates and SubscribeURLs from loopback under it. */
  testPrefix?: string;
}

/**
 * Everything that can be checked without a network call: the message shape, its type, the signature
 * version and the URLs it would make us fetch. Runs before any fetch so that a forged message can never
 * make HookRelay request an address of the sender's choosing.
 */
export function checkSnsMessage(raw: unknown, opts: CheckOptions = {}): SnsMessage {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new SnsVerificationError("body is not a JSON object");
  const m = raw as Record<string, unknown>;
  if (typeof m.Type !== "string" || !MESSAGE_TYPES.includes(m.Type)) throw new SnsVerificationError("unknown message Type");
  if (m.SignatureVersion !== "1" && m.SignatureVersion !== "2") {
    throw new SnsVerificationError(`unsupported SignatureVersion ${JSON.stringify(m.SignatureVersion)}`);
  }
  const required = ["MessageId", "TopicArn", "Message", "Timestamp", "Signature", "SigningCertURL"];
  if (m.Type !== "Notification") required.push("SubscribeURL", "Token");
  for (const key of required) {
    if (typeof m[key] !== "string" || m[key] === "") throw new SnsVerificationError(`missing ${key}`);
  }
  if (m.Subject !== undefined && m.Subject !== null && typeof m.Subject !== "string") {
    throw new SnsVerificationError("Subject is not a string");
  }
  if (!isTrustedCertUrl(m.SigningCertURL as string, opts.testPrefix)) throw new SnsVerificationError("untrusted SigningCertURL");
  if (m.Type === "SubscriptionConfirmation" && !isTrustedSubscribeUrl(m.SubscribeURL as string, opts.testPrefix)) {
    throw new SnsVerificationError("untrusted SubscribeURL");
  }
  return m as unknown as SnsMessage;
}

// --- Source state and message age ---------------------------------------------------------------------

export interface SnsSourceState {
  status: string;
  /** Set by the owner (create or PATCH), or pinned by the first confirmation (which also confirms). */
  topicArn: string | null;
}

/**
 * Whether this source may take this message in its current state; throws otherwise. Runs before any fetch.
 * - A source with a topic takes messages from that topic only.
 * - A source with neither a confirmation nor a topic takes only a SubscriptionConfirmation: before that,
 *   anyone can subscribe its URL to a topic of their own, so their Notifications (genuinely SNS-signed)
 *   must not become the owner's events, nor their UnsubscribeConfirmations change its status.
 * A source with a topic the owner set may take Notifications while still pending: they are the owner's topic's.
 */
export function checkSourceAccepts(msg: Pick<SnsMessage, "Type" | "TopicArn">, source: SnsSourceState): void {
  if (source.topicArn && msg.TopicArn !== source.topicArn) throw new SnsVerificationError("TopicArn is not this source's topic");
  if (msg.Type === "SubscriptionConfirmation" || source.status === "confirmed" || source.topicArn) return;
  throw new SnsVerificationError(
    `the source is ${source.status} and has no topic_arn: only a SubscriptionConfirmation is accepted`,
    "forbidden",
  );
}

/**
 * Oldest signed Timestamp accepted. SNS stops retrying an HTTP/S delivery within 3,600 s (a hard limit of
 * its delivery policies), so anything older is a replay of a captured message, not SNS; the 24 h
 * idempotency window must not be all that stands between such a message and a second event.
 */
export const SNS_MAX_MESSAGE_AGE_MS = 60 * 60 * 1000;
/** Clock skew tolerated for a Timestamp ahead of ours. */
export const SNS_MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Refuses a message whose signed Timestamp is unreadable, older than an hour or ahead of the clock. */
export function checkMessageAge(msg: Pick<SnsMessage, "Timestamp">, now: number): void {
  // SNS writes ISO 8601 with a Z ("2026-12-04T21:36:16.123Z"); anything else is not SNS's.
  const sentAt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(msg.Timestamp) ? Date.parse(msg.Timestamp) : NaN;
  if (!Number.isFinite(sentAt)) throw new SnsVerificationError("Timestamp is not an ISO 8601 UTC time", "forbidden");
  if (now - sentAt > SNS_MAX_MESSAGE_AGE_MS) throw new SnsVerificationError("message is older than 1 h (by its Timestamp)", "forbidden");
  if (sentAt - now > SNS_MAX_CLOCK_SKEW_MS) throw new SnsVerificationError("Timestamp is in the future", "forbidden");
}

// --- Certificates ------------------------------------------------------------------------------------

export interface SigningCertificate {
  /** DER SubjectPublicKeyInfo, ready for crypto.subtle.importKey("spki", …). */
  spki: Uint8Array;
  notBefore: number;
  notAfter: number;
}

interface Tlv {
  tag: number;
  start: number;
  valueStart: number;
  end: number;
}

// A minimal DER reader: just enough to walk Certificate → tbsCertificate → subjectPublicKeyInfo/validity.
// Bounds are checked on every read; anything unexpected throws (and so fails verification).
function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new Error("truncated DER");
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error("multi-byte DER tags are not expected in a certificate");
  let length = der[offset + 1]!;
  let valueStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || valueStart + count > limit) throw new Error("bad DER length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[valueStart + i]!;
    valueStart += count;
  }
  const end = valueStart + length;
  if (end > limit) throw new Error("DER value overruns its container");
  return { tag, start: offset, valueStart, end };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.valueStart; at < parent.end; ) {
    const tlv = readTlv(der, at, parent.end);
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

function derTime(der: Uint8Array, tlv: Tlv): number {
  const text = new TextDecoder().decode(der.subarray(tlv.valueStart, tlv.end));
  // UTCTime YYMMDDHHMMSSZ (years 1950–2049, RFC 5280) or GeneralizedTime YYYYMMDDHHMMSSZ.
  const m = tlv.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m || (tlv.tag !== 0x17 && tlv.tag !== 0x18)) throw new Error("bad certificate time");
  let year = Number(m[1]);
  if (tlv.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Reads the public key and validity window out of a PEM (or DER) X.509 certificate. */
export function parseCertificate(pemOrDer: string | Uint8Array): SigningCertificate {
  let der: Uint8Array;
  if (typeof pemOrDer === "string") {
    const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pemOrDer);
    if (!match) throw new Error("no PEM certificate found");
    der = base64ToBytes(match[1]!.replace(/\s+/g, ""));
  } else {
    der = pemOrDer;
  }
  const cert = readTlv(der, 0, der.length);
  if (cert.tag !== 0x30) throw new Error("certificate is not a SEQUENCE");
  const tbs = children(der, cert)[0];
  if (!tbs || tbs.tag !== 0x30) throw new Error("tbsCertificate is not a SEQUENCE");
  const fields = children(der, tbs);
  // [0] EXPLICIT version is optional (absent means v1); then serial, signature, issuer, validity, subject, SPKI.
  const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
  const validity = rest[3];
  const spki = rest[5];
  if (!validity || validity.tag !== 0x30 || !spki || spki.tag !== 0x30) throw new Error("unexpected tbsCertificate layout");
  const [notBefore, notAfter] = children(der, validity);
  if (!notBefore || !notAfter) throw new Error("validity lacks a time");
  return { spki: der.slice(spki.start, spki.end), notBefore: derTime(der, notBefore), notAfter: derTime(der, notAfter) };
}

// SNS rotates its signing certificates rarely and every message names its own, so certificates are cached
// per isolate by URL. The cache is bounded; the oldest entry leaves first. Failed fetches are not cached.
const CERT_CACHE_LIMIT = 64;
const CERT_MAX_BYTES = 64 * 1024;
const CERT_FETCH_TIMEOUT_MS = 5_000;
const certCache = new Map<string, Promise<SigningCertificate>>();

export function clearCertificateCache(): void {
  certCache.clear();
}

async function fetchCertificate(url: string, fetcher: typeof fetch): Promise<SigningCertificate> {
  // Redirects are refused: a redirect could lead off the trusted host that was checked.
  const signal = AbortSignal.timeout(CERT_FETCH_TIMEOUT_MS);
  const res = await fetcher(url, { redirect: "manual", signal });
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`certificate fetch answered ${res.status}`);
  }
  const { text, truncated } = await readBoundedText(res, { limit: CERT_MAX_BYTES, signal });
  if (truncated) throw new Error("certificate too large");
  return parseCertificate(text);
}

function cachedCertificate(url: string, fetcher: typeof fetch): Promise<SigningCertificate> {
  let entry = certCache.get(url);
  if (!entry) {
    entry = fetchCertificate(url, fetcher);
    certCache.set(url, entry);
    entry.catch(() => certCache.delete(url));
    if (certCache.size > CERT_CACHE_LIMIT) certCache.delete(certCache.keys().next().value!);
  }
  return entry;
}

export interface VerifyOptions {
  fetcher?: typeof fetch;
  now?: number;
}

/** Verifies a checked message's signature: SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA. */
export async function verifySnsSignature(msg: SnsMessage, opts: VerifyOptions = {}): Promise<void> {
  let signature: Uint8Array;
  try {
    signature = base64ToBytes(msg.Signature);
  } catch {
    throw new SnsVerificationError("Signature is not base64");
  }
  const data = new TextEncoder().encode(canonicalString(msg));
  let cert: SigningCertificate;
  try {
    cert = await cachedCertificate(msg.SigningCertURL, opts.fetcher ?? fetch);
  } catch (err) {
    throw new SnsVerificationError(`signing certificate unusable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const now = opts.now ?? Date.now();
  if (now < cert.notBefore || now > cert.notAfter) throw new SnsVerificationError("signing certificate is not valid now");
  const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: msg.SignatureVersion === "1" ? "SHA-1" : "SHA-256" };
  let ok: boolean;
  try {
    const key = await crypto.subtle.importKey("spki", cert.spki, algorithm, false, ["verify"]);
    ok = await crypto.subtle.verify(algorithm, key, signature, data);
  } catch (err) {
    throw new SnsVerificationError(`signature check failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!ok) throw new SnsVerificationError("signature does not match");
}

// --- Mapping ------------------------------------------------------------------------------------------

export interface SnsSourceMapping {
  ownerId: string;
  eventType: string | null;
  eventTypeAttribute: string | null;
}

/** A Notification's message as an event payload: its JSON if it parses (any JSON value), else {message}. */
export function notificationPayload(message: string): unknown {
  try {
    return JSON.parse(message);
  } catch {
    return { message };
  }
}

/**
 * The event type: the String message attribute the source names, else Subject when it is a valid event
 * type, else the source's default. Null when none applies (the route answers 422).
 */
export function notificationEventType(msg: SnsMessage, source: SnsSourceMapping): string | null {
  if (source.eventTypeAttribute) {
    const attribute = msg.MessageAttributes?.[source.eventTypeAttribute];
    if (attribute && attribute.Type === "String" && typeof attribute.Value === "string" && EVENT_TYPE_PATTERN.test(attribute.Value)) {
      return attribute.Value;
    }
  }
  if (typeof msg.Subject === "string" && EVENT_TYPE_PATTERN.test(msg.Subject)) return msg.Subject;
  return source.eventType ?? null;
}

/** The subscription ARN from SNS's ConfirmSubscriptionResponse XML, or null when it has none. */
export function parseConfirmSubscriptionArn(xml: string): string | null {
  const match = /<SubscriptionArn>\s*([^<\s]+)\s*<\/SubscriptionArn>/.exec(xml);
  const arn = match?.[1];
  return arn && /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:\S+$/.test(arn) ? arn : null;
}
