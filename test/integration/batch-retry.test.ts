// Batch retry: POST /v1/endpoints/{id}/retry-failed, POST /v1/deliveries/retry and GET /v1/jobs/{id}, with
// the real retryDeliveries and EndpointDO; the job walk's chunking, resume and failure handling.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { endpoints } from "../../src/db/schema";
import { findDeliveryViews } from "../../src/delivery/delivery-views";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { retryDeliveries } from "../../src/delivery/manual-retry";
import { encryptSecret } from "../../src/domain/crypto";
import { deliveryId, newEventId, newId } from "../../src/domain/ids";
import { DEFAULT_RETRY_POLICY } from "../../src/domain/schemas";
import type { Env } from "../../src/env";
import { writeDeliveries } from "../../src/history/delivery-history";
import { writeEvents } from "../../src/history/event-history";
import type { DeliveryRecord, EventRecord } from "../../src/history/records";
import { JOB_STALE_MS, resumeStaleJobs, runRetryJob, startRetryJob, type RetryFn } from "../../src/notify/retry-jobs";
import { call, createOwnerKey, expectProblem } from "./helpers";

const db = getDb(env.DB);
const testEnv = env as unknown as Env;
const HOUR = 3_600_000;
const systemClock = { now: () => Date.now() };

/** A disabled endpoint: released deliveries go back to its EndpointDO, which holds them again (no network). */
async function seedEndpoint(ownerId: string) {
  const id = newId("ep");
  const now = Date.now();
  await db.insert(endpoints).values({
    id,
    ownerId,
    url: "http://127.0.0.1:9/never",
    description: null,
    secretEnc: await encryptSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", (env as unknown as { ENCRYPTION_KEY: string }).ENCRYPTION_KEY),
    timeoutMs: 1000,
    retry: JSON.stringify(DEFAULT_RETRY_POLICY),
    status: "disabled",
    disabledReason: "manual",
    disabledAt: now,
    createdAt: now,
    updatedAt: now,
  });
  return { id, ownerId };
}

/** Events (in their owner's history) and their finished deliveries (in the endpoint's history), one per time. */
async function seedDeliveries(ep: { id: string; ownerId: string }, status: "failed" | "held" | "succeeded", acceptedAts: number[]) {
  const ids: string[] = [];
  const events: EventRecord[] = [];
  const records: DeliveryRecord[] = [];
  const updatedAt = Date.now() - 1000;
  for (const at of acceptedAts) {
    const eventId = newEventId(ep.ownerId, at);
    const id = await deliveryId(eventId, ep.id);
    ids.push(id);
    events.push({
      id: eventId, owner_id: ep.ownerId, event_type: "order.created", payload: "{}", payload_size: 2, source_id: null, idempotency_key: null,
      accepted_at: at, endpoints: [ep.id], filtered_out: 0,
    });
    const made = status === "held" ? 0 : 3;
    records.push({
      id, event_id: eventId, endpoint_id: ep.id, owner_id: ep.ownerId, event_type: "order.created", status, attempt_count: made,
      attempts_in_run: made, next_attempt_at: null, last_status_code: made ? 500 : null, last_error: null, last_duration_ms: made ? 5 : null,
      event_accepted_at: at, created_at: at, updated_at: updatedAt, completed_at: status === "held" ? null : updatedAt,
      attempts: Array.from({ length: made }, (_, i) => ({
        id: `att_${id.slice(4, 14)}${String(i).padStart(16, "0")}`, attempt: i + 1, started_at: at + i, duration_ms: 5, status_code: 500,
        error: null, response_body: null,
      })),
      attempts_dropped: 0,
    });
  }
  // 100 rows a write: a log shard's SQL takes at most 100 bound parameters (see the report on DeliveryStore.put).
  for (let i = 0; i < records.length; i += 100) {
    await writeEvents(testEnv, events.slice(i, i + 100));
    await writeDeliveries(testEnv, records.slice(i, i + 100));
  }
  return ids;
}

/** Deliveries as the API shows them (history merged with the EndpointDO's in-flight rows). */
async function deliveryRows(ids: string[]) {
  const views = await findDeliveryViews(testEnv, ids);
  const out = new Map<string, { status: string; updated_at: number; attempts_in_run: number }>();
  for (const id of ids) {
    const d = views.get(id);
    out.set(id, d ? { status: d.status, updated_at: d.updated_at, attempts_in_run: d.attempts_in_run } : (undefined as never));
  }
  return out;
}

async function waitForJob(jobId: string, key?: string) {
  for (let i = 0; i < 100; i++) {
    const res = await call("GET", `/v1/jobs/${jobId}`, key ? { key } : {});
    if (res.json?.status !== "running") return res;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("job did not finish");
}

describe("POST /v1/endpoints/{id}/retry-failed", () => {
  it("releases the endpoint's failed and held deliveries accepted in the window, as a job reporting total/done", async () => {
    const key = await createOwnerKey("br-acme");
    const ep = await seedEndpoint("br-acme");
    const other = await seedEndpoint("br-acme");
    const now = Date.now();
    const [tooOld] = await seedDeliveries(ep, "failed", [now - 5 * HOUR]);
    const failed = await seedDeliveries(ep, "failed", [now - 2 * HOUR, now - HOUR]);
    const held = await seedDeliveries(ep, "held", [now - 90 * 60_000, now - 30 * 60_000]);
    const [succeeded] = await seedDeliveries(ep, "succeeded", [now - HOUR]);
    const [elsewhere] = await seedDeliveries(other, "failed", [now - HOUR]);
    const before = await deliveryRows([tooOld!, succeeded!, elsewhere!]);

    const started = await call("POST", `/v1/endpoints/${ep.id}/retry-failed`, {
      key,
      body: { since: new Date(now - 3 * HOUR).toISOString(), until: new Date(now).toISOString() },
    });
    expect(started.status).toBe(202);
    expect(started.json).toEqual({ job_id: expect.stringMatching(/^job_/), count: 4 });

    const job = await waitForJob(started.json.job_id, key);
    expect(job.json).toMatchObject({ id: started.json.job_id, kind: "endpoint.retry_failed", status: "completed", total: 4, done: 4 });
    expect(job.json.filter).toMatchObject({ endpoint_id: ep.id, statuses: ["failed", "held"] });

    // Released: a fresh policy run (attempts_in_run 0) and a newer row; the endpoint is still disabled, so
    // its EndpointDO holds them again rather than attempting them.
    const released = await deliveryRows([...failed, ...held]);
    for (const row of released.values()) {
      expect(row.attempts_in_run).toBe(0);
      expect(row.updated_at).toBeGreaterThan(now - 1000);
      expect(["pending", "held"]).toContain(row.status);
    }
    // Outside the window, not failed/held, or another endpoint's: untouched.
    expect(await deliveryRows([tooOld!, succeeded!, elsewhere!])).toEqual(before);

    // No body means no window; only the one left (too old) is counted now.
    const all = await call("POST", `/v1/endpoints/${other.id}/retry-failed`, { key });
    expect(all.status).toBe(202);
    expect(all.json.count).toBe(1);
    expect((await waitForJob(all.json.job_id, key)).json).toMatchObject({ status: "completed", total: 1, done: 1 });
  });

  it("answers a selection of nothing with count 0 and an already completed job", async () => {
    const ep = await seedEndpoint("br-empty");
    const res = await call("POST", `/v1/endpoints/${ep.id}/retry-failed`, { body: {} });
    expect(res.status).toBe(202);
    expect(res.json.count).toBe(0);
    expect((await call("GET", `/v1/jobs/${res.json.job_id}`)).json).toMatchObject({ status: "completed", total: 0, done: 0 });
  });

  it("refuses bad input and other owners' endpoints and jobs", async () => {
    const ep = await seedEndpoint("br-owner");
    const key = await createOwnerKey("br-owner");
    const stranger = await createOwnerKey("br-stranger");
    const path = `/v1/endpoints/${ep.id}/retry-failed`;
    expectProblem(await call("POST", path, { key: null, body: {} }), 401, "unauthorized");
    expectProblem(await call("POST", path, { key: stranger, body: {} }), 404, "not_found");
    expectProblem(await call("POST", "/v1/endpoints/ep_00000000000000000000000000/retry-failed", { body: {} }), 404, "not_found");
    expectProblem(await call("POST", path, { key, rawBody: "{oops" }), 400, "invalid_json");
    expectProblem(await call("POST", path, { key, body: { since: "yesterday" } }), 422, "validation_failed");
    expectProblem(await call("POST", path, { key, body: { extra: 1 } }), 422, "validation_failed");
    const order = expectProblem(
      await call("POST", path, { key, body: { since: "2026-11-29T10:00:00Z", until: "2026-11-29T09:00:00Z" } }),
      422,
      "validation_failed",
    );
    expect(order.errors[0].path).toBe("until");

    const mine = await call("POST", path, { key, body: {} });
    expectProblem(await call("GET", `/v1/jobs/${mine.json.job_id}`, { key: stranger }), 404, "not_found");
    expect((await call("GET", `/v1/jobs/${mine.json.job_id}`, { key })).status).toBe(200);
    expectProblem(await call("GET", "/v1/jobs/job_00000000000000000000000000"), 404, "not_found");
    expectProblem(await call("GET", "/v1/jobs/nope"), 404, "not_found");
    expectProblem(await call("GET", `/v1/jobs/${mine.json.job_id}`, { key: null }), 401, "unauthorized");
    expect((await call("GET", "/v1/jobs", { key })).json.data.map((j: any) => j.id)).toContain(mine.json.job_id);
    expect((await call("GET", "/v1/jobs", { key: stranger })).json.data).toEqual([]);
  });
});

describe("POST /v1/deliveries/retry", () => {
  it("retries by status across an owner's endpoints; scoped to the key's owner", async () => {
    const key = await createOwnerKey("br-bulk");
    const a = await seedEndpoint("br-bulk");
    const b = await seedEndpoint("br-bulk");
    const foreign = await seedEndpoint("br-bulk-other");
    const now = Date.now();
    const heldA = await seedDeliveries(a, "held", [now - HOUR, now - 2 * HOUR]);
    const heldB = await seedDeliveries(b, "held", [now - HOUR]);
    await seedDeliveries(b, "failed", [now - HOUR]);
    const [foreignHeld] = await seedDeliveries(foreign, "held", [now - HOUR]);
    const foreignBefore = await deliveryRows([foreignHeld!]);

    const res = await call("POST", "/v1/deliveries/retry", { key, body: { status: "held" } });
    expect(res.status).toBe(202);
    expect(res.json.count).toBe(3);
    expect((await waitForJob(res.json.job_id, key)).json).toMatchObject({ kind: "deliveries.retry", status: "completed", total: 3, done: 3 });
    for (const row of (await deliveryRows([...heldA, ...heldB])).values()) expect(row.updated_at).toBeGreaterThan(now - 1000);
    expect(await deliveryRows([foreignHeld!])).toEqual(foreignBefore);

    const one = await call("POST", "/v1/deliveries/retry", { key, body: { status: "failed", endpoint_id: b.id } });
    expect(one.json.count).toBe(1);

    expectProblem(await call("POST", "/v1/deliveries/retry", { key, body: { status: "held", owner_id: "br-bulk-other" } }), 403, "forbidden");
    expectProblem(await call("POST", "/v1/deliveries/retry", { key, body: { status: "held", endpoint_id: foreign.id } }), 404, "not_found");
    expectProblem(await call("POST", "/v1/deliveries/retry", { key, body: { status: "succeeded" } }), 422, "validation_failed");
    expectProblem(await call("POST", "/v1/deliveries/retry", { key, body: {} }), 422, "validation_failed");
    expectProblem(await call("POST", "/v1/deliveries/retry", { key, rawBody: "[" }), 400, "invalid_json");
    expectProblem(await call("POST", "/v1/deliveries/retry", { key: null, body: { status: "held" } }), 401, "unauthorized");
  });
});

describe("the job walk", () => {
  it("hands every selected delivery to retryDeliveries exactly once, in chunks, and survives a failed chunk", async () => {
    const ep = await seedEndpoint("br-walk");
    const now = Date.now();
    const ids = await seedDeliveries(ep, "failed", Array.from({ length: 230 }, (_, i) => now - HOUR - i * 1000));
    const calls: string[][] = [];
    let failOnce = true;
    const flaky: RetryFn = async (e, chunk) => {
      if (calls.length === 1 && failOnce) {
        failOnce = false;
        throw new Error("DO unavailable");
      }
      calls.push(chunk);
      return retryDeliveries(e, chunk);
    };
    const job = await startRetryJob(env, { kind: "endpoint.retry_failed", ownerId: "br-walk", selection: { statuses: ["failed", "held"], endpointId: ep.id } }, systemClock);
    expect(job.total).toBe(230);

    // One failed chunk is retried in place (the job fails only after repeated errors).
    const finished = await runRetryJob(env, job.id, flaky, systemClock);
    expect(finished).toMatchObject({ status: "completed", total: 230, done: 230 });
    expect(calls.map((c) => c.length)).toEqual([100, 100, 30]);
    const flat = calls.flat();
    expect(new Set(flat).size).toBe(230);
    expect([...flat].sort()).toEqual([...ids].sort());
  });

  it("is resumed by the cron once stale, without retrying a delivery twice; fails after repeated errors", async () => {
    const ep = await seedEndpoint("br-resume");
    const now = Date.now();
    await seedDeliveries(ep, "held", Array.from({ length: 150 }, (_, i) => now - HOUR - i * 1000));
    const seen: string[] = [];
    const recording: RetryFn = async (e, chunk) => {
      seen.push(...chunk);
      return retryDeliveries(e, chunk);
    };
    const job = await startRetryJob(env, { kind: "deliveries.retry", ownerId: "br-resume", selection: { statuses: ["held"], endpointId: ep.id } }, systemClock);
    // A runner that stops after one chunk (its isolate went away).
    await runRetryJob(env, job.id, recording, systemClock, { maxChunks: 1 });
    const partial = (await call("GET", `/v1/jobs/${job.id}`)).json;
    expect(partial.status).toBe("running");
    expect(partial.done).toBe(100);

    // Not stale yet: the cron leaves it alone.
    expect(await resumeStaleJobs(env, recording, systemClock)).toBe(0);
    const later = { now: () => Date.now() + JOB_STALE_MS + 1000 };
    expect(await resumeStaleJobs(env, recording, later)).toBeGreaterThanOrEqual(1);
    expect((await call("GET", `/v1/jobs/${job.id}`)).json).toMatchObject({ status: "completed", total: 150, done: 150 });
    expect(seen).toHaveLength(150);
    expect(new Set(seen).size).toBe(150);

    const ep2 = await seedEndpoint("br-broken");
    await seedDeliveries(ep2, "failed", [now - HOUR]);
    const broken: RetryFn = async () => {
      throw new Error("D1 overloaded");
    };
    const doomed = await startRetryJob(env, { kind: "deliveries.retry", ownerId: "br-broken", selection: { statuses: ["failed"], endpointId: ep2.id } }, systemClock);
    const failed = await runRetryJob(env, doomed.id, broken, systemClock);
    expect(failed).toMatchObject({ status: "failed", done: 0 });
    expect(failed!.error).toContain("D1 overloaded");
    expect((await call("GET", `/v1/jobs/${doomed.id}`)).json.error).toContain("D1 overloaded");
  });

  it("logs the outcomes of a batch retry of more than 100 of one endpoint's deliveries to history", async () => {
    const ep = await seedEndpoint("br-many");
    const now = Date.now();
    const ids = await seedDeliveries(ep, "failed", Array.from({ length: 150 }, (_, i) => now - HOUR - i * 1000));
    const job = await startRetryJob(env, { kind: "deliveries.retry", ownerId: "br-many", selection: { statuses: ["failed"], endpointId: ep.id } }, systemClock);
    expect(await runRetryJob(env, job.id, retryDeliveries, systemClock)).toMatchObject({ status: "completed", done: 150 });
    const stub = endpointStub(env, ep.id);
    for (let i = 0; i < 50 && (await stub.inspect()).work > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await stub.inspect()).toMatchObject({ work: 0, unlogged: 0 });
    const rows = await deliveryRows(ids);
    expect([...rows.values()].every((r) => r.status === "held" && r.attempts_in_run === 0)).toBe(true);
  });
});
