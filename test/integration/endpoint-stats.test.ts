// GET /v1/endpoints/{id}/stats: counts by status, success rate and nearest-rank latency over a window, owner
// scoping, bad input — with rows written straight to D1 so every expected number is known.
import { describe, expect, it } from "vitest";
import { attempts, deliveries } from "../../src/db/schema";
import { percentileOffset } from "../../src/db/repos/endpoint-stats";
import { call, createOwnerKey, expectProblem } from "./helpers";
import { db, receiverUrl, seedDelivery, seedEndpoint, uniqueKey } from "./delivery-fixtures";
import { eq } from "drizzle-orm";

const HOUR = 3_600_000;

async function setStatus(deliveryId: string, status: "pending" | "retrying" | "succeeded" | "failed" | "held", createdAt?: number) {
  await db.update(deliveries).set({ status, ...(createdAt ? { createdAt } : {}) }).where(eq(deliveries.id, deliveryId));
}

async function addAttempt(endpointId: string, deliveryId: string, n: number, startedAt: number, durationMs: number, statusCode: number | null, error: string | null = null) {
  await db.insert(attempts).values({ id: `att_${deliveryId}_${n}`, deliveryId, endpointId, attempt: n, startedAt, durationMs, statusCode, error, responseBody: null });
}

describe("GET /v1/endpoints/{id}/stats", () => {
  it("counts deliveries by status, success rate, and p50/p99 of attempt durations over the last 24 h", async () => {
    const owner = uniqueKey("stats-owner");
    const ep = await seedEndpoint({ ownerId: owner, url: receiverUrl(uniqueKey("stats")), rateLimit: { requests: 5, per_seconds: 1 } });
    const now = Date.now();
    const statuses = ["succeeded", "succeeded", "succeeded", "failed", "retrying", "pending", "held"] as const;
    const ids: string[] = [];
    for (const s of statuses) {
      const w = await seedDelivery(ep);
      await setStatus(w.delivery_id, s);
      ids.push(w.delivery_id);
    }
    // Outside the window: a succeeded delivery and its attempt from 25 h ago are not counted.
    const old = await seedDelivery(ep);
    await setStatus(old.delivery_id, "succeeded", now - 25 * HOUR);
    await addAttempt(ep.id, old.delivery_id, 1, now - 25 * HOUR, 99_999, 200);
    // Attempts in the window: durations 10..100 ms; a timeout carrying 200 is a failure, a 500 too.
    const durations = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    for (const [i, d] of durations.entries()) {
      const failed = i === 8 ? { code: 500, error: null } : i === 9 ? { code: 200, error: "timeout" } : { code: 200, error: null };
      await addAttempt(ep.id, ids[i % ids.length]!, 10 + i, now - HOUR + i, d, failed.code, failed.error);
    }

    const res = await call("GET", `/v1/endpoints/${ep.id}/stats`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      endpoint_id: ep.id,
      counts: { succeeded: 3, failed: 1, retrying: 1, pending: 1, held: 1 },
      success_rate: 0.75,
      latency_ms: { p50: 50, p99: 100 },
      attempts: { total: 10, succeeded: 8, failed: 2 },
    });
    const span = Date.parse(res.json.window.until) - Date.parse(res.json.window.since);
    expect(span).toBe(24 * HOUR);
    expect(res.json.delivery_state).toMatchObject({ configured_rate_per_second: 5, effective_rate_per_second: 5, in_flight: 0, paused_until: null });

    // An explicit window that reaches back to the old rows counts them too.
    const wide = await call("GET", `/v1/endpoints/${ep.id}/stats?since=${new Date(now - 26 * HOUR).toISOString()}`);
    expect(wide.status, wide.text).toBe(200);
    expect(wide.json.counts.succeeded).toBe(4);
    expect(wide.json.attempts.total).toBe(11);
    expect(wide.json.latency_ms.p99).toBe(99_999);
  });

  it("an endpoint with no traffic has zero counts and null rate and latency", async () => {
    const ep = await seedEndpoint({ url: receiverUrl(uniqueKey("quiet")) });
    const res = await call("GET", `/v1/endpoints/${ep.id}/stats`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      counts: { pending: 0, retrying: 0, succeeded: 0, failed: 0, held: 0 },
      success_rate: null,
      latency_ms: { p50: null, p99: null },
      attempts: { total: 0, succeeded: 0, failed: 0 },
    });
  });

  it("owner scoping: another owner's endpoint is 404 and its numbers never show; the own owner's key sees them", async () => {
    const owner = uniqueKey("stats-a");
    const ep = await seedEndpoint({ ownerId: owner, url: receiverUrl(uniqueKey("scoped")) });
    const ownKey = await createOwnerKey(owner);
    const otherKey = await createOwnerKey(uniqueKey("stats-b"));
    expect((await call("GET", `/v1/endpoints/${ep.id}/stats`, { key: ownKey })).status).toBe(200);
    const foreign = expectProblem(await call("GET", `/v1/endpoints/${ep.id}/stats`, { key: otherKey }), 404, "not_found");
    expect(JSON.stringify(foreign)).not.toContain("counts");
    expectProblem(await call("GET", `/v1/endpoints/${ep.id}/stats`, { key: null }), 401, "unauthorized");
  });

  it("bad input: unknown and malformed ids are 404; bad or empty windows are 422", async () => {
    const ep = await seedEndpoint({ url: receiverUrl(uniqueKey("bad")) });
    expectProblem(await call("GET", `/v1/endpoints/ep_01jd5m3x7q0000000000000000/stats`), 404, "not_found");
    expectProblem(await call("GET", `/v1/endpoints/not-an-id/stats`), 404, "not_found");
    expectProblem(await call("GET", `/v1/endpoints/${ep.id}/stats?since=yesterday`), 422, "validation_failed");
    expectProblem(await call("GET", `/v1/endpoints/${ep.id}/stats?until=2026-13-01T00:00:00Z`), 422, "validation_failed");
    const later = "2026-11-29T12:00:00.000Z";
    const earlier = "2026-11-29T11:00:00.000Z";
    expectProblem(await call("GET", `/v1/endpoints/${ep.id}/stats?since=${later}&until=${earlier}`), 422, "validation_failed");
    expectProblem(await call("GET", `/v1/endpoints/${ep.id}/stats?since=2026-01-01T00:00:00Z&until=2026-11-29T00:00:00Z`), 422, "validation_failed");
    // A `since` alone in the future leaves an empty window.
    expectProblem(await call("GET", `/v1/endpoints/${ep.id}/stats?since=2999-01-01T00:00:00Z`), 422, "validation_failed");
    expectProblem(await call("POST", `/v1/endpoints/${ep.id}/stats`), 404, "not_found");
  });

  it("does not shadow the endpoints routes mounted after it", async () => {
    const ep = await seedEndpoint({ url: receiverUrl(uniqueKey("shadow")) });
    const got = await call("GET", `/v1/endpoints/${ep.id}`);
    expect(got.status).toBe(200);
    expect(got.json.id).toBe(ep.id);
    expect(got.json.delivery_state).toMatchObject({ effective_rate_per_second: null, pending: 0, in_flight: 0 });
    expect((await call("GET", `/v1/endpoints?limit=1`)).status).toBe(200);
    expect((await call("POST", `/v1/endpoints/${ep.id}/disable`)).status).toBe(200);
    const spec = await call("GET", "/openapi.json", { key: null });
    expect(Object.keys(spec.json.paths)).toEqual(expect.arrayContaining(["/v1/endpoints/{id}/stats", "/v1/endpoints/{id}"]));
  });

  it("nearest-rank offsets", () => {
    expect(percentileOffset(0.5, 1)).toBe(0);
    expect(percentileOffset(0.5, 10)).toBe(4);
    expect(percentileOffset(0.99, 10)).toBe(9);
    expect(percentileOffset(0.99, 1000)).toBe(989);
  });
});
