/// <reference types="node" />
// SNS verification as plain functions in Node: canonical strings, URL rules, the DER certificate reader,
// and real RSA signatures (both versions) checked against a certificate served on loopback.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  canonicalString,
  checkMessageAge,
  checkSnsMessage,
  checkSourceAccepts,
  clearCertificateCache,
  isTrustedCertUrl,
  isTrustedSubscribeUrl,
  notificationEventType,
  notificationPayload,
  parseCertificate,
  parseConfirmSubscriptionArn,
  SNS_MAX_MESSAGE_AGE_MS,
  SnsVerificationError,
  verifySnsSignature,
  type SnsMessage,
} from "../../src/ingest/sns";
import {
  createTestCertificate,
  notification,
  signEnvelope,
  startFakeSns,
  stringToSign,
  subscriptionConfirmation,
  unsubscribeConfirmation,
  type FakeSns,
  type TestCertificate,
} from "../e2e/support/sns-fixtures";

const AWS_CERT = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem";
const AWS_SUBSCRIBE =
  "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:t&Token=abc";

describe("canonicalString", () => {
  it("signs a Notification's Message, MessageId, Subject, Timestamp, TopicArn, Type in that order", () => {
    const msg = { Type: "Notification", MessageId: "m-1", TopicArn: "arn:t", Subject: "order.created", Message: "hi\nthere", Timestamp: "2026-11-29T21:00:00.000Z", UnsubscribeURL: "x", SubscribeURL: "not signed", Token: "not signed" };
    expect(canonicalString(msg)).toBe(
      "Message\nhi\nthere\nMessageId\nm-1\nSubject\norder.created\nTimestamp\n2026-11-29T21:00:00.000Z\nTopicArn\narn:t\nType\nNotification\n",
    );
  });

  it("leaves Subject out of a Notification that has none", () => {
    const msg = { Type: "Notification", MessageId: "m-1", TopicArn: "arn:t", Message: "{}", Timestamp: "T" };
    expect(canonicalString(msg)).toBe("Message\n{}\nMessageId\nm-1\nTimestamp\nT\nTopicArn\narn:t\nType\nNotification\n");
  });

  it.each(["SubscriptionConfirmation", "UnsubscribeConfirmation"])("signs a %s with SubscribeURL and Token, never Subject", (Type) => {
    const msg = { Type, MessageId: "m-2", TopicArn: "arn:t", Subject: "ignored", Message: "M", Timestamp: "T", SubscribeURL: "https://s/", Token: "tok" };
    expect(canonicalString(msg)).toBe(
      `Message\nM\nMessageId\nm-2\nSubscribeURL\nhttps://s/\nTimestamp\nT\nToken\ntok\nTopicArn\narn:t\nType\n${Type}\n`,
    );
  });

  it("agrees with the independently written test signer for all three types", () => {
    const params = { certUrl: AWS_CERT, subscribeUrl: AWS_SUBSCRIBE };
    for (const msg of [
      subscriptionConfirmation(params),
      unsubscribeConfirmation(params),
      notification({ ...params, message: "x", subject: "s" }),
      notification({ ...params, message: "x" }),
    ]) {
      expect(canonicalString(msg)).toBe(stringToSign(msg));
    }
  });

  it("refuses a confirmation without Token", () => {
    const noToken = { Type: "SubscriptionConfirmation", MessageId: "m", TopicArn: "t", Message: "M", Timestamp: "T", SubscribeURL: "u" };
    expect(() => canonicalString(noToken)).toThrow(SnsVerificationError);
  });
});

describe("certificate and SubscribeURL rules", () => {
  it.each([
    [AWS_CERT, true],
    ["https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem", true],
    ["https://sns.us-gov-west-1.amazonaws.com/x.pem", true],
    ["https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem", true],
    ["http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem", false], // not https
    ["https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.txt", false], // not .pem
    ["https://sns.us-east-1.amazonaws.com.evil.test/x.pem", false],
    ["https://evil.test/sns.us-east-1.amazonaws.com/x.pem", false],
    ["https://sns.amazonaws.com/x.pem", false], // no region
    ["https://sqs.us-east-1.amazonaws.com/x.pem", false],
    ["https://sns.us-east-1.amazonaws.com:8443/x.pem", false], // odd port
    ["https://user@sns.us-east-1.amazonaws.com/x.pem", false],
    ["https://sns.us-east-1.amazonaws.com.cn.evil.test/x.pem", false],
    ["not a url", false],
  ])("cert URL %s → %s", (url, trusted) => {
    expect(isTrustedCertUrl(url)).toBe(trusted);
  });

  it("trusts the test prefix, over http too, but only as a real prefix of the parsed URL", () => {
    const prefix = "http://127.0.0.1:4567/";
    expect(isTrustedCertUrl("http://127.0.0.1:4567/certs/a.pem", prefix)).toBe(true);
    expect(isTrustedSubscribeUrl("http://127.0.0.1:4567/confirm/a?Token=1", prefix)).toBe(true);
    expect(isTrustedCertUrl("http://127.0.0.1:4568/certs/a.pem", prefix)).toBe(false);
    expect(isTrustedCertUrl("http://127.0.0.1:4567@evil.test/certs/a.pem", prefix)).toBe(false);
    expect(isTrustedCertUrl("http://127.0.0.1:4567/certs/a.pem")).toBe(false); // no prefix configured
  });

  it("limits SubscribeURL to https SNS hosts", () => {
    expect(isTrustedSubscribeUrl(AWS_SUBSCRIBE)).toBe(true);
    expect(isTrustedSubscribeUrl(AWS_SUBSCRIBE.replace("https:", "http:"))).toBe(false);
    expect(isTrustedSubscribeUrl("https://169.254.169.254/latest/meta-data/")).toBe(false);
    expect(isTrustedSubscribeUrl("https://sns.us-east-1.amazonaws.com.evil.test/?Action=ConfirmSubscription")).toBe(false);
  });
});

describe("checkSnsMessage", () => {
  const base = () => ({ ...subscriptionConfirmation({ certUrl: AWS_CERT, subscribeUrl: AWS_SUBSCRIBE }), SignatureVersion: "2", Signature: "AAAA" });
  const reason = (raw: unknown, prefix?: string) => {
    try {
      checkSnsMessage(raw, { testPrefix: prefix });
      return "accepted";
    } catch (err) {
      if (err instanceof SnsVerificationError) return err.reason;
      throw err;
    }
  };

  it("accepts a well-formed message", () => {
    expect(reason(base())).toBe("accepted");
  });

  it.each([
    ["unknown message Type", { Type: "Bogus" }],
    ["unsupported SignatureVersion", { SignatureVersion: "3" }],
    ["unsupported SignatureVersion", { SignatureVersion: 2 }],
    ["missing Signature", { Signature: "" }],
    ["missing Token", { Token: undefined }],
    ["missing TopicArn", { TopicArn: 5 }],
    ["untrusted SigningCertURL", { SigningCertURL: "https://evil.test/x.pem" }],
    ["untrusted SubscribeURL", { SubscribeURL: "https://evil.test/confirm" }],
  ])("refuses %s", (expected, patch) => {
    expect(reason({ ...base(), ...patch })).toContain(expected);
  });

  it("refuses bodies that are not objects", () => {
    for (const raw of [null, [], "text", 7]) expect(reason(raw)).toBe("body is not a JSON object");
  });
});

describe("parseCertificate", () => {
  it("reads the SubjectPublicKeyInfo and validity of a real certificate", () => {
    const cert = createTestCertificate();
    const parsed = parseCertificate(cert.pem);
    expect(Buffer.from(parsed.spki).equals(cert.publicKeyDer)).toBe(true);
    expect(parsed.notBefore).toBe(cert.notBefore);
    expect(parsed.notAfter).toBe(cert.notAfter);
  });

  it("throws on garbage and on truncated DER instead of reading out of bounds", () => {
    const cert = createTestCertificate();
    expect(() => parseCertificate("hello")).toThrow();
    const der = Buffer.from(cert.pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
    expect(() => parseCertificate(new Uint8Array(der.subarray(0, 200)))).toThrow();
  });
});

describe("verifySnsSignature against a certificate served on loopback", () => {
  let cert: TestCertificate;
  let sns: FakeSns;
  beforeAll(async () => {
    cert = createTestCertificate();
    sns = await startFakeSns(cert);
  });
  afterAll(async () => {
    await sns?.close();
  });
  beforeEach(() => clearCertificateCache());

  const prefix = () => `${sns.url}/`;
  const verify = async (raw: unknown) => {
    try {
      const msg = checkSnsMessage(raw, { testPrefix: prefix() });
      await verifySnsSignature(msg);
      return "ok";
    } catch (err) {
      if (err instanceof SnsVerificationError) return err.reason;
      throw err;
    }
  };

  it.each(["1", "2"])("verifies all three types signed with SignatureVersion %s", async (version) => {
    const p = { certUrl: sns.certUrl(`v${version}`), subscribeUrl: sns.subscribeUrl("u") };
    const messages = [
      subscriptionConfirmation(p),
      unsubscribeConfirmation(p),
      notification({ ...p, message: '{"order":1}', subject: "order.created" }),
      notification({ ...p, message: "plain text, no subject" }),
    ];
    for (const msg of messages) expect(await verify(signEnvelope(msg, cert.privateKey, { version }))).toBe("ok");
    // Cached per isolate: four verifications, one certificate fetch.
    expect(sns.hits(`/certs/v${version}.pem`)).toBe(1);
  });

  it("refuses a tampered Message, Subject or TopicArn", async () => {
    const signed = signEnvelope(notification({ certUrl: sns.certUrl("t"), message: '{"amount":1}', subject: "a.b" }), cert.privateKey);
    expect(await verify(signed)).toBe("ok");
    expect(await verify({ ...signed, Message: '{"amount":1000}' })).toBe("signature does not match");
    expect(await verify({ ...signed, Subject: "a.c" })).toBe("signature does not match");
    expect(await verify({ ...signed, TopicArn: "arn:aws:sns:us-east-1:123456789012:other" })).toBe("signature does not match");
  });

  it("refuses a message signed over the fields in another order", async () => {
    const order = ["Type", "TopicArn", "Timestamp", "Subject", "MessageId", "Message"];
    for (const version of ["1", "2"]) {
      const signed = signEnvelope(notification({ certUrl: sns.certUrl("o"), message: "x", subject: "s" }), cert.privateKey, { version, order });
      expect(await verify(signed)).toBe("signature does not match");
    }
  });

  it("refuses a SHA-256 signature labelled SignatureVersion 1", async () => {
    const signed = signEnvelope(notification({ certUrl: sns.certUrl("l"), message: "x" }), cert.privateKey, { version: "2" });
    expect(await verify({ ...signed, SignatureVersion: "1" })).toBe("signature does not match");
  });

  it("refuses a signature made with another key", async () => {
    const other = createTestCertificate();
    const signed = signEnvelope(notification({ certUrl: sns.certUrl("k"), message: "x" }), other.privateKey);
    expect(await verify(signed)).toBe("signature does not match");
  });

  it("refuses an expired certificate and one that cannot be fetched", async () => {
    const expired = createTestCertificate({ notBefore: Date.now() - 10 * 86_400_000, notAfter: Date.now() - 86_400_000 });
    const old = await startFakeSns(expired);
    try {
      const signed = signEnvelope(notification({ certUrl: old.certUrl("e"), message: "x" }), expired.privateKey);
      const msg = checkSnsMessage(signed, { testPrefix: `${old.url}/` });
      await expect(verifySnsSignature(msg)).rejects.toThrow("signing certificate is not valid now");
    } finally {
      await old.close();
    }
    const missing = signEnvelope(notification({ certUrl: `${sns.url}/missing.pem`, message: "x" }), cert.privateKey);
    expect(await verify(missing)).toContain("certificate fetch answered 404");
  });

  it("fetches nothing for an unsupported SignatureVersion or an untrusted certificate URL", async () => {
    const before = sns.receiver.received.length;
    const v3 = signEnvelope(notification({ certUrl: sns.certUrl("v3"), message: "x" }), cert.privateKey, { version: "3" });
    expect(await verify(v3)).toContain("unsupported SignatureVersion");
    const offPrefix = signEnvelope(notification({ certUrl: sns.certUrl("x").replace("127.0.0.1", "localhost"), message: "x" }), cert.privateKey);
    expect(await verify(offPrefix)).toBe("untrusted SigningCertURL");
    expect(sns.receiver.received.length).toBe(before);
  });
});

describe("mapping a Notification", () => {
  const msg = (extra: Partial<SnsMessage>): SnsMessage =>
    ({ Type: "Notification", MessageId: "m", TopicArn: "t", Message: "x", Timestamp: "T", SignatureVersion: "2", Signature: "s", SigningCertURL: "u", ...extra }) as SnsMessage;
  const source = { ownerId: "acme", eventType: "sns.default", eventTypeAttribute: "event_type" };

  it("uses the parsed Message JSON as the payload, any JSON value, else {message}", () => {
    expect(notificationPayload('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(notificationPayload("[1,2]")).toEqual([1, 2]);
    expect(notificationPayload("42")).toBe(42);
    expect(notificationPayload("hello world")).toEqual({ message: "hello world" });
    expect(notificationPayload('{"broken":')).toEqual({ message: '{"broken":' });
  });

  it("takes the event type from the named String attribute, then a valid Subject, then the source default", () => {
    const attrs = { event_type: { Type: "String", Value: "order.paid" } };
    expect(notificationEventType(msg({ MessageAttributes: attrs, Subject: "order.created" }), source)).toBe("order.paid");
    expect(notificationEventType(msg({ Subject: "order.created" }), source)).toBe("order.created");
    expect(notificationEventType(msg({ Subject: "Not a valid event type!" }), source)).toBe("sns.default");
    expect(notificationEventType(msg({ MessageAttributes: { event_type: { Type: "Binary", Value: "b3JkZXI" } } }), source)).toBe("sns.default");
    expect(notificationEventType(msg({ MessageAttributes: { other: { Type: "String", Value: "x.y" } } }), { ...source, eventTypeAttribute: null })).toBe(
      "sns.default",
    );
    expect(notificationEventType(msg({ Subject: "no good!" }), { ...source, eventType: null })).toBeNull();
  });

  it("reads the subscription ARN from a ConfirmSubscriptionResponse", () => {
    const xml = `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <ConfirmSubscriptionResult>
    <SubscriptionArn>arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55</SubscriptionArn>
  </ConfirmSubscriptionResult>
  <ResponseMetadata><RequestId>075ecce8-8dac-11e1-bf80-f781d96e9307</RequestId></ResponseMetadata>
</ConfirmSubscriptionResponse>`;
    expect(parseConfirmSubscriptionArn(xml)).toBe("arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55");
    expect(parseConfirmSubscriptionArn("<Error><Code>InvalidParameter</Code></Error>")).toBeNull();
    expect(parseConfirmSubscriptionArn("<SubscriptionArn>pending confirmation</SubscriptionArn>")).toBeNull();
  });
});

describe("which messages a source takes (state and age)", () => {
  const OWN = "arn:aws:sns:us-east-1:123456789012:own";
  const OTHER = "arn:aws:sns:us-east-1:210987654321:other";
  /** null = taken; otherwise the error code and a piece of the reason. */
  const verdict = (fn: () => void): string | null => {
    try {
      fn();
      return null;
    } catch (err) {
      if (!(err instanceof SnsVerificationError)) throw err;
      return `${err.code}: ${err.reason}`;
    }
  };
  it.each([
    // status, source topic, message type, message topic, verdict
    ["pending_confirmation", null, "SubscriptionConfirmation", OTHER, null],
    ["pending_confirmation", null, "Notification", OTHER, "forbidden: the source is pending_confirmation and has no topic_arn"],
    ["pending_confirmation", null, "UnsubscribeConfirmation", OTHER, "forbidden: the source is pending_confirmation"],
    ["pending_confirmation", OWN, "SubscriptionConfirmation", OWN, null],
    ["pending_confirmation", OWN, "SubscriptionConfirmation", OTHER, "invalid_signature: TopicArn is not this source's topic"],
    ["pending_confirmation", OWN, "Notification", OWN, null],
    ["pending_confirmation", OWN, "Notification", OTHER, "invalid_signature: TopicArn"],
    ["confirmed", OWN, "Notification", OWN, null],
    ["confirmed", OWN, "Notification", OTHER, "invalid_signature: TopicArn"],
    ["confirmed", null, "Notification", OTHER, null], // the owner cleared topic_arn after confirmation
    ["unsubscribed", OWN, "SubscriptionConfirmation", OWN, null],
    ["unsubscribed", OWN, "Notification", OWN, null],
    ["unsubscribed", null, "Notification", OTHER, "forbidden: the source is unsubscribed"],
  ] as const)("%s source, topic %s: %s from %s → %s", (status, topicArn, type, msgTopic, expected) => {
    const got = verdict(() => checkSourceAccepts({ Type: type, TopicArn: msgTopic }, { status, topicArn }));
    if (expected === null) expect(got).toBeNull();
    else expect(got).toContain(expected);
  });

  const NOW = Date.parse("2026-12-04T12:00:00.000Z");
  it.each([
    ["2026-12-04T12:00:00.000Z", null],
    ["2026-12-04T11:00:00.000Z", null], // exactly 1 h
    ["2026-12-04T10:59:59.999Z", "forbidden: message is older than 1 h"],
    ["2026-11-01T12:00:00.000Z", "older than 1 h"],
    ["2026-12-04T12:05:00.000Z", null], // 5 min of clock skew
    ["2026-12-04T12:05:00.001Z", "forbidden: Timestamp is in the future"],
    ["2026-12-04T11:30:00Z", null],
    ["2026-12-04 11:30:00Z", "not an ISO 8601 UTC time"],
    ["2026-12-04T11:30:00+01:00", "not an ISO 8601 UTC time"],
    ["yesterday", "not an ISO 8601 UTC time"],
    ["", "not an ISO 8601 UTC time"],
  ])("Timestamp %j → %s", (timestamp, expected) => {
    const got = verdict(() => checkMessageAge({ Timestamp: timestamp }, NOW));
    if (expected === null) expect(got).toBeNull();
    else expect(got).toContain(expected);
    expect(SNS_MAX_MESSAGE_AGE_MS).toBe(3_600_000);
  });
});
