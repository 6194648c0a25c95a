// Failing endpoints end to end: a real `wrangler dev`, the aws-ses-v2-local SES emulator, a loopback Slack
// receiver and loopback webhook receivers. Warn → disable → one email and one Slack message each, never
// repeated; enable + retry-failed delivers every held and failed event once; 410 disables at once; a
// Slack channel answering 500 is retried on the next cron run with its error in /v1/notifications.
import type { Server } from "node:http";
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok200, startReceiver, type Receiver, type ReceivedRequest } from "./support/receiver";
import { freePort, startWorker, waitFor, type RunningWorker } from "./support/worker";

interface SesEmail {
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

let worker: RunningWorker;
let ses: { url: string; server: Server };
let slack: Receiver; // answers like Slack: 200 "ok"
let hooks: Receiver; // the failing webhook receiver
const hookAnswers = new Map<string, number>(); // path prefix → status to answer

const fail = (status: number) => (_req: ReceivedRequest, _i: number, res: ServerResponse) => {
  res.writeHead(status, { "content-type": "text/plain" });
  res.end(status === 200 ? "ok" : "nope");
};

async function startSes(): Promise<{ url: string; server: Server }> {
  const mod = (await import("aws-ses-v2-local")) as unknown as { default?: (c: object) => Promise<Server> };
  const start = (mod.default ?? (mod as unknown as (c: object) => Promise<Server>)) as (c: object) => Promise<Server>;
  const port = await freePort();
  const server = await start({ port, host: "127.0.0.1" });
  return { url: `http://127.0.0.1:${port}`, server };
}

async function emailsTo(address: string): Promise<SesEmail[]> {
  const res = await fetch(`${ses.url}/store`);
  const store = (await res.json()) as { emails: SesEmail[] };
  return store.emails.filter((e) => e.destination.to.includes(address));
}

function slackMessagesAt(path: string): Array<{ text: string; blocks: any[] }> {
  return slack.received.filter((r) => r.path === path).map((r) => JSON.parse(r.body));
}

async function api(method: string, path: string, body?: unknown) {
  const res = await worker.api(method, path, body);
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${res.text}`);
  return res.json;
}

/** An endpoint whose receiver path is answered by `hookAnswers`, subscribed to everything. */
async function failingEndpoint(owner: string, status: number) {
  const path = `/${owner}`;
  hookAnswers.set(path, status);
  const ep = await api("POST", "/v1/endpoints", {
    url: `${hooks.url}${path}`,
    owner_id: owner,
    timeout_ms: 2000,
    retry: { strategy: "constant", max_attempts: 2, delay_s: 1, jitter: false },
  });
  await api("POST", "/v1/subscriptions", { endpoint_id: ep.id, event_types: ["*"] });
  return { id: ep.id as string, path };
}

async function sendEvent(owner: string, n: number): Promise<string> {
  const res = await api("POST", "/v1/events", { owner_id: owner, event_type: "order.created", payload: { n } });
  return res.id as string;
}

async function deliveriesOf(endpointId: string, status?: string): Promise<any[]> {
  const qs = new URLSearchParams({ endpoint_id: endpointId, limit: "500", ...(status ? { status } : {}) });
  return (await api("GET", `/v1/deliveries?${qs}`)).data;
}

const endpoint = (id: string) => api("GET", `/v1/endpoints/${id}`);

beforeAll(async () => {
  [ses, slack, hooks] = await Promise.all([startSes(), startReceiver(ok200), startReceiver()]);
  hooks.respondWith((req, i, res) => {
    const prefix = [...hookAnswers.keys()].find((p) => req.path.startsWith(p));
    return fail(prefix ? hookAnswers.get(prefix)! : 404)(req, i, res);
  });
  worker = await startWorker({
    vars: {
      FAILURE_WARN_AFTER: "2",
      FAILURE_DISABLE_AFTER: "4",
      FAILURE_DISABLE_MIN_SECONDS: "0",
      SES_REGION: "us-east-1",
      SES_FROM: "hookrelay@example.test",
      SES_ENDPOINT: ses.url,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    },
  });
});

afterAll(async () => {
  await worker?.stop();
  await Promise.all([slack?.close(), hooks?.close(), new Promise((r) => (ses ? ses.server.close(r) : r(undefined)))]);
});

describe("failing endpoint notifications", () => {
  const OWNER = "fn-acme";
  const EMAIL = "ops@fn-acme.test";
  const SLACK_PATH = "/services/T0ACME/B0ACME/acmesecret";
  let ep: { id: string; path: string };
  const eventIds: string[] = [];

  it("warns, then disables; the cron sends exactly one warning and one disable notice per channel", async () => {
    await api("POST", "/v1/notification-channels", { type: "email", to: [EMAIL], owner_id: OWNER });
    const slackChannel = await api("POST", "/v1/notification-channels", { type: "slack", webhook_url: `${slack.url}${SLACK_PATH}`, owner_id: OWNER });
    expect(slackChannel.webhook_url).not.toContain("acmesecret");
    ep = await failingEndpoint(OWNER, 500);

    // One event, two failed attempts (its policy's max): the warning threshold, not yet disabled.
    eventIds.push(await sendEvent(OWNER, 1));
    await waitFor(async () => (await deliveriesOf(ep.id, "failed")).length === 1, 30_000);
    expect((await endpoint(ep.id)).status).toBe("active");
    await worker.runCron();
    await waitFor(async () => (await emailsTo(EMAIL)).length >= 1 && slackMessagesAt(SLACK_PATH).length >= 1, 15_000);
    let emails = await emailsTo(EMAIL);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.from).toBe("hookrelay@example.test");
    expect(emails[0]!.subject).toContain(`Endpoint ${ep.id} is failing`);
    expect(emails[0]!.body.text).toContain("Owner: fn-acme");
    expect(emails[0]!.body.text).toContain("Last status: 500");
    expect(emails[0]!.body.text).toContain(`${worker.url}/#/endpoints/${ep.id}`);

    // A second event fails twice more: four consecutive failures disable the endpoint.
    eventIds.push(await sendEvent(OWNER, 2));
    await waitFor(async () => (await endpoint(ep.id)).status === "disabled", 30_000);
    expect((await endpoint(ep.id)).disabled_reason).toBe("consecutive_failures");
    await worker.runCron();
    await waitFor(async () => (await emailsTo(EMAIL)).length >= 2 && slackMessagesAt(SLACK_PATH).length >= 2, 15_000);

    emails = await emailsTo(EMAIL);
    expect(emails.map((e) => e.subject)).toEqual([
      expect.stringContaining("is failing"),
      expect.stringContaining("was disabled after 4 consecutive failures"),
    ]);
    const messages = slackMessagesAt(SLACK_PATH);
    expect(messages).toHaveLength(2);
    expect(messages[0]!.text).toContain("is failing");
    expect(messages[1]!.text).toContain("was disabled");
    for (const m of messages) {
      const blocks = JSON.stringify(m.blocks);
      for (const fact of [ep.id, "fn-acme", "Consecutive failures", "Last status", "Last error", `#/endpoints/${ep.id}`]) {
        expect(blocks).toContain(fact);
      }
    }
  });

  it("does not repeat notices on further cron runs or further failures", async () => {
    // Events for a disabled endpoint are held, not attempted.
    eventIds.push(await sendEvent(OWNER, 3), await sendEvent(OWNER, 4));
    await waitFor(async () => (await deliveriesOf(ep.id, "held")).length >= 2, 30_000);
    await worker.runCron();
    await worker.runCron();
    expect(await emailsTo(EMAIL)).toHaveLength(2);
    expect(slackMessagesAt(SLACK_PATH)).toHaveLength(2);
    const log = (await api("GET", `/v1/notifications?endpoint_id=${ep.id}`)).data;
    expect(log).toHaveLength(4);
    expect(log.every((n: any) => n.status === "sent" && n.sent_at && n.error === null)).toBe(true);
    expect(log.map((n: any) => n.kind).sort()).toEqual(["endpoint.disabled", "endpoint.disabled", "endpoint.failing", "endpoint.failing"]);
  });

  it("after the receiver is fixed, enable + retry-failed delivers every failed and held event exactly once", async () => {
    const failed = await deliveriesOf(ep.id, "failed");
    const held = await deliveriesOf(ep.id, "held");
    expect(failed.length + held.length).toBe(eventIds.length);

    hookAnswers.set(ep.path, 200);
    const fixedAt = hooks.received.length;
    expect((await worker.api("POST", `/v1/endpoints/${ep.id}/enable`)).status).toBe(200);
    const started = await worker.api("POST", `/v1/endpoints/${ep.id}/retry-failed`, {});
    expect(started.status, started.text).toBe(202);
    expect(started.json.count).toBe(eventIds.length);

    const job = await waitFor(async () => {
      const j = await api("GET", `/v1/jobs/${started.json.job_id}`);
      return j.status === "completed" ? j : null;
    }, 30_000);
    expect(job).toMatchObject({ total: eventIds.length, done: eventIds.length });

    await waitFor(async () => (await deliveriesOf(ep.id, "succeeded")).length === eventIds.length, 30_000);
    // A duplicate would be work the endpoint's object holds before a marker sent now (events queue → fanout →
    // the same EndpointDO, which sends in order): once the marker has arrived, any duplicate has too.
    const marker = await worker.api("POST", `/v1/endpoints/${ep.id}/test`, { payload: { marker: true } });
    expect(marker.status, marker.text).toBe(202);
    const markerId = marker.json.event_id as string;
    await waitFor(async () => hooks.received.some((r) => r.path === ep.path && r.headers["webhook-id"] === markerId), 30_000);
    const delivered = hooks.received.slice(fixedAt).filter((r) => r.path === ep.path && r.headers["webhook-id"] !== markerId);
    const byId = new Map<string, number>();
    for (const r of delivered) byId.set(r.headers["webhook-id"]!, (byId.get(r.headers["webhook-id"]!) ?? 0) + 1);
    expect([...byId.keys()].sort()).toEqual([...eventIds].sort());
    expect([...byId.values()].every((n) => n === 1)).toBe(true);
  });

  it("a new failure episode after the fix is warned about again, once", async () => {
    hookAnswers.set(ep.path, 500);
    await sendEvent(OWNER, 5);
    await waitFor(async () => (await deliveriesOf(ep.id, "failed")).length === 1, 30_000);
    await worker.runCron();
    await worker.runCron();
    await waitFor(async () => (await emailsTo(EMAIL)).length >= 3, 15_000);
    const emails = await emailsTo(EMAIL);
    expect(emails.map((e) => e.subject)).toEqual([
      expect.stringContaining("is failing"),
      expect.stringContaining("was disabled"),
      expect.stringContaining("is failing"),
    ]);
    expect(slackMessagesAt(SLACK_PATH)).toHaveLength(3);
    const warnings = (await api("GET", `/v1/notifications?endpoint_id=${ep.id}&kind=endpoint.failing`)).data;
    expect(warnings.map((n: any) => n.episode).sort()).toEqual([1, 1, 2, 2]);
  });
});

describe("410 Gone and a failing Slack channel", () => {
  const OWNER = "fn-gone";
  const EMAIL = "ops@fn-gone.test";
  const SLACK_PATH = "/services/T0GONE/B0GONE/gonesecret";
  let slackAnswer = 500;

  it("disables at once on 410 and notifies once; a Slack channel answering 500 is retried next run with its error logged", async () => {
    slack.respondWith((req, _i, res) => {
      if (req.path === SLACK_PATH && slackAnswer !== 200) {
        res.writeHead(slackAnswer, { "content-type": "text/plain" });
        res.end("internal_error");
        return;
      }
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
    await api("POST", "/v1/notification-channels", { type: "email", to: [EMAIL], owner_id: OWNER });
    const channel = await api("POST", "/v1/notification-channels", { type: "slack", webhook_url: `${slack.url}${SLACK_PATH}`, owner_id: OWNER });
    const ep = await failingEndpoint(OWNER, 410);

    await sendEvent(OWNER, 1);
    await waitFor(async () => (await endpoint(ep.id)).status === "disabled", 30_000);
    const row = await endpoint(ep.id);
    expect(row.disabled_reason).toBe("gone_410");
    expect(hooks.received.filter((r) => r.path === ep.path)).toHaveLength(1); // no retry after 410
    await waitFor(async () => (await deliveriesOf(ep.id, "failed")).length === 1, 15_000);

    await worker.runCron();
    await waitFor(async () => (await emailsTo(EMAIL)).length >= 1, 15_000);
    const emails = await emailsTo(EMAIL);
    expect(emails.map((e) => e.subject)).toEqual([expect.stringContaining("410 Gone")]); // no warning: 1 failure < 2

    let log = (await api("GET", `/v1/notifications?channel_id=${channel.id}`)).data;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ kind: "endpoint.disabled", status: "failed", sent_at: null, tries: 1 });
    expect(log[0].error).toContain("500");
    expect(log[0].error).toContain("internal_error");

    slackAnswer = 200;
    await worker.runCron();
    log = (await api("GET", `/v1/notifications?channel_id=${channel.id}`)).data;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status: "sent", error: null, tries: 2 });
    expect(slack.received.filter((r) => r.path === SLACK_PATH)).toHaveLength(2);
    expect(await emailsTo(EMAIL)).toHaveLength(1);

    // The test route sends now through the (now healthy) channel and logs it.
    const tested = await api("POST", `/v1/notification-channels/${channel.id}/test`);
    expect(tested).toMatchObject({ kind: "test", status: "sent" });
    expect(slack.received.filter((r) => r.path === SLACK_PATH)).toHaveLength(3);
  });
});
