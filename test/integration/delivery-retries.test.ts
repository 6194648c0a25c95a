// Retries held by the EndpointDO until due, manual retry over the API, pauses, rate limits, held deliveries.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { endpoints } from "../../src/db/schema";
import { runDurableObjectAlarm } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { call } from "./helpers";
import {
  attemptRows,
  db,
  deliveryRow,
  received,
  receiverUrl,
  script,
  seedDelivery,
  seedEndpoint,
  uniqueKey,
  waitForStatus,
} from "./delivery-fixtures";

const constant1s = { strategy: "constant" as const, max_attempts: 3, delay_s: 1, max_delay_s: 60, jitter: false };

describe("retries", () => {
  it("a receiver that fails twice then succeeds gets 3 attempts ~1 s apart with the same webhook-id", async () => {
    const key = uniqueKey("flaky");
    await script(key, [{ status: 500, body: "boom" }, { status: 502 }, { status: 200, body: "fine" }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), retry: constant1s });
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);

    const row = await waitForStatus(work.delivery_id, "succeeded", 20_000);
    expect(row.attempts).toBe(3);
    expect(row.lastStatusCode).toBe(200);
    const reqs = await received(key);
    expect(reqs).toHaveLength(3);
    expect(new Set(reqs.map((r) => r.headers["webhook-id"]))).toEqual(new Set([work.event_id]));
    expect(reqs.map((r) => r.headers["hookrelay-attempt"])).toEqual(["1", "2", "3"]);
    const gaps = [reqs[1]!.at - reqs[0]!.at, reqs[2]!.at - reqs[1]!.at];
    console.log(`retry gaps with a constant 1 s policy (ms): ${gaps.join(", ")}`);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(950);
      expect(gap).toBeLessThan(4000);
    }
    const attempts = await attemptRows(work.delivery_id);
    expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, 502],
      [3, 200],
    ]);
    expect(attempts[0]!.responseBody).toBe("boom");
  });

  it("exhausted retries end failed, visible in the API; POST /v1/deliveries/{id}/retry then delivers it", async () => {
    const key = uniqueKey("exhaust");
    await script(key, [{ status: 500 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), retry: { ...constant1s, max_attempts: 2 } });
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);
    await waitForStatus(work.delivery_id, "failed", 20_000);

    const shown = await call("GET", `/v1/deliveries/${work.delivery_id}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({ status: "failed", attempt_count: 2, last_status_code: 500 });
    expect(shown.json.attempts.map((a: any) => a.attempt)).toEqual([1, 2]);
    expect(shown.json.completed_at).toBeTypeOf("string");

    await script(key, [{ status: 200, body: "back" }]);
    const retried = await call("POST", `/v1/deliveries/${work.delivery_id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({ id: work.delivery_id, status: "pending", attempts_in_run: 0 });
    const row = await waitForStatus(work.delivery_id, "succeeded");
    expect(row.attempts).toBe(3);
    const reqs = await received(key);
    expect(reqs).toHaveLength(3);
    // The attempt number keeps counting across the manual retry.
    expect(reqs[2]!.headers["hookrelay-attempt"]).toBe("3");
    const detail = await call("GET", `/v1/deliveries/${work.delivery_id}`);
    expect(detail.json.attempts.map((a: any) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
  });

  it("a manual retry runs the policy afresh: max_attempts further attempts", async () => {
    const key = uniqueKey("fresh");
    await script(key, [{ status: 500 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), retry: { ...constant1s, max_attempts: 1 } });
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);
    await waitForStatus(work.delivery_id, "failed");
    expect((await call("POST", `/v1/deliveries/${work.delivery_id}/retry`)).status).toBe(202);
    const row = await waitForStatus(work.delivery_id, "failed");
    expect(row.attempts).toBe(2);
    expect(row.attemptsInRun).toBe(1);
  });

  it("429 with Retry-After pauses the endpoint and the next attempt waits at least that long", async () => {
    const key = uniqueKey("throttle");
    await script(key, [{ status: 429, headers: { "retry-after": "2" } }, { status: 200 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 1, retry: { ...constant1s, delay_s: 0 } });
    const a = await seedDelivery(ep);
    const b = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([a]);
    await waitForStatus(a.delivery_id, "retrying");
    const pausedAt = Date.now();
    await endpointStub(env, ep.id).enqueue([b]);
    await waitForStatus(b.delivery_id, "succeeded", 10_000);
    await waitForStatus(a.delivery_id, "succeeded", 10_000);
    const reqs = await received(key);
    expect(reqs).toHaveLength(3);
    // b was queued during the pause: it went out only after the pause ended (~2 s after the 429).
    const bReq = reqs.find((r) => r.headers["hookrelay-delivery-id"] === b.delivery_id)!;
    expect(bReq.at - reqs[0]!.at).toBeGreaterThanOrEqual(1900);
    const aRetry = reqs.filter((r) => r.headers["hookrelay-delivery-id"] === a.delivery_id)[1]!;
    expect(aRetry.at - reqs[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(pausedAt).toBeLessThan(bReq.at);
  });

  it("the rate limit makes work wait for tokens instead of failing it", async () => {
    const key = uniqueKey("rate");
    const ep = await seedEndpoint({ url: receiverUrl(key), rateLimit: { requests: 2, per_seconds: 1 } });
    const works = [];
    for (let i = 0; i < 5; i++) works.push(await seedDelivery(ep, { i }));
    const started = Date.now();
    await endpointStub(env, ep.id).enqueue(works);
    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 10_000);
    const reqs = (await received(key)).sort((x, y) => x.at - y.at);
    expect(reqs).toHaveLength(5);
    // Burst of 2, then 2 per second: the 5th request cannot go out before ~1.5 s.
    expect(reqs[4]!.at - started).toBeGreaterThanOrEqual(1400);
    for (const w of works) expect((await attemptRows(w.delivery_id)).length).toBe(1);
  });

  it("a retry releases a held delivery once its endpoint is active again", async () => {
    const key = uniqueKey("release");
    const ep = await seedEndpoint({ url: receiverUrl(key), status: "disabled" });
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);
    await waitForStatus(work.delivery_id, "held");
    expect(await received(key)).toHaveLength(0);
    // Re-enabled (as POST /v1/endpoints/{id}/enable does: D1 row, then configChanged).
    await db.update(endpoints).set({ status: "active" }).where(eq(endpoints.id, ep.id));
    await endpointStub(env, ep.id).configChanged();
    expect((await call("POST", `/v1/deliveries/${work.delivery_id}/retry`)).status).toBe(202);
    const row = await waitForStatus(work.delivery_id, "succeeded");
    expect(row.attempts).toBe(1);
    expect(await received(key)).toHaveLength(1);
  });

  it("work for an endpoint whose secret cannot be decrypted stays queued and the object backs off", async () => {
    const key = uniqueKey("nokey");
    const ep = await seedEndpoint({ url: receiverUrl(key) });
    await db.update(endpoints).set({ secretEnc: "enc:v1:00000000:AAAA:AAAA" }).where(eq(endpoints.id, ep.id));
    const work = await seedDelivery(ep);
    const stub = endpointStub(env, ep.id);
    await stub.enqueue([work]);
    await runDurableObjectAlarm(stub);
    const state = await stub.inspect();
    expect(state.work).toBe(1);
    expect(state.nextAlarm).toBeGreaterThan(Date.now() + 3000);
    expect((await deliveryRow(work.delivery_id))!.status).toBe("pending");
    expect(await received(key)).toHaveLength(0);
  });
});
