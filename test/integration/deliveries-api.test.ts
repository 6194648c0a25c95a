// /v1/deliveries: filters, owner scoping, pagination, detail with attempts, retry, and bad input.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deliveries } from "../../src/db/schema";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { call, createOwnerKey, expectProblem } from "./helpers";
import { db, deliveryRow, received, receiverUrl, seedDelivery, seedEndpoint, uniqueKey, waitForStatus } from "./delivery-fixtures";

describe("/v1/deliveries", () => {
  it("lists newest first with endpoint, event and status filters and a cursor", async () => {
    const owner = uniqueKey("lister");
    const ep1 = await seedEndpoint({ ownerId: owner, url: receiverUrl(owner) });
    const ep2 = await seedEndpoint({ ownerId: owner, url: receiverUrl(owner) });
    const a = await seedDelivery(ep1);
    const b = await seedDelivery(ep1);
    const c = await seedDelivery(ep2);

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

  it("pages one endpoint's deliveries newest first across statuses (merged from one query per status)", async () => {
    const owner = uniqueKey("mixed");
    const ep = await seedEndpoint({ ownerId: owner, url: receiverUrl(owner) });
    const statuses = ["succeeded", "pending", "failed", "succeeded", "held", "retrying", "succeeded"] as const;
    const ids: string[] = [];
    for (const status of statuses) {
      const w = await seedDelivery(ep);
      await db.update(deliveries).set({ status }).where(eq(deliveries.id, w.delivery_id));
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
    const succeeded = await call("GET", `/v1/deliveries?endpoint_id=${ep.id}&status=succeeded`);
    expect(succeeded.json.data.map((d: any) => d.id)).toEqual(newestFirst.filter((id) => statuses[ids.indexOf(id)] === "succeeded"));
  });

  it("an owner key sees only its owner's deliveries; other owners' ids are 404, naming them is 403", async () => {
    const mine = uniqueKey("mine");
    const theirs = uniqueKey("theirs");
    const key = await createOwnerKey(mine);
    const myEp = await seedEndpoint({ ownerId: mine, url: receiverUrl(mine) });
    const theirEp = await seedEndpoint({ ownerId: theirs, url: receiverUrl(theirs) });
    const own = await seedDelivery(myEp);
    const foreign = await seedDelivery(theirEp);

    const list = await call("GET", "/v1/deliveries", { key });
    expect(list.json.data.map((d: any) => d.id)).toEqual([own.delivery_id]);
    const filtered = await call("GET", `/v1/deliveries?endpoint_id=${theirEp.id}`, { key });
    expect(filtered.json.data).toEqual([]);
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

  it("answers bad input with the documented problems", async () => {
    expectProblem(await call("GET", "/v1/deliveries?cursor=garbage!"), 400, "invalid_cursor");
    expectProblem(await call("GET", "/v1/deliveries?limit=0"), 422, "validation_failed");
    expectProblem(await call("GET", "/v1/deliveries?limit=501"), 422, "validation_failed");
    const bad = expectProblem(await call("GET", "/v1/deliveries?status=done"), 422, "validation_failed");
    expect(bad.errors.map((e: any) => e.path)).toContain("status");
    expectProblem(await call("GET", "/v1/deliveries/dlv_00000000000000000000000000"), 404, "not_found");
    expectProblem(await call("GET", "/v1/deliveries/not-an-id"), 404, "not_found");
    expectProblem(await call("POST", "/v1/deliveries/dlv_00000000000000000000000000/retry"), 404, "not_found");
    expectProblem(await call("GET", "/v1/deliveries", { key: null }), 401, "unauthorized");
  });
});
