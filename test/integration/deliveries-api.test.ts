// /v1/deliveries: filters, owner scoping, pagination, detail with attempts, retry, and bad input.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { DeliveryWork } from "../../src/delivery/contracts";
import { endpointStub } from "../../src/delivery/endpoint-client";
import type { Env } from "../../src/env";
import { writeDeliveries } from "../../src/history/delivery-history";
import { rememberOwners } from "../../src/history/event-history";
import type { DeliveryStatus } from "../../src/history/records";
import { call, createOwnerKey, expectProblem } from "./helpers";
import { deliveryRow, received, receiverUrl, seedDelivery, seedEndpoint, uniqueKey, waitForStatus } from "./delivery-fixtures";

const HOUR = 3_600_000;

/**
 * Hands deliveries to their EndpointDO due in an hour: they stay in flight (pending, or retrying after an
 * attempt). Their owners go in the owners directory, as the fanout consumer does, so event ids resolve.
 */
async function parkInFlight(works: DeliveryWork[], status: "pending" | "retrying" = "pending"): Promise<void> {
  await rememberOwners(env as unknown as Env, works.map((w) => w.owner_id));
  const due = Date.now() + HOUR;
  for (const w of works) {
    const attempts = status === "retrying" ? 1 : 0;
    await endpointStub(env, w.endpoint_id).enqueue([{ ...w, attempts, attempts_in_run: attempts, due_at: due }]);
  }
}

/** Records a delivery in history as finished with `status` (what the EndpointDO writes at its final state). */
async function finishInHistory(w: DeliveryWork, status: Exclude<DeliveryStatus, "pending" | "retrying">): Promise<void> {
  const now = Date.now();
  const attempt = { id: `att_${w.delivery_id.slice(4, 30)}`, attempt: 1, started_at: now, duration_ms: 12, status_code: status === "succeeded" ? 200 : 500, error: null, response_body: "" };
  await writeDeliveries(env as unknown as Env, [
    {
      id: w.delivery_id, event_id: w.event_id, endpoint_id: w.endpoint_id, owner_id: w.owner_id, event_type: w.event_type, status,
      attempt_count: status === "held" ? 0 : 1, attempts_in_run: status === "held" ? 0 : 1, next_attempt_at: null,
      last_status_code: status === "held" ? null : attempt.status_code, last_error: null, last_duration_ms: status === "held" ? null : 12,
      event_accepted_at: w.accepted_at, created_at: w.accepted_at, updated_at: now, completed_at: status === "held" ? null : now,
      attempts: status === "held" ? [] : [attempt], attempts_dropped: 0,
    },
  ]);
}

describe("/v1/deliveries", () => {
  it("lists newest first with endpoint, event and status filters and a cursor", async () => {
    const owner = uniqueKey("lister");
    const ep1 = await seedEndpoint({ ownerId: owner, url: receiverUrl(owner) });
    const ep2 = await seedEndpoint({ ownerId: owner, url: receiverUrl(owner) });
    const a = await seedDelivery(ep1);
    const b = await seedDelivery(ep1);
    const c = await seedDelivery(ep2);
    await parkInFlight([a, b, c]);

    const all = await call("GET", `/v1/deliveries?owner_id=${owner}`);
    expect(all.status).toBe(200);
    expect(all.json.data.map((d: any) => d.id)).toEqual([c.delivery_id, b.delivery_id, a.delivery_id]);
    expect(all.json.data[0]).toMatchObject({ endpoint_id: ep2.id, event_id: c.event_id, owner_id: owner, status: "pending", attempt_count: 0 });

    const byEndpoint = await call("GET", `/v1/deliveries?endpoint_id=${ep1.id}`);
    expect(byEndpoint.json.data.map((d: any) => d.id)).toEqual([b.delivery_id, a.delivery_id]);
    const byEvent = await call("GET", `/v1/deliveries?event_id=${a.event_id}`);
    expect(byEvent.json.data.map((d: any) => d.id)).toEqual([a.delivery_id]);
    const none = await call("GET", `/v1/deliveries?owner_id=${owner}&status=succeeded`);
    expect(none.json.data).toEqual([]);

    const first = await call("GET", `/v1/deliveries?owner_id=${owner}&limit=2`);
    expect(first.json.data).toHaveLength(2);
    const second = await call("GET", `/v1/deliveries?owner_id=${owner}&limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.data.map((d: any) => d.id)).toEqual([a.delivery_id]);
    expect(second.json.next_cursor).toBeNull();
  });

  it("pages one endpoint's deliveries newest first across statuses (in flight in its EndpointDO and finished in history, merged)", async () => {
    const owner = uniqueKey("mixed");
    const ep = await seedEndpoint({ ownerId: owner, url: receiverUrl(owner) });
    const statuses = ["succeeded", "pending", "failed", "succeeded", "held", "retrying", "succeeded"] as const;
    const ids: string[] = [];
    for (const status of statuses) {
      const w = await seedDelivery(ep);
      if (status === "pending" || status === "retrying") await parkInFlight([w], status);
      else await finishInHistory(w, status);
      ids.push(w.delivery_id);
    }
    const newestFirst = [...ids].sort().reverse();
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res = await call("GET", `/v1/deliveries?endpoint_id=${ep.id}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      seen.push(...res.json.data.map((d: any) => d.id));
      cursor = res.json.next_cursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(newestFirst);
    for (const status of new Set(statuses)) {
      const res = await call("GET", `/v1/deliveries?endpoint_id=${ep.id}&status=${status}`);
      expect(res.json.data.map((d: any) => d.id), status).toEqual(newestFirst.filter((id) => statuses[ids.indexOf(id)] === status));
      expect(res.json.data.every((d: any) => d.status === status)).toBe(true);
    }
  });

  it("an owner key sees only its owner's deliveries; other owners' ids are 404, naming them is 403", async () => {
    const mine = uniqueKey("mine");
    const theirs = uniqueKey("theirs");
    const key = await createOwnerKey(mine);
    const myEp = await seedEndpoint({ ownerId: mine, url: receiverUrl(mine) });
    const theirEp = await seedEndpoint({ ownerId: theirs, url: receiverUrl(theirs) });
    const own = await seedDelivery(myEp);
    const foreign = await seedDelivery(theirEp);
    await parkInFlight([own, foreign]);

    const list = await call("GET", "/v1/deliveries", { key });
    expect(list.json.data.map((d: any) => d.id)).toEqual([own.delivery_id]);
    // Another owner's endpoint is answered like an unknown one: nothing of it shows.
    const filtered = expectProblem(await call("GET", `/v1/deliveries?endpoint_id=${theirEp.id}`, { key }), 404, "not_found");
    expect(filtered.detail).toBe(expectProblem(await call("GET", `/v1/deliveries?endpoint_id=ep_${"0".repeat(26)}`, { key }), 404, "not_found").detail);
    // Nor does another owner's event.
    expect((await call("GET", `/v1/deliveries?event_id=${foreign.event_id}`, { key })).json).toEqual({ data: [], next_cursor: null });
    expectProblem(await call("GET", `/v1/deliveries?owner_id=${theirs}`, { key }), 403, "forbidden");
    expectProblem(await call("GET", `/v1/deliveries/${foreign.delivery_id}`, { key }), 404, "not_found");
    expectProblem(await call("POST", `/v1/deliveries/${foreign.delivery_id}/retry`, { key }), 404, "not_found");
    // The refused retry changed nothing.
    const untouched = await deliveryRow(foreign.delivery_id);
    expect(untouched!.updatedAt).toBe(untouched!.createdAt);
    expect((await call("GET", `/v1/deliveries/${own.delivery_id}`, { key })).status).toBe(200);
  });

  it("shows a delivery's attempts oldest first in the documented shape", async () => {
    const k = uniqueKey("detail");
    const ep = await seedEndpoint({ url: receiverUrl(k) });
    const work = await seedDelivery(ep);
    await endpointStub(env, ep.id).enqueue([work]);
    await waitForStatus(work.delivery_id, "succeeded");
    const res = await call("GET", `/v1/deliveries/${work.delivery_id}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: work.delivery_id, status: "succeeded", attempt_count: 1 });
    expect(Object.keys(res.json.attempts[0]).sort()).toEqual(
      ["attempt", "duration_ms", "error", "id", "response_body", "started_at", "status_code"].sort(),
    );
    expect(res.json.attempts[0]).toMatchObject({ attempt: 1, status_code: 200, error: null, response_body: "ok" });
    expect(res.json.attempts[0].id).toMatch(/^att_/);
    expect(Date.parse(res.json.attempts[0].started_at)).not.toBeNaN();
    expect(await received(k)).toHaveLength(1);
  });

  it("retries a failed delivery from history: pending again at once, then attempted; its attempts continue the history's", async () => {
    const k = uniqueKey("retry");
    const ep = await seedEndpoint({ url: receiverUrl(k) });
    const w = await seedDelivery(ep, { again: true });
    await rememberOwners(env as unknown as Env, [w.owner_id]);
    await finishInHistory(w, "failed");
    expect((await call("GET", `/v1/deliveries/${w.delivery_id}`)).json).toMatchObject({ status: "failed", attempt_count: 1 });

    const res = await call("POST", `/v1/deliveries/${w.delivery_id}/retry`);
    expect(res.status, res.text).toBe(202);
    expect(res.json).toMatchObject({ id: w.delivery_id, attempts_in_run: 0, attempt_count: 1 });
    expect(["pending", "succeeded"]).toContain(res.json.status);
    await waitForStatus(w.delivery_id, "succeeded");
    const detail = await call("GET", `/v1/deliveries/${w.delivery_id}`);
    expect(detail.json).toMatchObject({ status: "succeeded", attempt_count: 2, attempts_in_run: 1, last_status_code: 200 });
    expect(detail.json.attempts.map((a: any) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    const got = await received(k);
    expect(got).toHaveLength(1);
    expect(got[0]!.body).toBe('{"again":true}');
  });

  it("answers bad input with the documented problems", async () => {
    expectProblem(await call("GET", "/v1/deliveries?cursor=garbage!"), 400, "invalid_cursor");
    expectProblem(await call("GET", "/v1/deliveries?limit=0"), 422, "validation_failed");
    expectProblem(await call("GET", "/v1/deliveries?limit=501"), 422, "validation_failed");
    const bad = expectProblem(await call("GET", "/v1/deliveries?status=done"), 422, "validation_failed");
    expect(bad.errors.map((e: any) => e.path)).toContain("status");
    expectProblem(await call("GET", "/v1/deliveries/dlv_00000000000000000000000000"), 404, "not_found");
    // Well-formed (it names an endpoint and a day) but unknown.
    expectProblem(await call("GET", `/v1/deliveries/dlv_${"0".repeat(46)}`), 404, "not_found");
    expectProblem(await call("GET", "/v1/deliveries/not-an-id"), 404, "not_found");
    expectProblem(await call("POST", "/v1/deliveries/dlv_00000000000000000000000000/retry"), 404, "not_found");
    expectProblem(await call("GET", "/v1/deliveries", { key: null }), 401, "unauthorized");
  });

  it("needs endpoint_id, event_id or owner_id with the admin key: history is kept per endpoint (422)", async () => {
    for (const query of ["", "?status=failed", "?limit=10"]) {
      const problem = expectProblem(await call("GET", `/v1/deliveries${query}`), 422, "validation_failed");
      expect(problem.errors.map((e: any) => e.path)).toContain("endpoint_id");
    }
    // Each of the three is enough; an unknown endpoint is 404, an unknown event lists nothing.
    const owner = uniqueKey("named");
    const ep = await seedEndpoint({ ownerId: owner, url: receiverUrl(owner) });
    const w = await seedDelivery(ep);
    await parkInFlight([w]);
    for (const query of [`owner_id=${owner}`, `endpoint_id=${ep.id}`, `event_id=${w.event_id}`]) {
      const res = await call("GET", `/v1/deliveries?${query}`);
      expect(res.status, query).toBe(200);
      expect(res.json.data.map((d: any) => d.id)).toEqual([w.delivery_id]);
    }
    expectProblem(await call("GET", `/v1/deliveries?endpoint_id=ep_${"0".repeat(26)}`), 404, "not_found");
    expect((await call("GET", `/v1/deliveries?event_id=evt_${"0".repeat(26)}`)).json).toEqual({ data: [], next_cursor: null });
    // An owner key names its owner by itself.
    const key = await createOwnerKey(owner);
    expect((await call("GET", "/v1/deliveries", { key })).json.data.map((d: any) => d.id)).toEqual([w.delivery_id]);
  });
});
