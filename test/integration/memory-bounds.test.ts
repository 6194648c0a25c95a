// Issue 20: nothing is kept per delivery after it is done. An EndpointDO that has delivered many events holds
// in memory only what is bounded by design (in-flight work, outcomes not yet logged, the last 50 start times),
// and its storage keeps no row per finished delivery.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { MAX_FRESH_ITEMS } from "../../src/delivery/fresh-work";
import { received, receiverUrl, script, seedDeliveries, seedEndpoint, uniqueKey, waitFor, waitForStatus } from "./delivery-fixtures";

describe("memory and storage stay bounded after many deliveries", () => {
  it("an EndpointDO that delivered 600 events keeps no per-delivery state", async () => {
    const key = uniqueKey("bounded");
    const ep = await seedEndpoint({ url: receiverUrl(key) });
    const stub = endpointStub(env, ep.id);
    const works = await seedDeliveries(ep, 600);
    for (let i = 0; i < works.length; i += 100) await stub.enqueue(works.slice(i, i + 100));
    await waitFor(async () => ((await received(key)).length >= 600 ? true : undefined), 120_000, 200);
    await waitForStatus(works[works.length - 1]!.delivery_id, "succeeded", 60_000);
    const state = await waitFor(async () => {
      const s = await stub.inspect();
      return s.work === 0 && s.unlogged === 0 ? s : undefined;
    }, 30_000);
    // Every delivery left the object: no in-flight row, no outcome waiting, no due key, no attempt in flight.
    expect(state.memory).toMatchObject({ dueKeys: 0, unlogged: 0, busy: 0, fresh: 0, freshBytes: 0, recovered: 0 });
    // The one per-attempt memory the object keeps is a fixed-size window of start times.
    expect(state.memory.sendTimes).toBeLessThanOrEqual(50);
  }, 180_000);

  it("fresh work kept in memory is capped: past 1,000 waiting deliveries new ones are stored as rows", async () => {
    const key = uniqueKey("fresh-cap");
    // A slow receiver and one request at a time: the backlog waits in the object.
    await script(key, [{ status: 200, delay_ms: 2000 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 1, timeoutMs: 5000 });
    const stub = endpointStub(env, ep.id);
    const works = await seedDeliveries(ep, MAX_FRESH_ITEMS + 50);
    for (let i = 0; i < works.length; i += 200) await stub.enqueue(works.slice(i, i + 200));
    const state = await stub.inspect();
    expect(state.memory.fresh).toBe(MAX_FRESH_ITEMS);
    expect(state.work).toBe(works.length);
    // Payload bytes in memory are bounded too.
    expect(state.memory.freshBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    await stub.configChanged();
  }, 120_000);
});
