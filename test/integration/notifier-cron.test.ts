// The cron's notification step against local D1 and retention of history (whole day shards), with a frozen
// clock. Endpoint failure counters are written straight into D1, as the EndpointDO writes them on transitions.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { deliveryId, newEventId, newId } from "../../src/domain/ids";
import type { Env } from "../../src/env";
import { writeDeliveries } from "../../src/history/delivery-history";
import { rememberOwners, writeEvents } from "../../src/history/event-history";
import type { DeliveryRecord, EventRecord } from "../../src/history/records";
import { logShard } from "../../src/history/shard-client";
import { dayOf } from "../../src/history/shards";
import { runCron } from "../../src/notify/cron";
import { pruneOlderThan } from "../../src/notify/retention";
import { MAX_NOTIFICATION_TRIES } from "../../src/notify/notifier";
import { call, createOwnerKey } from "./helpers";

const T0 = Date.parse("2026-11-29T12:00:00.000Z");
const DAY = 86_400_000;
const testEnv = env as unknown as Env;
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

/** An event of `owner` accepted at `at` (its id carries that time, which names its day shard), routed to `endpointId`. */
function eventAt(owner: string, at: number, eventType: string, endpointId: string): EventRecord {
  return {
    id: newEventId(owner, at), owner_id: owner, event_type: eventType, payload: "{}", payload_size: 2, source_id: null, idempotency_key: null,
    accepted_at: at, endpoints: [endpointId], filtered_out: 0,
  };
}

/** Its succeeded delivery, with one attempt inline. */
async function succeededDelivery(e: EventRecord, endpointId: string): Promise<DeliveryRecord> {
  const id = await deliveryId(e.id, endpointId);
  return {
    id, event_id: e.id, endpoint_id: endpointId, owner_id: e.owner_id, event_type: e.event_type, status: "succeeded", attempt_count: 1,
    attempts_in_run: 1, next_attempt_at: null, last_status_code: 200, last_error: null, last_duration_ms: 5, event_accepted_at: e.accepted_at,
    created_at: e.accepted_at, updated_at: e.accepted_at, completed_at: e.accepted_at,
    attempts: [{ id: newId("att", e.accepted_at), attempt: 1, started_at: e.accepted_at, duration_ms: 5, status_code: 200, error: null, response_body: "ok" }],
    attempts_dropped: 0,
  };
}

async function directoryRows(key: string): Promise<{ kind: string; day: string }[]> {
  const { results } = await env.DB.prepare("SELECT kind, day FROM history_shards WHERE key = ? ORDER BY day, kind").bind(key).all<{ kind: string; day: string }>();
  return results;
}

const ids = (res: { json: { data: { id: string }[] } }) => res.json.data.map((d) => d.id).sort();

describe("cron: retention", () => {
  it("drops events, deliveries and their attempts of days older than RETENTION_DAYS, whole shards at a time, and keeps newer ones", async () => {
    const owner = "rt";
    const ep = await insertEndpoint(owner, { failures: 0, episode: 0 });
    const old = T0 - 31 * DAY;
    const recent = T0 - 29 * DAY;
    const events = [old, old, old, recent, recent, recent].map((at, i) => eventAt(owner, at + i, at === old ? "rt.old" : "rt.new", ep));
    const deliveries = await Promise.all(events.map((e) => succeededDelivery(e, ep)));
    await rememberOwners(testEnv, [owner]);
    await writeEvents(testEnv, events);
    await writeDeliveries(testEnv, deliveries);
    const [oldEvents, newEvents] = [events.slice(0, 3), events.slice(3)];
    const [oldDeliveries, newDeliveries] = [deliveries.slice(0, 3), deliveries.slice(3)];
    expect(ids(await call("GET", `/v1/events?owner_id=${owner}`))).toEqual(events.map((e) => e.id).sort());
    expect(ids(await call("GET", `/v1/deliveries?endpoint_id=${ep}`))).toEqual(deliveries.map((d) => d.id).sort());

    // The old day of the owner's events and of the endpoint's deliveries: two shards.
    const outcome = await runCron(env, clock(T0));
    expect(outcome.retention).toMatchObject({ ok: true, result: { shards: 2, more: false } });

    expect(ids(await call("GET", `/v1/events?owner_id=${owner}`))).toEqual(newEvents.map((e) => e.id).sort());
    for (const e of oldEvents) expect((await call("GET", `/v1/events/${e.id}`)).status).toBe(404);
    expect((await call("GET", `/v1/events/${newEvents[0]!.id}`)).json.deliveries).toEqual([expect.objectContaining({ status: "succeeded" })]);
    expect(ids(await call("GET", `/v1/deliveries?endpoint_id=${ep}`))).toEqual(newDeliveries.map((d) => d.id).sort());
    for (const d of oldDeliveries) expect((await call("GET", `/v1/deliveries/${d.id}`)).status).toBe(404);
    const kept = await call("GET", `/v1/deliveries/${newDeliveries[0]!.id}`);
    expect(kept.json.attempts).toEqual([expect.objectContaining({ attempt: 1, status_code: 200 })]);
    expect(await directoryRows(owner)).toEqual([{ kind: "events", day: dayOf(recent) }]);
    expect(await directoryRows(ep)).toEqual([{ kind: "deliveries", day: dayOf(recent) }]);

    // A second run finds nothing more to drop.
    expect((await runCron(env, clock(T0))).retention).toMatchObject({ ok: true, result: { shards: 0, more: false } });
  });

  it("pruneOlderThan drops a whole old day shard (its storage, then its directory row); the cutoff's own day stays", async () => {
    const owner = `rt-day-${crypto.randomUUID().slice(0, 6)}`;
    const cutoff = T0 - 30 * DAY;
    const oldDay = cutoff - 3 * DAY;
    // Older than the cutoff but on the cutoff's day: kept until that whole day has passed the cutoff.
    const sameDay = Date.parse(`${dayOf(cutoff)}T00:30:00.000Z`);
    expect(sameDay).toBeLessThan(cutoff);
    const [gone, stays] = [eventAt(owner, oldDay, "rt.gone", "ep_none"), eventAt(owner, sameDay, "rt.stays", "ep_none")];
    await rememberOwners(testEnv, [owner]);
    await writeEvents(testEnv, [gone, stays]);
    expect(await directoryRows(owner)).toEqual([
      { kind: "events", day: dayOf(oldDay) },
      { kind: "events", day: dayOf(sameDay) },
    ]);
    expect((await call("GET", `/v1/events/${gone.id}`)).status).toBe(200);

    const result = await pruneOlderThan(testEnv, cutoff);
    expect(result.more).toBe(false);
    expect(result.shards).toBeGreaterThanOrEqual(1);
    expect(await directoryRows(owner)).toEqual([{ kind: "events", day: dayOf(sameDay) }]);
    expect(ids(await call("GET", `/v1/events?owner_id=${owner}`))).toEqual([stays.id]);
    expect((await call("GET", `/v1/events/${gone.id}`)).status).toBe(404);
    // The shard's own storage is gone too, not only its directory entry.
    expect(await logShard(testEnv, { kind: "events", key: owner, day: dayOf(oldDay), part: 0 }).listEvents({ limit: 10 })).toEqual([]);
  });

  it("prunes in bounded chunks (shards per run) and reports when more is left for the next run", async () => {
    const at = T0 - 40 * DAY;
    const owners = ["rt-chunk-a", "rt-chunk-b", "rt-chunk-c"];
    // Three owners' events of one old day, and one owner's of the day before: four shards.
    await writeEvents(testEnv, [
      ...owners.flatMap((o) => Array.from({ length: 50 }, (_, i) => eventAt(o, at + i, "x", "ep_none"))),
      eventAt(owners[0]!, at - DAY, "x", "ep_none"),
    ]);
    const cutoff = T0 - 30 * DAY;
    expect(await pruneOlderThan(testEnv, cutoff, 3)).toEqual({ shards: 3, more: true });
    expect(await pruneOlderThan(testEnv, cutoff, 3)).toEqual({ shards: 1, more: false });
    expect(await pruneOlderThan(testEnv, cutoff, 3)).toEqual({ shards: 0, more: false });
    for (const o of owners) expect(await directoryRows(o)).toEqual([]);
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
    expect(outcome.retention?.ok).toBe(true);
    // The stuck-delivery sweep is gone: retries wait in their EndpointDO until due.
    expect(Object.keys(outcome)).toEqual(["notifications", "batch_retry_jobs", "retention"]);
  });
});
