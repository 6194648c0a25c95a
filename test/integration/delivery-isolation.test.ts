// Isolation and durability: a hanging endpoint does not delay another; an object killed mid-drain loses nothing.
import { abortAllDurableObjects, evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { attemptRows, received, receiverUrl, script, seedDelivery, seedEndpoint, uniqueKey, waitFor, waitForStatus } from "./delivery-fixtures";

const once = { strategy: "constant" as const, max_attempts: 1, delay_s: 1, max_delay_s: 60, jitter: false };

describe("isolation", () => {
  it("a receiver that hangs past its timeout does not delay another endpoint's deliveries", async () => {
    const slowKey = uniqueKey("hang");
    const fastKey = uniqueKey("fast");
    // The slow endpoint's attempts hang for their whole 5 s timeout: the fast delivery must arrive inside that
    // window. A margin of seconds, not a latency bound, so a loaded machine cannot fail it.
    await script(slowKey, [{ status: 200, delay_ms: 8000 }]);
    const slow = await seedEndpoint({ url: receiverUrl(slowKey), timeoutMs: 5000, retry: once, maxInFlight: 4 });
    const fast = await seedEndpoint({ url: receiverUrl(fastKey) });
    const slowWork = [];
    for (let i = 0; i < 4; i++) slowWork.push(await seedDelivery(slow, { i }));
    const fastWork = await seedDelivery(fast);

    await endpointStub(env, slow.id).enqueue(slowWork);
    await waitFor(async () => (await received(slowKey)).length === 4);
    const fastEnqueuedAt = Date.now();
    await endpointStub(env, fast.id).enqueue([fastWork]);
    await waitForStatus(fastWork.delivery_id, "succeeded");
    const [fastReq] = await received(fastKey);
    const fastLatency = fastReq!.at - fastEnqueuedAt;

    for (const w of slowWork) await waitForStatus(w.delivery_id, "failed", 20_000);
    const slowDurations = (await Promise.all(slowWork.map((w) => attemptRows(w.delivery_id)))).map((a) => a[0]!.durationMs);
    console.log(`hanging endpoint attempt durations (ms): ${slowDurations.join(", ")}; other endpoint's latency enqueue→receiver: ${fastLatency} ms`);
    for (const d of slowDurations) expect(d).toBeGreaterThanOrEqual(4900);
    // The fast delivery arrived while the slow endpoint's attempts were still hanging.
    expect(fastReq!.at).toBeLessThan((await received(slowKey))[0]!.at + 4900);
  });
});

describe("durability", () => {
  it("an object aborted mid-drain loses nothing: every delivery still succeeds, no attempt recorded twice", async () => {
    const key = uniqueKey("abort");
    await script(key, [{ status: 200, delay_ms: 300 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 1, timeoutMs: 2000 });
    const works = [];
    for (let i = 0; i < 6; i++) works.push(await seedDelivery(ep, { i }));
    const stub = endpointStub(env, ep.id);
    await stub.enqueue(works);
    await waitFor(async () => (await received(key)).length >= 2);
    const abortedAt = Date.now();
    await abortAllDurableObjects();
    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 25_000);
    const recoveredMs = Date.now() - abortedAt;
    const reqs = await received(key);
    const perDelivery = new Map<string, number>();
    for (const r of reqs) perDelivery.set(r.headers["hookrelay-delivery-id"]!, (perDelivery.get(r.headers["hookrelay-delivery-id"]!) ?? 0) + 1);
    console.log(`abort mid-drain: ${reqs.length} requests for ${works.length} deliveries, all succeeded ${recoveredMs} ms after the abort`);
    expect(perDelivery.size).toBe(works.length);
    // At least once, and only the attempt cut off by the abort may have gone out twice.
    expect(reqs.length).toBeLessThanOrEqual(works.length + 1);
    for (const w of works) {
      const attempts = await attemptRows(w.delivery_id);
      // The attempt cut off by the abort is made again under the same number: at most one row per number.
      expect(new Set(attempts.map((a) => a.attempt)).size).toBe(attempts.length);
      expect(attempts.at(-1)!.statusCode).toBe(200);
    }
  });

  it("an object evicted mid-drain loses nothing", async () => {
    const key = uniqueKey("evict");
    await script(key, [{ status: 200, delay_ms: 200 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), maxInFlight: 1 });
    const works = [];
    for (let i = 0; i < 5; i++) works.push(await seedDelivery(ep, { i }));
    const stub = endpointStub(env, ep.id);
    await stub.enqueue(works);
    await waitFor(async () => (await received(key)).length >= 1);
    await evictDurableObject(stub).catch(() => {});
    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 25_000);
    const reqs = await received(key);
    expect(new Set(reqs.map((r) => r.headers["hookrelay-delivery-id"])).size).toBe(works.length);
  });
});
