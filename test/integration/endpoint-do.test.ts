// EndpointDO against a real HTTP receiver on 127.0.0.1: signing, headers, outcomes, idempotency.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { eq } from "drizzle-orm";
import { endpoints } from "../../src/db/schema";
import { bumpConfigVersion } from "../../src/db/repos/config-versions";
import { EndpointStore } from "../../src/delivery/endpoint-store";
import { VERSION_CHECK_MS } from "../../src/delivery/snapshot-keeper";
import {
  attemptRows,
  db,
  deliveryRow,
  endpointRow,
  received,
  receiverUrl,
  waitFor,
  script,
  seedDelivery,
  seedEndpoint,
  TEST_SECRET,
  uniqueKey,
  waitForStatus,
} from "./delivery-fixtures";

describe("EndpointDO delivery", () => {
  it("POSTs the payload signed so that standardwebhooks verifies it, with every documented header", async () => {
    const key = uniqueKey("sign");
    const ep = await seedEndpoint({ url: receiverUrl(key), auth: { type: "bearer", token: "tok-123" } });
    const work = await seedDelivery(ep, { order: 42, note: "ünïcode" });
    await endpointStub(env, ep.id).enqueue([work]);
    const done = await waitForStatus(work.delivery_id, "succeeded");
    expect(done.attempts).toBe(1);

    const [req] = await received(key);
    expect(req).toBeDefined();
    expect(req!.method).toBe("POST");
    expect(req!.body).toBe(work.payload);
    expect(new Webhook(TEST_SECRET).verify(req!.body, req!.headers)).toEqual({ order: 42, note: "ünïcode" });
    expect(req!.headers["webhook-id"]).toBe(work.event_id);
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["user-agent"]).toMatch(/^HookRelay\/\d+\.\d+\.\d+/);
    expect(req!.headers["hookrelay-event-type"]).toBe("order.created");
    expect(req!.headers["hookrelay-owner-id"]).toBe(ep.ownerId);
    expect(req!.headers["hookrelay-delivery-id"]).toBe(work.delivery_id);
    expect(req!.headers["hookrelay-attempt"]).toBe("1");
    expect(req!.headers.authorization).toBe("Bearer tok-123");

    const attempts = await attemptRows(work.delivery_id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attempt: 1, statusCode: 200, error: null, responseBody: "ok" });
  });

  it("signs with both secrets while a rotated secret is within its window, and basic auth is sent", async () => {
    const key = uniqueKey("rotate");
    const oldSecret = "whsec_" + btoa("the-previous-secret-32-bytes!!!!");
    const ep = await seedEndpoint({
      url: receiverUrl(key),
      previousSecret: oldSecret,
      previousSecretExpiresAt: Date.now() + 3_600_000,
      auth: { type: "basic", username: "u", password: "p" },
    });
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);
    await waitForStatus(work.delivery_id, "succeeded");
    const [req] = await received(key);
    expect(req!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(TEST_SECRET).verify(req!.body, req!.headers)).toEqual({ hello: "world" });
    expect(new Webhook(oldSecret).verify(req!.body, req!.headers)).toEqual({ hello: "world" });
    expect(req!.headers.authorization).toBe(`Basic ${btoa("u:p")}`);
  });

  it("records a redirect as a failed attempt and never follows it", async () => {
    const key = uniqueKey("redir");
    await script(key, [{ status: 302, headers: { location: receiverUrl(`${key}-target`) } }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), retry: { strategy: "constant", max_attempts: 1, delay_s: 1, max_delay_s: 10, jitter: false } });
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);
    const row = await waitForStatus(work.delivery_id, "failed");
    expect(row.lastStatusCode).toBe(302);
    expect(row.lastError).toBe("redirect");
    expect(await received(`${key}-target`)).toHaveLength(0);
  });

  it("truncates the recorded response body to 4 KiB", async () => {
    const key = uniqueKey("big");
    await script(key, [{ status: 200, body: "x".repeat(10_000) }]);
    const ep = await seedEndpoint({ url: receiverUrl(key) });
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);
    await waitForStatus(work.delivery_id, "succeeded");
    const [attempt] = await attemptRows(work.delivery_id);
    expect(attempt!.responseBody).toHaveLength(4096);
  });

  it("a body that stalls past the timeout is a timeout with its status code, and a failed attempt", async () => {
    const key = uniqueKey("stall");
    await script(key, [{ status: 200, stall_body_ms: 3000, body: "late" }]);
    const ep = await seedEndpoint({
      url: receiverUrl(key),
      timeoutMs: 1000,
      retry: { strategy: "constant", max_attempts: 1, delay_s: 1, max_delay_s: 10, jitter: false },
    });
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);
    const row = await waitForStatus(work.delivery_id, "failed");
    expect(row.lastError).toBe("timeout");
    expect(row.lastStatusCode).toBe(200);
    const [attempt] = await attemptRows(work.delivery_id);
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(900);
    expect(attempt!.durationMs).toBeLessThan(2900);
  });

  it("duplicate enqueue and alarm re-runs create no duplicate attempts", async () => {
    const key = uniqueKey("dup");
    const ep = await seedEndpoint({ url: receiverUrl(key) });
    const work = await seedDelivery(ep);
    const stub = endpointStub(env, ep.id);
    const first = await stub.enqueue([work, work]);
    const second = await stub.enqueue([work]);
    expect(first.queued).toBe(1);
    expect(second.queued).toBe(0);
    await runDurableObjectAlarm(stub);
    await waitForStatus(work.delivery_id, "succeeded");
    // A redelivered queue message (the consumer marks it maybe_seen: its event was routed before) after the
    // delivery left for history is recognised there and ignored.
    expect((await stub.enqueue([{ ...work, maybe_seen: true }])).queued).toBe(0);
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    expect(await received(key)).toHaveLength(1);
    const attempts = await attemptRows(work.delivery_id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.responseBody).toBe("ok");
    expect((await stub.inspect()).work).toBe(0);
  });

  it("keeps a finished delivery's row until history has it: a history write that fails is retried, nothing lost or doubled", async () => {
    const key = uniqueKey("history-down");
    const ep = await seedEndpoint({ url: receiverUrl(key) });
    const work = await seedDelivery(ep);
    const stub = endpointStub(env, ep.id);
    // The directory table gone: the log shard cannot register itself, so its write fails.
    await env.DB.prepare("ALTER TABLE history_shards RENAME TO history_shards_away").run();
    try {
      await stub.enqueue([work]);
      await waitFor(async () => (await received(key)).length === 1);
      await waitFor(async () => ((await stub.inspect()).unlogged === 1 ? true : undefined));
      expect((await stub.inspect()).work).toBe(1);
    } finally {
      await env.DB.prepare("ALTER TABLE history_shards_away RENAME TO history_shards").run();
    }
    await runInDurableObject(stub, async (_i, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(stub);
    await waitForStatus(work.delivery_id, "succeeded");
    expect(await received(key)).toHaveLength(1);
    expect(await stub.inspect()).toMatchObject({ work: 0, unlogged: 0 });
  });

  it("410 disables the endpoint at once: that delivery fails, the rest are held, never attempted", async () => {
    const key = uniqueKey("gone");
    await script(key, [{ status: 410, body: "gone" }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 1 });
    const works = [await seedDelivery(ep), await seedDelivery(ep), await seedDelivery(ep)];
    await endpointStub(env, ep.id).enqueue(works);
    await waitForStatus(works[0]!.delivery_id, "failed");
    await waitForStatus(works[1]!.delivery_id, "held");
    await waitForStatus(works[2]!.delivery_id, "held");
    expect(await received(key)).toHaveLength(1);
    const row = await endpointRow(ep.id);
    expect(row).toMatchObject({ status: "disabled", disabledReason: "gone_410", consecutiveFailures: 1, failureEpisode: 1, lastStatusCode: 410 });
    expect(row!.failingSince).toBeTypeOf("number");
    expect(row!.disabledAt).toBeTypeOf("number");
  });

  it("tracks consecutive failures on the endpoint and resets them on success", async () => {
    const key = uniqueKey("count");
    await script(key, [{ status: 500 }, { status: 500 }, { status: 200 }]);
    const ep = await seedEndpoint({
      url: receiverUrl(key),
      maxInFlight: 1,
      retry: { strategy: "constant", max_attempts: 1, delay_s: 1, max_delay_s: 10, jitter: false },
    });
    const a = await seedDelivery(ep);
    const b = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([a, b]);
    await waitForStatus(a.delivery_id, "failed");
    await waitForStatus(b.delivery_id, "failed");
    // The object counts every failure; D1 is written when an episode starts (and on thresholds, recovery, a minute on).
    expect((await endpointStub(env, ep.id).inspect()).health).toMatchObject({ consecutiveFailures: 2, failureEpisode: 1 });
    const failing = await endpointRow(ep.id);
    expect(failing).toMatchObject({ consecutiveFailures: 1, failureEpisode: 1, lastStatusCode: 500, status: "active" });
    expect(failing!.failingSince).toBeTypeOf("number");
    const c = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([c]);
    await waitForStatus(c.delivery_id, "succeeded");
    const healthy = await endpointRow(ep.id);
    expect(healthy).toMatchObject({ consecutiveFailures: 0, failingSince: null, failureEpisode: 1, lastStatusCode: 200 });
  });

  it("a disabled endpoint holds its work without attempting it; a deleted one fails it with a clear error", async () => {
    const key = uniqueKey("off");
    const disabled = await seedEndpoint({ url: receiverUrl(key), status: "disabled" });
    const w1 = await seedDelivery(disabled);
    await endpointStub(env, disabled.id).enqueue([w1]);
    await waitForStatus(w1.delivery_id, "held");

    const gone = await seedEndpoint({ url: receiverUrl(key) });
    const w2 = await seedDelivery(gone);
    await db.delete(endpoints).where(eq(endpoints.id, gone.id));
    await endpointStub(env, gone.id).enqueue([w2]);
    const failed = await waitForStatus(w2.delivery_id, "failed");
    expect(failed.lastError).toMatch(/endpoint deleted/);
    expect(await received(key)).toHaveLength(0);
    expect((await deliveryRow(w1.delivery_id))!.attempts).toBe(0);
  });

  it("disables after FAILURE_DISABLE_AFTER consecutive failures spanning FAILURE_DISABLE_MIN_SECONDS, keeping the episode", async () => {
    const key = uniqueKey("threshold");
    await script(key, [{ status: 500 }]);
    const ep = await seedEndpoint({
      url: receiverUrl(key),
      maxInFlight: 1,
      retry: { strategy: "constant", max_attempts: 1, delay_s: 1, max_delay_s: 10, jitter: false },
    });
    // 18 failures already, the first 11 minutes ago (wrangler.toml: disable after 20 spanning 600 s).
    const since = Date.now() - 11 * 60_000;
    await db.update(endpoints).set({ consecutiveFailures: 18, failingSince: since, failureEpisode: 3 }).where(eq(endpoints.id, ep.id));
    const [a, b, c] = [await seedDelivery(ep), await seedDelivery(ep), await seedDelivery(ep)];
    await endpointStub(env, ep.id).enqueue([a!, b!, c!]);
    await waitForStatus(a!.delivery_id, "failed");
    await waitForStatus(b!.delivery_id, "failed");
    await waitForStatus(c!.delivery_id, "held");
    const row = await endpointRow(ep.id);
    expect(row).toMatchObject({
      status: "disabled",
      disabledReason: "consecutive_failures",
      consecutiveFailures: 20,
      failingSince: since,
      failureEpisode: 3,
      lastStatusCode: 500,
    });
    expect(await received(key)).toHaveLength(2);
  });

  it("does not disable at the failure count while the failures span less than the minimum", async () => {
    const key = uniqueKey("young");
    await script(key, [{ status: 500 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), retry: { strategy: "constant", max_attempts: 1, delay_s: 1, max_delay_s: 10, jitter: false } });
    await db.update(endpoints).set({ consecutiveFailures: 30, failingSince: Date.now() - 60_000, failureEpisode: 1 }).where(eq(endpoints.id, ep.id));
    const w = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([w]);
    await waitForStatus(w.delivery_id, "failed");
    expect(await endpointRow(ep.id)).toMatchObject({ status: "active", consecutiveFailures: 31, failureEpisode: 1 });
  });

  it("picks up a changed endpoint from the owner's config version even if configChanged() was never called", async () => {
    const before = uniqueKey("before");
    const after = uniqueKey("after");
    const ep = await seedEndpoint({ ownerId: uniqueKey("owner"), url: receiverUrl(before) });
    const first = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([first]);
    await waitForStatus(first.delivery_id, "succeeded");
    await db.batch([
      db.update(endpoints).set({ url: receiverUrl(after) }).where(eq(endpoints.id, ep.id)),
      bumpConfigVersion(db, ep.ownerId),
    ]);
    // Without configChanged() the object confirms the version at most once per VERSION_CHECK_MS: past that,
    // its next run must see the change (waiting longer can only make this easier, never flaky).
    await new Promise((r) => setTimeout(r, VERSION_CHECK_MS + 100));
    const second = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([second]);
    await waitForStatus(second.delivery_id, "succeeded");
    expect((await received(before)).map((r) => r.headers["hookrelay-delivery-id"])).toEqual([first.delivery_id]);
    expect((await received(after)).map((r) => r.headers["hookrelay-delivery-id"])).toEqual([second.delivery_id]);
  });

  it("a refused connection is a failed attempt with no status code and a network error", async () => {
    const ep = await seedEndpoint({
      url: "http://127.0.0.1:9/refused",
      retry: { strategy: "constant", max_attempts: 1, delay_s: 1, max_delay_s: 10, jitter: false },
    });
    const w = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([w]);
    const row = await waitForStatus(w.delivery_id, "failed");
    expect(row.lastStatusCode).toBeNull();
    expect(row.lastError).toMatch(/^network: /);
    const [attempt] = await attemptRows(w.delivery_id);
    expect(attempt).toMatchObject({ attempt: 1, statusCode: null, responseBody: null });
  });

});
