// Slack sends against a real loopback receiver (the integration globalSetup's, scripted like Slack):
// `200 ok` is success; any other status or body is a failure whose text is logged; the cron sends once.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids";
import { runCron } from "../../src/notify/cron";
import { received, receiverUrl, script, uniqueKey } from "./delivery-fixtures";
import { call, createOwnerKey } from "./helpers";

const T0 = Date.parse("2026-11-29T12:00:00.000Z");

async function slackChannel(key: string, path: string) {
  const res = await call("POST", "/v1/notification-channels", { key, body: { type: "slack", webhook_url: receiverUrl(path) } });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

describe("Slack channels", () => {
  it("POST …/test posts text plus blocks and logs `sent` when Slack answers 200 ok", async () => {
    const key = await createOwnerKey("sl-ok");
    const path = uniqueKey("slack-ok");
    const id = await slackChannel(key, `${path}/services/T/B/x`);
    const res = await call("POST", `/v1/notification-channels/${id}/test`, { key });
    expect(res.json).toMatchObject({ kind: "test", status: "sent", error: null });
    expect(Date.parse(res.json.sent_at)).toBeGreaterThan(Date.now() - 60_000);
    const got = await received(path);
    expect(got).toHaveLength(1);
    expect(got[0]!.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(got[0]!.body);
    expect(body.text).toContain("Test notification");
    expect(body.blocks[0]).toMatchObject({ type: "header", text: { type: "plain_text" } });
    // The link falls back to the Worker's origin as seen when the channel was created.
    expect(body.text).toContain("Dashboard: http://hookrelay.test/");
  });

  it.each([
    [400, "invalid_payload"],
    [404, "channel_not_found"],
    [410, "channel_is_archived"],
    [200, "not quite ok"],
  ])("treats %i %s as a failure and logs Slack's answer", async (status, body) => {
    const key = await createOwnerKey(`sl-${status}`);
    const path = uniqueKey("slack-bad");
    await script(path, [{ status, body }]);
    const id = await slackChannel(key, path);
    const res = await call("POST", `/v1/notification-channels/${id}/test`, { key });
    expect(res.json.status).toBe("failed");
    expect(res.json.error).toBe(`Slack answered ${status}: ${body}`);
  });

  it("the cron sends an owed notice once and retries a failed one on the next run until Slack accepts it", async () => {
    const path = uniqueKey("slack-cron");
    await script(path, [{ status: 500, body: "internal_error" }, { status: 200, body: "ok" }]);
    const key = await createOwnerKey("sl-cron");
    const channelId = await slackChannel(key, path);
    const endpointId = newId("ep");
    await env.DB.prepare(
      `INSERT INTO endpoints (id, owner_id, url, secret_enc, timeout_ms, retry, status, disabled_reason, consecutive_failures,
         failing_since, failure_episode, last_status_code, last_error, created_at, updated_at)
       VALUES (?, 'sl-cron', 'https://receiver.example.test/hook', 'enc:v1:x:y:z', 10000, '{}', 'disabled', 'gone_410', 1, ?, 7, 410, 'HTTP 410', ?, ?)`,
    )
      .bind(endpointId, T0, T0, T0)
      .run();

    await runCron(env, { now: () => T0 });
    let log = (await call("GET", `/v1/notifications?channel_id=${channelId}`, { key })).json.data;
    expect(log).toMatchObject([{ kind: "endpoint.disabled", episode: 7, status: "failed", tries: 1, error: "Slack answered 500: internal_error" }]);

    await runCron(env, { now: () => T0 + 60_000 });
    await runCron(env, { now: () => T0 + 120_000 });
    log = (await call("GET", `/v1/notifications?channel_id=${channelId}`, { key })).json.data;
    expect(log).toMatchObject([{ status: "sent", tries: 2, error: null, sent_at: new Date(T0 + 60_000).toISOString() }]);
    const got = await received(path);
    expect(got).toHaveLength(2);
    const message = JSON.parse(got[1]!.body);
    expect(message.text).toContain("410 Gone");
    expect(JSON.stringify(message.blocks)).toContain(`http://hookrelay.test/#/endpoints/${endpointId}`);
  });

  it("when both are owed in one run, the warning goes out before the disable notice", async () => {
    const path = uniqueKey("slack-order");
    const key = await createOwnerKey("sl-order");
    await slackChannel(key, path);
    await env.DB.prepare(
      `INSERT INTO endpoints (id, owner_id, url, secret_enc, timeout_ms, retry, status, disabled_reason, consecutive_failures,
         failing_since, failure_episode, last_status_code, last_error, created_at, updated_at)
       VALUES (?, 'sl-order', 'https://receiver.example.test/hook', 'enc:v1:x:y:z', 10000, '{}', 'disabled', 'consecutive_failures', 20, ?, 1, 503, 'HTTP 503', ?, ?)`,
    )
      .bind(newId("ep"), T0, T0, T0)
      .run();
    await runCron(env, { now: () => T0 });
    const texts = (await received(path)).map((r) => JSON.parse(r.body).text as string);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain("is failing (20 consecutive failures)");
    expect(texts[1]).toContain("was disabled after 20 consecutive failures");
  });
});
