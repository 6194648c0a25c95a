/// <reference types="node" />
// Plays AWS SNS for tests: an RSA key with a self-signed X.509 certificate (DER built here, signed with
// node:crypto), messages signed exactly as SNS signs them, and a loopback "SNS" serving the certificate
// and the SubscribeURL, recording every request.
import { generateKeyPairSync, randomBytes, randomUUID, sign, X509Certificate, type KeyObject } from "node:crypto";
import { flood, type FloodRecord } from "../../support/flood-server";
import { startReceiver, type Receiver } from "./receiver";

// --- A self-signed certificate, without openssl --------------------------------------------------------
// node:crypto can sign but not build certificates, so the few DER structures a certificate needs are
// encoded here (the machine may not have an openssl binary; CI must not depend on one).

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const der = (tag: number, ...parts: Buffer[]) => {
  const value = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(value.length), value]);
};
const seq = (...parts: Buffer[]) => der(0x30, ...parts);
const set = (...parts: Buffer[]) => der(0x31, ...parts);
const nul = () => Buffer.from([0x05, 0x00]);
const int = (bytes: Buffer) => der(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
const utf8 = (s: string) => der(0x0c, Buffer.from(s, "utf8"));
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
}
function utcTime(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // 2026-11-29T23:24:53.000Z
  const s = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + "Z";
  return der(0x17, Buffer.from(s, "ascii"));
}

export interface TestCertificate {
  privateKey: KeyObject;
  publicKeyDer: Buffer;
  pem: string;
  notBefore: number;
  notAfter: number;
}

/** An RSA-2048 key and a self-signed v3 certificate (sha256WithRSAEncryption) valid in the given window. */
export function createTestCertificate(opts: { notBefore?: number; notAfter?: number; commonName?: string } = {}): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  // DER times have one-second precision.
  const notBefore = Math.floor((opts.notBefore ?? Date.now() - 3_600_000) / 1000) * 1000;
  const notAfter = Math.floor((opts.notAfter ?? Date.now() + 86_400_000) / 1000) * 1000;
  const name = seq(set(seq(oid("2.5.4.3"), utf8(opts.commonName ?? "sns.test.hookrelay"))));
  const algorithm = seq(oid("1.2.840.113549.1.1.11"), nul());
  const publicKeyDer = publicKey.export({ type: "spki", format: "der" });
  const tbs = seq(
    der(0xa0, int(Buffer.from([2]))), // version v3
    int(randomBytes(8)),
    algorithm,
    name,
    seq(utcTime(notBefore), utcTime(notAfter)),
    name,
    publicKeyDer,
  );
  const signature = sign("sha256", tbs, privateKey);
  const certificate = seq(tbs, algorithm, der(0x03, Buffer.from([0]), signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${certificate.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
  // Node's own X.509 parser must accept it, or the fixture is wrong rather than the code under test.
  const parsed = new X509Certificate(pem);
  if (!parsed.verify(publicKey)) throw new Error("test certificate does not verify against its own key");
  return { privateKey, publicKeyDer, pem, notBefore, notAfter };
}

// --- Messages --------------------------------------------------------------------------------------------

export type SnsType = "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation";

export interface SnsEnvelope {
  Type: SnsType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
  UnsubscribeURL?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

// Written out independently of src/ingest/sns.ts (from PLATFORM-NOTES and AWS's docs) so that a wrong
// canonical string in the code under test cannot be mirrored here.
const SIGNED_ORDER = ["Message", "MessageId", "Subject", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"];
const SIGNED_BY_TYPE: Record<SnsType, string[]> = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};

export function stringToSign(msg: Partial<SnsEnvelope> & { Type: SnsType }, order: string[] = SIGNED_ORDER): string {
  const fields = order.filter((k) => SIGNED_BY_TYPE[msg.Type].includes(k));
  return fields
    .filter((k) => (msg as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${k}\n${(msg as Record<string, unknown>)[k]}\n`)
    .join("");
}

export interface SignOptions {
  /** "1" = SHA1withRSA, "2" = SHA256withRSA; anything else is signed with SHA-256 and labelled as given. */
  version?: string;
  /** Sign the fields in this order instead of SNS's. */
  order?: string[];
}

export function signEnvelope<T extends Partial<SnsEnvelope> & { Type: SnsType }>(
  msg: T,
  key: KeyObject,
  opts: SignOptions = {},
): SnsEnvelope {
  const version = opts.version ?? "2";
  const body = { ...msg, SignatureVersion: version } as Partial<SnsEnvelope> & { Type: SnsType };
  const signature = sign(version === "1" ? "sha1" : "sha256", Buffer.from(stringToSign(body, opts.order), "utf8"), key);
  return { ...body, Signature: signature.toString("base64") } as SnsEnvelope;
}

export const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:hookrelay-orders";

export interface MessageParams {
  topicArn?: string;
  certUrl: string;
  subscribeUrl?: string;
  messageId?: string;
  timestamp?: string;
}

export function subscriptionConfirmation(p: MessageParams & { subscribeUrl: string; token?: string }) {
  const topicArn = p.topicArn ?? TOPIC_ARN;
  return {
    Type: "SubscriptionConfirmation" as const,
    MessageId: p.messageId ?? randomUUID(),
    Token: p.token ?? randomBytes(32).toString("hex"),
    TopicArn: topicArn,
    Message: `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: p.subscribeUrl,
    Timestamp: p.timestamp ?? new Date().toISOString(),
    SigningCertURL: p.certUrl,
  };
}

export function unsubscribeConfirmation(p: MessageParams & { subscribeUrl: string }) {
  const topicArn = p.topicArn ?? TOPIC_ARN;
  return {
    Type: "UnsubscribeConfirmation" as const,
    MessageId: p.messageId ?? randomUUID(),
    Token: randomBytes(32).toString("hex"),
    TopicArn: topicArn,
    Message: `You have successfully unsubscribed from the topic ${topicArn}.\nTo resubscribe, visit the SubscribeURL included in this message.`,
    SubscribeURL: p.subscribeUrl,
    Timestamp: p.timestamp ?? new Date().toISOString(),
    SigningCertURL: p.certUrl,
  };
}

export function notification(
  p: MessageParams & { message: string; subject?: string; attributes?: Record<string, { Type: string; Value: string }> },
) {
  return {
    Type: "Notification" as const,
    MessageId: p.messageId ?? randomUUID(),
    TopicArn: p.topicArn ?? TOPIC_ARN,
    ...(p.subject !== undefined ? { Subject: p.subject } : {}),
    Message: p.message,
    Timestamp: p.timestamp ?? new Date().toISOString(),
    SigningCertURL: p.certUrl,
    UnsubscribeURL: `${p.certUrl.replace(/[^/]*$/, "")}unsubscribe`,
    ...(p.attributes ? { MessageAttributes: p.attributes } : {}),
  };
}

// --- A loopback SNS ------------------------------------------------------------------------------------

export interface FakeSns {
  receiver: Receiver;
  url: string;
  /** A certificate URL on this server; each name is its own URL, so tests can tell whether it was fetched. */
  certUrl(name: string): string;
  /** A SubscribeURL on this server, unique per name. */
  subscribeUrl(name: string): string;
  /** How many times this path (without query) was requested. */
  hits(pathPrefix: string): number;
  subscriptionArnFor(name: string): string;
  /** A SubscribeURL whose answer is a 512 MiB body (a hostile "SNS"); floods records what was written. */
  floodUrl(name: string): string;
  floods: FloodRecord[];
  close(): Promise<void>;
}

/** Serves `cert.pem` for every /certs/*.pem path and answers /confirm/<name> like SNS's ConfirmSubscription. */
export async function startFakeSns(cert: TestCertificate, topicArn = TOPIC_ARN): Promise<FakeSns> {
  const arnFor = (name: string) => `${topicArn}:${name}-0b5e1f62-6f0e-4d4b-9f43-2d3f0c0a1e11`;
  const floods: FloodRecord[] = [];
  const receiver = await startReceiver((req, _i, res) => {
    const path = req.path.split("?")[0]!;
    if (req.method === "GET" && path.startsWith("/flood/")) {
      floods.push(flood(res, { bytes: 512 * 1024 * 1024 }));
      return;
    }
    if (req.method === "GET" && path.startsWith("/certs/") && path.endsWith(".pem")) {
      res.writeHead(200, { "content-type": "application/x-pem-file" }).end(cert.pem);
      return;
    }
    if (req.method === "GET" && path.startsWith("/confirm/")) {
      const name = path.slice("/confirm/".length);
      res
        .writeHead(200, { "content-type": "text/xml" })
        .end(
          `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">\n  <ConfirmSubscriptionResult>\n    <SubscriptionArn>${arnFor(name)}</SubscriptionArn>\n  </ConfirmSubscriptionResult>\n  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</ConfirmSubscriptionResponse>\n`,
        );
      return;
    }
    res.writeHead(404).end();
  });
  return {
    receiver,
    url: receiver.url,
    certUrl: (name) => `${receiver.url}/certs/${name}.pem`,
    subscribeUrl: (name) =>
      `${receiver.url}/confirm/${name}?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${randomBytes(16).toString("hex")}`,
    hits: (prefix) => receiver.received.filter((r) => r.path.split("?")[0]!.startsWith(prefix)).length,
    subscriptionArnFor: arnFor,
    floodUrl: (name) => `${receiver.url}/flood/${name}`,
    floods,
    close: () => receiver.close(),
  };
}
