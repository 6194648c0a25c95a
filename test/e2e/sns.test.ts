// AWS SNS source end to end: a real `wrangler dev` trusting a loopback "SNS" (SNS_TEST_CERT_URL_PREFIX),
// real RSA-signed messages of all three types in both signature versions, delivery to a loopback receiver,
// and every refusal checked for "nothing fetched, nothing ingested".
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";
import { startReceiver, type Receiver } from "./support/receiver";
import {
  createTestCertificate,
  notification,
  signEnvelope,
  startFakeSns,
  subscriptionConfirmation,
  TOPIC_ARN,
  unsubscribeConfirmation,
  type FakeSns,
  type SnsEnvelope,
  type TestCertificate,
} from "./support/sns-fixtures";

const OWNER = "sns-owner";
const OTHER_TOPIC = "arn:aws:sns:us-east-1:210987654321:someone-elses-topic";

let worker: RunningWorker;
let receiver: Receiver;
let cert: TestCertificate;
let sns: FakeSns; // under SNS_TEST_CERT_URL_PREFIX
let offPrefix: FakeSns; // the same certificate on another loopback port: must never be fetched

beforeAll(async () => {
  cert = createTestCertificate();
  [sns, offPrefix, receiver] = await Promise.all([startFakeSns(cert), startFakeSns(cert), startReceiver()]);
  worker = await startWorker({ vars: { SNS_TEST_CERT_URL_PREFIX: `${sns.url}/` } });
  const ep = await worker.api("POST", "/v1/endpoints", { url: `${receiver.url}/${OWNER}`, owner_id: OWNER });
  expect(ep.status, ep.text).toBe(201);
  const sub = await worker.api("POST", "/v1/subscriptions", { endpoint_id: ep.json.id, event_types: ["*"] });
  expect(sub.status, sub.text).toBe(201);
});
afterAll(async () => {
  await worker?.stop();
  await Promise.all([sns?.close(), offPrefix?.close(), receiver?.close()]);
});

// --- sources -------------------------------------------------------------------------------------------

interface SourceInput {
  type?: "sns" | "websocket";
  event_type?: string;
  event_type_attribute?: string;
  topic_arn?: string;
}

/**
 * Creates a source through POST /v1/sources. Documented fallback while that route is not built (another
 * issue): the row is written straight into the worker's local D1 with the columns the route would write.
 */
async function createSource(input: SourceInput = {}): Promise<string> {
  const body = { type: "sns", name: `sns ${randomUUID().slice(0, 8)}`, owner_id: OWNER, ...input };
  const res = await worker.api("POST", "/v1/sources", body);
  if (res.status === 201) {
    if (body.type === "sns") {
      expect(res.json).toMatchObject({ status: "pending_confirmation", ingest_url: expect.stringContaining(`/ingest/sns/${res.json.id}`) });
    }
    return res.json.id;
  }
  expect(res.status, `POST /v1/sources answered ${res.status} ${res.text}`).toBe(404);
  const id = `src_${randomBytes(13).toString("hex")}`;
  const now = Date.now();
  const q = (v: string | undefined) => (v === undefined ? "NULL" : `'${v.replaceAll("'", "''")}'`);
  worker.sql(
    "INSERT INTO sources (id, type, name, owner_id, event_type, event_type_attribute, token_version, status, topic_arn, created_at, updated_at) " +
      `VALUES (${q(id)}, ${q(body.type)}, ${q(body.name)}, ${q(OWNER)}, ${q(input.event_type)}, ${q(input.event_type_attribute)}, 1, ` +
      `${q(body.type === "sns" ? "pending_confirmation" : "active")}, ${q(input.topic_arn)}, ${now}, ${now})`,
  );
  return id;
}

interface SourceState {
  status: string;
  topic_arn: string | null;
  subscription_arn: string | null;
}

async function readSource(id: string): Promise<SourceState> {
  const res = await worker.api("GET", `/v1/sources/${id}`);
  if (res.status === 200) return { status: res.json.status, topic_arn: res.json.topic_arn ?? null, subscription_arn: res.json.subscription_arn ?? null };
  const rows = worker.sql(`SELECT status, topic_arn, subscription_arn FROM sources WHERE id = '${id}'`) as SourceState[];
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

// --- posting -----------------------------------------------------------------------------------------

async function post(sourceId: string, body: SnsEnvelope | Record<string, unknown>) {
  // As SNS sends it: JSON in a text/plain body, with its own headers.
  const res = await fetch(`${worker.url}/ingest/sns/${sourceId}`, {
    method: "POST",
    headers: {
      "content-type": "text/plain; charset=UTF-8",
      "x-amz-sns-message-type": String(body.Type),
      "x-amz-sns-message-id": String(body.MessageId),
      "x-amz-sns-topic-arn": String(body.TopicArn),
      "user-agent": "Amazon Simple Notification Service Agent",
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, contentType: res.headers.get("content-type") ?? "" };
}

function expectRefused(res: Awaited<ReturnType<typeof post>>, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.contentType).toContain("application/problem+json");
  expect(res.json.code).toBe(code);
}

const delivered = () => receiver.received.filter((r) => r.path === `/${OWNER}`);

/**
 * Waits until every event id has reached the receiver. On a timeout it says where each missing event
 * stopped (events and deliveries API, worker log): the pipeline after accept() is not this route's.
 */
async function awaitDelivered(ids: string[], timeoutMs = 60_000) {
  try {
    return await waitFor(async () => {
      const hits = ids.map((id) => delivered().find((r) => r.headers["webhook-id"] === id));
      return hits.every(Boolean) ? hits.map((h) => h!) : undefined;
    }, timeoutMs);
  } catch (err) {
    const missing = ids.filter((id) => !delivered().some((r) => r.headers["webhook-id"] === id));
    const states = await Promise.all(
      missing.map(async (id) => {
        const event = await worker.api("GET", `/v1/events/${id}`);
        const deliveries = await worker.api("GET", `/v1/deliveries?event_id=${id}`);
        return `${id}: GET event ${event.status} ${event.text.slice(0, 800)}\n  GET deliveries ${deliveries.status} ${deliveries.text.slice(0, 800)}`;
      }),
    );
    throw new Error(`accepted but not delivered (${String(err)}):\n${states.join("\n")}\nworker log tail:\n${worker.logs.join("").slice(-3000)}`);
  }
}

/** Sends a valid notification and waits until it arrives: every earlier accepted event has had its chance. */
async function sentinel(sourceId: string): Promise<string> {
  const msg = signEnvelope(notification({ certUrl: sns.certUrl("sentinel"), message: JSON.stringify({ sentinel: randomUUID() }) }), cert.privateKey);
  const res = await post(sourceId, msg);
  expect(res.status, res.text).toBe(200);
  await awaitDelivered([res.json.id]);
  return res.json.id;
}

// --- tests -------------------------------------------------------------------------------------------

describe("SNS subscription lifecycle", () => {
  it.each(["1", "2"])("confirms a SubscriptionConfirmation (SignatureVersion %s) exactly once, redelivered or not", async (version) => {
    const source = await createSource({ event_type: "sns.message" });
    const name = `confirm-v${version}`;
    const msg = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl(name), subscribeUrl: sns.subscribeUrl(name) }), cert.privateKey, { version });

    const first = await post(source, msg);
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({ status: "confirmed", subscription_arn: sns.subscriptionArnFor(name) });
    expect(sns.hits(`/confirm/${name}`)).toBe(1);
    expect(sns.hits(`/certs/${name}.pem`)).toBe(1);

    // SNS redelivers the same message (say our 200 was lost): answered 200, not fetched again.
    const again = await post(source, msg);
    expect(again.status, again.text).toBe(200);
    expect(sns.hits(`/confirm/${name}`)).toBe(1);

    expect(await readSource(source)).toEqual({ status: "confirmed", topic_arn: TOPIC_ARN, subscription_arn: sns.subscriptionArnFor(name) });
  });

  it("marks the source unsubscribed on an UnsubscribeConfirmation, fetching nothing", async () => {
    const source = await createSource({ event_type: "sns.message" });
    const sub = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl("u1"), subscribeUrl: sns.subscribeUrl("u1") }), cert.privateKey);
    expect((await post(source, sub)).status).toBe(200);
    const unsub = signEnvelope(unsubscribeConfirmation({ certUrl: sns.certUrl("u1"), subscribeUrl: sns.subscribeUrl("resubscribe") }), cert.privateKey, {
      version: "1",
    });
    const res = await post(source, unsub);
    expect(res.status, res.text).toBe(200);
    expect(res.json.status).toBe("unsubscribed");
    expect(sns.hits("/confirm/resubscribe")).toBe(0);
    expect((await readSource(source)).status).toBe("unsubscribed");

    // Subscribing again later sends a new confirmation, which is confirmed (once) like the first.
    const resub = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl("u1"), subscribeUrl: sns.subscribeUrl("u2") }), cert.privateKey);
    expect((await post(source, resub)).status).toBe(200);
    expect((await post(source, resub)).status).toBe(200);
    expect(sns.hits("/confirm/u2")).toBe(1);
    expect(await readSource(source)).toMatchObject({ status: "confirmed", subscription_arn: sns.subscriptionArnFor("u2") });

    // A late redelivery of the old unsubscription does not end the new subscription.
    const stale = await post(source, unsub);
    expect(stale.status, stale.text).toBe(200);
    expect((await readSource(source)).status).toBe("confirmed");
  });

  it("pins the first confirmed topic: another topic is refused before anything is fetched", async () => {
    const source = await createSource({ event_type: "sns.message" });
    const ok = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl("pin"), subscribeUrl: sns.subscribeUrl("pin") }), cert.privateKey);
    expect((await post(source, ok)).status).toBe(200);
    const foreign = signEnvelope(
      subscriptionConfirmation({ topicArn: OTHER_TOPIC, certUrl: sns.certUrl("pin-foreign"), subscribeUrl: sns.subscribeUrl("pin-foreign") }),
      cert.privateKey,
    );
    expectRefused(await post(source, foreign), 403, "invalid_signature");
    expect(sns.hits("/certs/pin-foreign.pem")).toBe(0);
    expect(sns.hits("/confirm/pin-foreign")).toBe(0);
    expect((await readSource(source)).topic_arn).toBe(TOPIC_ARN);
  });

  it("refuses a message from another topic when the source was created with a topic_arn", async () => {
    const source = await createSource({ event_type: "sns.message", topic_arn: TOPIC_ARN });
    const foreign = signEnvelope(
      subscriptionConfirmation({ topicArn: OTHER_TOPIC, certUrl: sns.certUrl("preset"), subscribeUrl: sns.subscribeUrl("preset") }),
      cert.privateKey,
    );
    expectRefused(await post(source, foreign), 403, "invalid_signature");
    expect(sns.hits("/certs/preset.pem") + sns.hits("/confirm/preset")).toBe(0);
    expect((await readSource(source)).status).toBe("pending_confirmation");
  });
});

describe("refusals: nothing fetched, nothing ingested", () => {
  let source: string;
  const before = { received: 0 };
  beforeAll(async () => {
    // The owner names the topic, so the source takes that topic's Notifications while still pending and
    // each refusal below is about the message itself (a source without a topic refuses them earlier).
    source = await createSource({ event_type: "sns.refused", topic_arn: TOPIC_ARN });
    before.received = delivered().length;
  });

  it("answers 404 for an unknown source id and for a WebSocket source, fetching nothing", async () => {
    const ws = await createSource({ type: "websocket" });
    for (const id of ["src_doesnotexist0000000000000", ws]) {
      const msg = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl(`unknown-${id}`), subscribeUrl: sns.subscribeUrl(`unknown-${id}`) }), cert.privateKey);
      expectRefused(await post(id, msg), 404, "not_found");
      expect(sns.hits(`/certs/unknown-${id}.pem`) + sns.hits(`/confirm/unknown-${id}`)).toBe(0);
    }
  });

  it.each(["1", "2"])("refuses a tampered Message (SignatureVersion %s) and never visits its SubscribeURL", async (version) => {
    const name = `tampered-v${version}`;
    const msg = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl(name), subscribeUrl: sns.subscribeUrl(name) }), cert.privateKey, { version });
    expectRefused(await post(source, { ...msg, Message: `${msg.Message} (edited)` }), 403, "invalid_signature");
    const note = signEnvelope(notification({ certUrl: sns.certUrl(name), message: '{"amount":1}', subject: "order.paid" }), cert.privateKey, { version });
    expectRefused(await post(source, { ...note, Message: '{"amount":1000000}' }), 403, "invalid_signature");
    expect(sns.hits(`/confirm/${name}`)).toBe(0);
  });

  it("refuses fields signed in the wrong order", async () => {
    const order = ["Type", "TopicArn", "Token", "Timestamp", "SubscribeURL", "MessageId", "Message", "Subject"];
    const msg = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl("order"), subscribeUrl: sns.subscribeUrl("order") }), cert.privateKey, { order });
    expectRefused(await post(source, msg), 403, "invalid_signature");
    const note = signEnvelope(notification({ certUrl: sns.certUrl("order"), message: "x", subject: "a.b" }), cert.privateKey, { version: "1", order });
    expectRefused(await post(source, note), 403, "invalid_signature");
    expect(sns.hits("/confirm/order")).toBe(0);
  });

  it("refuses certificate URLs on another host or over http, without fetching them", async () => {
    const urls = [
      offPrefix.certUrl("elsewhere"), // loopback, but not under the test prefix: would be fetchable
      "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem", // http
      "https://sns.us-east-1.amazonaws.com.evil.test/SimpleNotificationService-0000.pem", // look-alike host
      "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.txt", // not .pem
    ];
    for (const certUrl of urls) {
      const msg = signEnvelope(subscriptionConfirmation({ certUrl, subscribeUrl: sns.subscribeUrl("badcert") }), cert.privateKey);
      const res = await post(source, msg);
      expectRefused(res, 403, "invalid_signature");
      expect(res.json.detail).toContain("SigningCertURL");
    }
    expect(offPrefix.receiver.received).toHaveLength(0);
    expect(sns.hits("/confirm/badcert")).toBe(0);
  });

  it("refuses a SubscribeURL off the SNS hosts before fetching anything", async () => {
    const msg = signEnvelope(
      subscriptionConfirmation({ certUrl: sns.certUrl("badsub"), subscribeUrl: `${offPrefix.url}/confirm/badsub` }),
      cert.privateKey,
    );
    const res = await post(source, msg);
    expectRefused(res, 403, "invalid_signature");
    expect(res.json.detail).toContain("SubscribeURL");
    expect(sns.hits("/certs/badsub.pem")).toBe(0);
    expect(offPrefix.receiver.received).toHaveLength(0);
  });

  it.each(["3", "", "SHA256"])("refuses SignatureVersion %j without fetching the certificate", async (version) => {
    const name = `version-${version || "empty"}`;
    const msg = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl(name), subscribeUrl: sns.subscribeUrl(name) }), cert.privateKey, { version });
    const res = await post(source, msg);
    expectRefused(res, 403, "invalid_signature");
    expect(res.json.detail).toContain("SignatureVersion");
    expect(sns.hits(`/certs/${name}.pem`) + sns.hits(`/confirm/${name}`)).toBe(0);
  });

  it("refuses a signature by a key other than the certificate's", async () => {
    const impostor = createTestCertificate();
    const msg = signEnvelope(notification({ certUrl: sns.certUrl("impostor"), message: '{"forged":true}' }), impostor.privateKey);
    expectRefused(await post(source, msg), 403, "invalid_signature");
  });

  it("answers 400 to a body that is not JSON, 413 to an oversize body and 403 to JSON that is not an SNS message", async () => {
    const bad = await fetch(`${worker.url}/ingest/sns/${source}`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{nope" });
    expect(bad.status).toBe(400);
    const huge = await fetch(`${worker.url}/ingest/sns/${source}`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ Type: "Notification", Message: "x".repeat(1_200_000) }),
    });
    expect(huge.status).toBe(413);
    expectRefused(await post(source, { Type: "Notification", Message: "unsigned" }), 403, "invalid_signature");
  });

  it("logs each refusal with its reason", async () => {
    const messageId = randomUUID();
    const msg = signEnvelope(notification({ messageId, certUrl: sns.certUrl("logged"), message: "x" }), cert.privateKey, { version: "7" });
    expectRefused(await post(source, msg), 403, "invalid_signature");
    await waitFor(async () => worker.logs.join("").includes(messageId), 10_000);
    const line = worker.logs.join("").split("\n").find((l) => l.includes(messageId))!;
    expect(line).toContain("sns message refused");
    expect(line).toContain("unsupported SignatureVersion");
  });

  it("left the source pending and ingested none of the refused messages (the sentinel comes from the owner's topic)", async () => {
    expect((await readSource(source)).status).toBe("pending_confirmation");
    const sentinelId = await sentinel(source);
    const since = delivered().slice(before.received);
    // Only the sentinel came through this source; no refused payload ever reached the receiver.
    expect(since.filter((r) => r.headers["hookrelay-event-type"] === "sns.refused").map((r) => r.headers["webhook-id"])).toEqual([sentinelId]);
    expect(delivered().some((r) => r.body.includes("1000000") || r.body.includes("forged"))).toBe(false);
  });
});

describe("notifications become events", () => {
  let source: string;
  beforeAll(async () => {
    source = await createSource({ event_type: "sns.default", event_type_attribute: "event_type" });
    const sub = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl("events"), subscribeUrl: sns.subscribeUrl("events") }), cert.privateKey);
    expect((await post(source, sub)).status).toBe(200);
  });

  it.each(["1", "2"])("delivers notifications signed with SignatureVersion %s, typed by attribute, Subject or default", async (version) => {
    const certUrl = sns.certUrl(`events-v${version}`);
    const cases = [
      { msg: notification({ certUrl, message: JSON.stringify({ order: `A-${version}`, total: 12.5 }), subject: "order.created", attributes: { event_type: { Type: "String", Value: "order.paid" } } }), type: "order.paid", payload: { order: `A-${version}`, total: 12.5 } },
      { msg: notification({ certUrl, message: JSON.stringify([1, 2, version]), subject: "order.created" }), type: "order.created", payload: [1, 2, version] },
      { msg: notification({ certUrl, message: `plain text v${version}`, subject: "Hello there!" }), type: "sns.default", payload: { message: `plain text v${version}` } },
    ];
    const ids: string[] = [];
    for (const c of cases) {
      const res = await post(source, signEnvelope(c.msg, cert.privateKey, { version }));
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({ ok: true, replayed: false, id: expect.stringMatching(/^evt_/) });
      ids.push(res.json.id);
    }
    const got = await awaitDelivered(ids);
    cases.forEach((c, i) => {
      expect(got[i]!.headers["hookrelay-event-type"]).toBe(c.type);
      expect(got[i]!.headers["hookrelay-owner-id"]).toBe(OWNER);
      expect(JSON.parse(got[i]!.body)).toEqual(c.payload);
    });
  });

  it("delivers an SNS redelivery of the same MessageId once", async () => {
    const msg = signEnvelope(notification({ certUrl: sns.certUrl("redelivery"), message: '{"once":true}', subject: "order.once" }), cert.privateKey);
    const first = await post(source, msg);
    const second = await post(source, msg);
    const third = await post(source, msg);
    expect(first.status, first.text).toBe(200);
    expect(first.json.replayed).toBe(false);
    for (const again of [second, third]) {
      expect(again.status, again.text).toBe(200);
      expect(again.json).toMatchObject({ id: first.json.id, replayed: true });
    }
    await sentinel(source);
    expect(delivered().filter((r) => r.headers["webhook-id"] === first.json.id)).toHaveLength(1);
  });

  it("answers 422 and ingests nothing when no event type applies", async () => {
    const bare = await createSource({ topic_arn: TOPIC_ARN });
    const msg = signEnvelope(notification({ certUrl: sns.certUrl("untyped"), message: '{"untyped":true}', subject: "not an event type!" }), cert.privateKey);
    const res = await post(bare, msg);
    expectRefused(res, 422, "validation_failed");
    await sentinel(source);
    expect(delivered().some((r) => r.body.includes("untyped"))).toBe(false);
  });
});

describe("before confirmation (issue 21)", () => {
  it("a source without topic_arn takes only a SubscriptionConfirmation until it is confirmed", async () => {
    const source = await createSource({ event_type: "sns.early" });
    // Anyone can subscribe this URL to their own topic: their genuinely signed messages must not count yet.
    const early = signEnvelope(notification({ topicArn: OTHER_TOPIC, certUrl: sns.certUrl("early-note"), message: '{"early":true}' }), cert.privateKey);
    const refused = await post(source, early);
    expectRefused(refused, 403, "forbidden");
    expect(refused.json.detail).toContain("only a SubscriptionConfirmation is accepted");
    const unsub = signEnvelope(unsubscribeConfirmation({ topicArn: OTHER_TOPIC, certUrl: sns.certUrl("early-unsub"), subscribeUrl: sns.subscribeUrl("early-unsub") }), cert.privateKey);
    expectRefused(await post(source, unsub), 403, "forbidden");
    // Refused before any fetch, and the source is untouched.
    expect(sns.hits("/certs/early-note.pem") + sns.hits("/certs/early-unsub.pem")).toBe(0);
    expect(await readSource(source)).toEqual({ status: "pending_confirmation", topic_arn: null, subscription_arn: null });

    // Once the owner's topic confirms, its Notifications become events; the early message's topic is refused.
    const confirm = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl("early-confirm"), subscribeUrl: sns.subscribeUrl("early-confirm") }), cert.privateKey);
    expect((await post(source, confirm)).status).toBe(200);
    expectRefused(await post(source, early), 403, "invalid_signature");
    const id = await sentinel(source);
    expect(delivered().find((r) => r.headers["webhook-id"] === id)!.headers["hookrelay-event-type"]).toBe("sns.early");
    expect(delivered().some((r) => r.body.includes('"early"'))).toBe(false);
  });

  it("a source whose owner set topic_arn confirms only that topic and takes its Notifications while pending", async () => {
    const source = await createSource({ event_type: "sns.preset", topic_arn: TOPIC_ARN });
    const foreign = signEnvelope(notification({ topicArn: OTHER_TOPIC, certUrl: sns.certUrl("preset-foreign"), message: '{"foreign":1}' }), cert.privateKey);
    expectRefused(await post(source, foreign), 403, "invalid_signature");
    expect(sns.hits("/certs/preset-foreign.pem")).toBe(0);
    const id = await sentinel(source);
    expect(delivered().find((r) => r.headers["webhook-id"] === id)!.headers["hookrelay-event-type"]).toBe("sns.preset");
    expect((await readSource(source)).status).toBe("pending_confirmation");
  });
});

describe("message age (issue 21)", () => {
  let source: string;
  beforeAll(async () => {
    source = await createSource({ event_type: "sns.age" });
    const sub = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl("age"), subscribeUrl: sns.subscribeUrl("age") }), cert.privateKey);
    expect((await post(source, sub)).status).toBe(200);
  });
  const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

  it("refuses and logs a genuinely signed Notification older than 1 h, or dated ahead of the clock, fetching nothing", async () => {
    for (const [name, timestamp, reason] of [
      ["age-old", at(-61 * 60_000), "older than 1 h"],
      ["age-future", at(10 * 60_000), "in the future"],
    ] as const) {
      const messageId = randomUUID();
      const msg = signEnvelope(notification({ messageId, timestamp, certUrl: sns.certUrl(name), message: `{"${name}":true}` }), cert.privateKey);
      const res = await post(source, msg);
      expectRefused(res, 403, "forbidden");
      expect(res.json.detail).toContain(reason);
      expect(sns.hits(`/certs/${name}.pem`)).toBe(0);
      await waitFor(async () => worker.logs.join("").includes(messageId), 10_000);
      const line = worker.logs.join("").split("\n").find((l) => l.includes(messageId))!;
      expect(line).toContain("sns message refused");
      expect(line).toContain(reason);
    }
    // Within the hour (SNS's retries end within 3,600 s) it is taken; the refused ones never arrived.
    const late = signEnvelope(notification({ timestamp: at(-50 * 60_000), certUrl: sns.certUrl("age-ok"), message: '{"late":true}' }), cert.privateKey);
    const ok = await post(source, late);
    expect(ok.status, ok.text).toBe(200);
    await awaitDelivered([ok.json.id]);
    expect(delivered().some((r) => r.body.includes("age-old") || r.body.includes("age-future"))).toBe(false);
  });

  it("refuses an old SubscriptionConfirmation without visiting its SubscribeURL", async () => {
    const fresh = await createSource({ event_type: "sns.age" });
    const msg = signEnvelope(
      subscriptionConfirmation({ timestamp: at(-2 * 3_600_000), certUrl: sns.certUrl("age-confirm"), subscribeUrl: sns.subscribeUrl("age-confirm") }),
      cert.privateKey,
    );
    expectRefused(await post(fresh, msg), 403, "forbidden");
    expect(sns.hits("/confirm/age-confirm") + sns.hits("/certs/age-confirm.pem")).toBe(0);
    expect((await readSource(fresh)).status).toBe("pending_confirmation");
  });
});

describe("bounded reads (issue 21)", () => {
  it("reads at most 16 KiB of a SubscribeURL answer that streams 512 MiB, and hangs up", async () => {
    const source = await createSource({ event_type: "sns.flood" });
    const msg = signEnvelope(subscriptionConfirmation({ certUrl: sns.certUrl("flood"), subscribeUrl: sns.floodUrl("confirm") }), cert.privateKey);
    const res = await post(source, msg);
    // Not a ConfirmSubscriptionResponse: confirmed without an ARN (SNS answered 200), as with any odd answer.
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ status: "confirmed", subscription_arn: null });
    const record = await waitFor(async () => (sns.floods.length === 1 && sns.floods[0]!.cutOff ? sns.floods[0] : undefined), 10_000);
    expect(record.finished).toBe(false);
    // The cap plus loopback socket buffers; an unbounded read would have taken all 512 MiB.
    expect(record.written).toBeLessThan(64 * 1024 * 1024);
  });
});
