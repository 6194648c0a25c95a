// GET /v1/endpoints/{id}/stats: counts by status, success rate and nearest-rank latency over a window, owner
// scoping, bad input — with finished deliveries written straight to history and in-flight ones parked in the
// endpoint's EndpointDO, so every expected number is known.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { percentileOffset } from "../../src/delivery/endpoint-stats";
import { deliveryId, newEventId } from "../../src/domain/ids";
import type { Env } from "../../src/env";
import { writeDeliveries } from "../../src/history/delivery-history";
import type { AttemptRecord, DeliveryRecord } from "../../src/history/records";
import { call, createOwnerKey, expectProblem } from "./helpers";
import { receiverUrl, seedDelivery, seedEndpoint, uniqueKey } from "./delivery-fixtures";

const HOUR = 3_600_000;
const testEnv = env as unknown as Env;

type Finished = "succeeded" | "failed" | "held";
type Attempt = { startedAt: number; durationMs: number; statusCode: number | null; error?: string | null };

/** A finished delivery in history, created at `createdAt` (its event's id time too), with these attempts inline. */
async function finishedDelivery(ep: { id: string; ownerId: string }, status: Finished, createdAt: number, tries: Attempt[] = []): Promise<string> {
  const eventId = newEventId(ep.ownerId, createdAt);
  const id = await deliveryId(eventId, ep.id);
  const attempts: AttemptRecord[] = tries.map((a, i) => ({
    id: `att_${id.slice(4, 14)}${String(i).padStart(16, "0")}`, attempt: i + 1, started_at: a.startedAt, duration_ms: a.durationMs,
    status_code: a.statusCode, error: a.error ?? null, response_body: null,
  }));
  const last = attempts[attempts.length - 1];
  const record: DeliveryRecord = {
    id, event_id: eventId, endpoint_id: ep.id, owner_id: ep.ownerId, event_type: "order.created", status,
    attempt_count: attempts.length, attempts_in_run: attempts.length, next_attempt_at: null, last_status_code: last?.status_code ?? null,
    last_error: last?.error ?? null, last_duration_ms: last?.duration_ms ?? null, event_accepted_at: createdAt, created_at: createdAt,
    updated_at: createdAt, completed_at: status === "held" ? null : createdAt, attempts, attempts_dropped: 0,
  };
  await writeDeliveries(testEnv, [record]);
  return id;
}

/** A delivery in flight in the endpoint's EndpointDO, due in an hour: pending, or retrying (an attempt made). */
async function inFlightDelivery(ep: { id: string; ownerId: string }, status: "pending" | "retrying"): Promise<string> {
  const w = await seedDelivery(ep);
  const made = status === "retrying" ? 1 : 0;
  await endpointStub(env, ep.id).enqueue([{ ...w, attempts: made, attempts_in_run: made, due_at: Date.now() + HOUR }]);
  return w.delivery_id;
}

describe("GET /v1/endpoints/{id}/stats", () => {
  it("counts deliveries by status, success rate, and p50/p99 of attempt durations over the last 24 h", async () => {
    const owner = uniqueKey("stats-owner");
    const ep = await seedEndpoint({ ownerId: owner, url: receiverUrl(uniqueKey("stats")), rateLimit: { requests: 5, per_seconds: 1 } });
    const now = Date.now();
    // Attempts in the window: durations 10..100 ms; a timeout carrying 200 is a failure, a 500 too. They are
    // spread over the finished deliveries that made attempts.
    const durations = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    const tries: Attempt[][] = [[], [], [], []];
    for (const [i, d] of durations.entries()) {
      const outcome = i === 8 ? { statusCode: 500, error: null } : i === 9 ? { statusCode: 200, error: "timeout" } : { statusCode: 200, error: null };
      tries[i % 4]!.push({ startedAt: now - HOUR + i, durationMs: d, ...outcome });
    }
    const created = now - 2 * HOUR;
    for (const [i, s] of (["succeeded", "succeeded", "succeeded", "failed"] as const).entries()) await finishedDelivery(ep, s, created, tries[i]);
    await finishedDelivery(ep, "held", created);
    await inFlightDelivery(ep, "retrying");
    await inFlightDelivery(ep, "pending");
    // Outside the window: a succeeded delivery and its attempt from 25 h ago are not counted.
    await finishedDelivery(ep, "succeeded", now - 25 * HOUR, [{ startedAt: now - 25 * HOUR, durationMs: 99_999, statusCode: 200 }]);

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

  it("counts an attempt started in the window even when its delivery was created before it", async () => {
    const ep = await seedEndpoint({ url: receiverUrl(uniqueKey("stats-late")) });
    const now = Date.now();
    await finishedDelivery(ep, "failed", now - 30 * HOUR, [
      { startedAt: now - 30 * HOUR, durationMs: 7, statusCode: 500 },
      { startedAt: now - HOUR, durationMs: 42, statusCode: 503 },
    ]);
    const res = await call("GET", `/v1/endpoints/${ep.id}/stats`);
    expect(res.json.counts.failed).toBe(0);
    expect(res.json.attempts).toEqual({ total: 1, succeeded: 0, failed: 1 });
    expect(res.json.latency_ms).toEqual({ p50: 42, p99: 42 });
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
