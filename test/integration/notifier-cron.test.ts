// The cron's notification step and retention pruning against local D1, with a frozen clock.
// Endpoint failure counters are written straight into D1, as the EndpointDO would write them.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids";
import { runCron } from "../../src/notify/cron";
import { pruneOlderThan } from "../../src/notify/retention";
import { MAX_NOTIFICATION_TRIES } from "../../src/notify/notifier";
import { call, createOwnerKey } from "./helpers";

const T0 = Date.parse("2026-11-29T12:00:00.000Z");
const clock = (ms: number) => ({ now: () => ms });
const DEAD_SLACK = "http://127.0.0.1:9/services/T/B/dead";

async function insertEndpoint(ownerId: string, counters: { failures: number; episode: number; status?: "active" | "disabled"; reason?: string | null }) {
  const id = newId("ep");
  await env.DB.prepare(
    `INSERT INTO endpoints (id, owner_id, url, secret_enc, timeout_ms, retry, status, disabled_reason, consecutive_failures,
       failing_since, failure_episode, last_status_code, last_error, created_at, updated_at)
     VALUES (?, ?, 'https://receiver.example.test/hook', 'enc:v1:x:y:z', 10000, '{}', ?, ?, ?, ?, ?, 500, 'HTTP 500', ?, ?)`,
  )
    .bind(id, ownerId, counters.status ?? "active", counters.reason ?? null, counters.failures, T0 - 60_000, counters.episode, T0, T0)
    .run();
  return id;
}

async function setCounters(id: string, set: { failures: number; episode: number; status: string; reason: string | null }) {
  await env.DB.prepare("UPDATE endpoints SET consecutive_failures = ?, failure_episode = ?, status = ?, disabled_reason = ? WHERE id = ?")
    .bind(set.failures, set.episode, set.status, set.reason, id)
    .run();
}

async function notificationsFor(endpointId: string) {
  const { results } = await env.DB.prepare(
    "SELECT channel_id, kind, episode, status, tries, error FROM notifications WHERE endpoint_id = ? ORDER BY kind, channel_id",
  )
    .bind(endpointId)
    .all<{ channel_id: string; kind: string; episode: number; status: string; tries: number; error: string | null }>();
  return results;
}

describe("cron: failure notifications", () => {
  it("owes one warning and one disable notice per channel and episode, to the owner's and global channels only", async () => {
    const mine = await call("POST", "/v1/notification-channels", { body: { type: "slack", webhook_url: DEAD_SLACK, owner_id: "cr-acme" } });
    const global = await call("POST", "/v1/notification-channels", { body: { type: "email", to: ["all@hookrelay.test"] } });
    const theirs = await call("POST", "/v1/notification-channels", { body: { type: "slack", webhook_url: DEAD_SLACK, owner_id: "cr-globex" } });

    // Below the warning threshold (FAILURE_WARN_AFTER = 5 in wrangler.toml): nothing owed.
    const ep = await insertEndpoint("cr-acme", { failures: 4, episode: 1 });
    await runCron(env, clock(T0));
    expect(await notificationsFor(ep)).toEqual([]);

    await setCounters(ep, { failures: 5, episode: 1, status: "active", reason: null });
    const first = await runCron(env, clock(T0 + 60_000));
    expect(first.notifications).toMatchObject({ ok: true });
    let rows = await notificationsFor(ep);
    const expectedChannels = [mine.json.id, global.json.id].sort();
    expect(rows.map((r) => r.channel_id).sort()).toEqual(expectedChannels);
    expect(rows.map((r) => r.channel_id)).not.toContain(theirs.json.id);
    expect(rows.every((r) => r.kind === "endpoint.failing" && r.episode === 1)).toBe(true);
    // Neither channel can deliver here (dead Slack port, no SES settings): failed, error logged, one try.
    expect(rows.every((r) => r.status === "failed" && r.tries === 1 && r.error)).toBe(true);
    expect(rows.find((r) => r.channel_id === mine.json.id)!.error).toMatch(/^Slack request failed/);
    expect(rows.find((r) => r.channel_id === global.json.id)!.error).toContain("email is not configured");

    // More failures in the same episode: no new rows; the failed ones are retried (tries + 1).
    await setCounters(ep, { failures: 9, episode: 1, status: "active", reason: null });
    await runCron(env, clock(T0 + 120_000));
    rows = await notificationsFor(ep);
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.tries)).toEqual([2, 2]);

    // Disabled: one disable notice per channel, in the same episode.
    await setCounters(ep, { failures: 20, episode: 1, status: "disabled", reason: "consecutive_failures" });
    await runCron(env, clock(T0 + 180_000));
    rows = await notificationsFor(ep);
    expect(rows.filter((r) => r.kind === "endpoint.disabled").map((r) => r.channel_id).sort()).toEqual(expectedChannels);
    expect(rows).toHaveLength(4);

    // A manual disable is not a failure notice; a new episode is owed its own warning.
    await setCounters(ep, { failures: 0, episode: 1, status: "disabled", reason: "manual" });
    await runCron(env, clock(T0 + 240_000));
    expect(await notificationsFor(ep)).toHaveLength(4);
    await setCounters(ep, { failures: 6, episode: 2, status: "active", reason: null });
    await runCron(env, clock(T0 + 300_000));
    rows = await notificationsFor(ep);
    expect(rows.filter((r) => r.episode === 2).map((r) => r.kind)).toEqual(["endpoint.failing", "endpoint.failing"]);

    // The owner sees its log through the API, with the error.
    const key = await createOwnerKey("cr-acme");
    const log = await call("GET", `/v1/notifications?endpoint_id=${ep}`, { key });
    expect(log.json.data).toHaveLength(6);
    expect(log.json.data.every((n: any) => n.status === "failed" && typeof n.error === "string")).toBe(true);

    // Global channels hear about every owner: remove this one so the tests below see only their own.
    expect((await call("DELETE", `/v1/notification-channels/${global.json.id}`)).status).toBe(204);
  });

  it("a 410 disable owes only the disable notice; failed sends stop after the try cap", async () => {
    const ch = await call("POST", "/v1/notification-channels", { body: { type: "slack", webhook_url: DEAD_SLACK, owner_id: "cr-gone" } });
    const ep = await insertEndpoint("cr-gone", { failures: 1, episode: 3, status: "disabled", reason: "gone_410" });
    await runCron(env, clock(T0));
    let rows = await notificationsFor(ep);
    expect(rows.map((r) => [r.kind, r.episode, r.channel_id])).toEqual([["endpoint.disabled", 3, ch.json.id]]);

    await env.DB.prepare("UPDATE notifications SET tries = ? WHERE endpoint_id = ?").bind(MAX_NOTIFICATION_TRIES, ep).run();
    await runCron(env, clock(T0 + 60_000));
    rows = await notificationsFor(ep);
    expect(rows[0]!.tries).toBe(MAX_NOTIFICATION_TRIES);
  });

  it("a notice whose channel was deleted fails once with that reason and is not retried", async () => {
    const ch = await call("POST", "/v1/notification-channels", { body: { type: "slack", webhook_url: DEAD_SLACK, owner_id: "cr-del" } });
    const ep = await insertEndpoint("cr-del", { failures: 1, episode: 1, status: "disabled", reason: "gone_410" });
    await env.DB.prepare(
      `INSERT INTO notifications (id, channel_id, endpoint_id, owner_id, kind, episode, status, tries, details, created_at)
       VALUES (?, ?, ?, 'cr-del', 'endpoint.disabled', 1, 'pending', 0, '{}', ?)`,
    )
      .bind(newId("ntf"), ch.json.id, ep, T0)
      .run();
    expect((await call("DELETE", `/v1/notification-channels/${ch.json.id}`)).status).toBe(204);
    await runCron(env, clock(T0));
    const rows = await notificationsFor(ep);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "failed", error: "the channel was deleted", tries: MAX_NOTIFICATION_TRIES });
  });
});

describe("cron: retention", () => {
  it("prunes events, their deliveries and attempts older than RETENTION_DAYS and keeps newer ones", async () => {
    const day = 86_400_000;
    const now = T0;
    const old = now - 31 * day;
    const recent = now - 29 * day;
    const stmts = [];
    for (const [tag, at] of [["old", old], ["new", recent]] as const) {
      for (let i = 0; i < 3; i++) {
        const evt = newId("evt", at);
        const dlv = newId("dlv", at);
        stmts.push(
          env.DB.prepare(
            "INSERT INTO events (id, owner_id, event_type, payload, payload_size, accepted_at, created_at) VALUES (?, 'rt', ?, '{}', 2, ?, ?)",
          ).bind(evt, `rt.${tag}`, at, at),
          env.DB.prepare(
            `INSERT INTO deliveries (id, event_id, endpoint_id, owner_id, event_type, status, event_accepted_at, created_at, updated_at)
             VALUES (?, ?, 'ep_rt', 'rt', ?, 'succeeded', ?, ?, ?)`,
          ).bind(dlv, evt, `rt.${tag}`, at, at, at),
          env.DB.prepare(
            "INSERT INTO attempts (id, delivery_id, endpoint_id, attempt, started_at, duration_ms, status_code) VALUES (?, ?, 'ep_rt', 1, ?, 5, 200)",
          ).bind(newId("att", at), dlv, at),
        );
      }
    }
    // An attempt whose delivery was pruned before it (attempts used to be pruned on their own, by started_at).
    const orphanAt = now - 32 * day;
    stmts.push(
      env.DB.prepare(
        "INSERT INTO attempts (id, delivery_id, endpoint_id, attempt, started_at, duration_ms, status_code) VALUES (?, ?, 'ep_rt', 1, ?, 5, 200)",
      ).bind(newId("att", orphanAt), newId("dlv", orphanAt), now - 29 * day),
    );
    await env.DB.batch(stmts);

    const outcome = await runCron(env, clock(now));
    expect(outcome.retention).toMatchObject({ ok: true, result: { events: 3, deliveries: 3, attempts: 4 } });
    const count = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())!.n;
    expect(await count("SELECT count(*) AS n FROM events WHERE owner_id = 'rt' AND event_type = 'rt.old'")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM events WHERE owner_id = 'rt' AND event_type = 'rt.new'")).toBe(3);
    expect(await count("SELECT count(*) AS n FROM deliveries WHERE owner_id = 'rt'")).toBe(3);
    expect(await count("SELECT count(*) AS n FROM attempts WHERE endpoint_id = 'ep_rt'")).toBe(3);
  });

  it("prunes in bounded chunks and reports when more is left for the next run", async () => {
    const at = T0 - 40 * 86_400_000;
    const stmts = Array.from({ length: 150 }, (_, i) =>
      env.DB.prepare("INSERT INTO events (id, owner_id, event_type, payload, payload_size, accepted_at, created_at) VALUES (?, 'rt-chunk', 'x', '{}', 2, ?, ?)").bind(
        newId("evt", at + i),
        at + i,
        at + i,
      ),
    );
    await env.DB.batch(stmts);
    const cutoff = T0 - 30 * 86_400_000;
    expect(await pruneOlderThan(env.DB, cutoff, 1)).toMatchObject({ events: 100, more: true });
    expect(await pruneOlderThan(env.DB, cutoff, 1)).toMatchObject({ events: 50, more: false });
    expect(await pruneOlderThan(env.DB, cutoff, 1)).toMatchObject({ events: 0, more: false });
  });

  it("a channel whose stored target cannot be read fails its notice with the reason, without failing the step", async () => {
    await env.DB.prepare("INSERT INTO notification_channels (id, type, owner_id, config_enc, created_at) VALUES (?, 'slack', 'rt-broken', 'garbage', ?)")
      .bind(newId("nch"), T0)
      .run();
    await insertEndpoint("rt-broken", { failures: 50, episode: 1 });
    const outcome = await runCron(env, clock(T0));
    expect(outcome.notifications?.ok).toBe(true);
    const { results } = await env.DB.prepare("SELECT n.error FROM notifications n JOIN endpoints e ON e.id = n.endpoint_id WHERE e.owner_id = 'rt-broken'").all<{ error: string }>();
    expect(results[0]!.error).toMatch(/cannot read the channel/);
  });

  it("a step that throws is reported and logged, and the later steps still run", async () => {
    let calls = 0;
    const flakyClock = {
      now: () => {
        if (calls++ === 0) throw new Error("clock unavailable");
        return T0;
      },
    };
    const outcome = await runCron(env, flakyClock);
    expect(outcome.notifications).toMatchObject({ ok: false, error: expect.stringContaining("clock unavailable") });
    expect(outcome.batch_retry_jobs?.ok).toBe(true);
    expect(outcome.stuck_sweep?.ok).toBe(true);
    expect(outcome.retention?.ok).toBe(true);
  });
});
