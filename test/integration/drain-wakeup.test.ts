// New work handed to an endpoint whose drain is waiting on a slow attempt starts at once when a slot is free:
// it used to wait for that attempt to end (at a steady stream, most of a delivery's time in the object).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { received, receiverUrl, script, seedDelivery, seedEndpoint, uniqueKey, waitFor, waitForStatus } from "./delivery-fixtures";

const SLOW_MS = 4_000;

describe("a drain waiting on its attempts", () => {
  it("starts work admitted meanwhile without waiting for the attempt in flight", async () => {
    const key = uniqueKey("wakeup");
    await script(key, [{ status: 200, delay_ms: SLOW_MS }, { status: 200 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 4 });
    const stub = endpointStub(env, ep.id);
    const slow = await seedDelivery(ep, { n: 1 });
    await stub.enqueue([slow]);
    await waitFor(async () => (await received(key)).length === 1, 10_000, 20);
    // The first attempt is held at the receiver for SLOW_MS; the drain waits on it with three slots free.
    const next = await seedDelivery(ep, { n: 2 });
    await stub.enqueue([next]);
    await waitForStatus(next.delivery_id, "succeeded", 15_000);
    const reqs = await received(key);
    expect(reqs.map((r) => JSON.parse(r.body).n)).toEqual([1, 2]);
    // Before the fix the second request left only once the first attempt ended: ≥ SLOW_MS apart.
    expect(reqs[1]!.at - reqs[0]!.at).toBeLessThan(SLOW_MS / 2);
    await waitForStatus(slow.delivery_id, "succeeded", 15_000);
  });
});
