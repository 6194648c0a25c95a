// Measured, not assumed: how fast the EndpointDO path drains to a real local receiver (figures are logged).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { findDeliveryViews } from "../../src/delivery/delivery-views";
import { endpointStub } from "../../src/delivery/endpoint-client";
import type { Env } from "../../src/env";
import { received, receiverUrl, seedDeliveries, seedEndpoint, uniqueKey, waitFor } from "./delivery-fixtures";

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function succeededCount(ids: string[]): Promise<number> {
  const views = await findDeliveryViews(env as unknown as Env, ids);
  return [...views.values()].filter((d) => d.status === "succeeded").length;
}

describe("throughput", () => {
  it("one endpoint (max_in_flight 4): 300 deliveries, latency enqueue→receiver and rate", async () => {
    const key = uniqueKey("tput1");
    const ep = await seedEndpoint({ url: receiverUrl(key) });
    const works = await seedDeliveries(ep, 300);
    const t0 = Date.now();
    await endpointStub(env, ep.id).enqueue(works);
    await waitFor(async () => (await received(key)).length >= 300, 60_000, 200);
    const reqs = await received(key);
    const last = Math.max(...reqs.map((r) => r.at));
    const latencies = reqs.map((r) => r.at - t0);
    const rate = (reqs.length / (last - t0)) * 1000;
    await waitFor(async () => (await succeededCount(works.map((w) => w.delivery_id))) === 300, 30_000, 200);
    const settled = Date.now() - t0;
    console.log(
      `one endpoint: 300 deliveries in ${last - t0} ms (${rate.toFixed(0)}/s); enqueue→receiver p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms; all 'succeeded' in history after ${settled} ms`,
    );
    expect(new Set(reqs.map((r) => r.headers["hookrelay-delivery-id"])).size).toBe(300);
    expect(rate).toBeGreaterThan(20);
  });

  it("10 endpoints × 50 deliveries drain in parallel", async () => {
    const eps: { key: string; ep: { id: string; ownerId: string } }[] = [];
    for (let i = 0; i < 10; i++) {
      const key = uniqueKey(`tput10-${i}`);
      eps.push({ key, ep: await seedEndpoint({ url: receiverUrl(key) }) });
    }
    const all = await Promise.all(eps.map(async ({ ep }) => seedDeliveries(ep, 50)));
    const t0 = Date.now();
    await Promise.all(eps.map(({ ep }, i) => endpointStub(env, ep.id).enqueue(all[i]!)));
    await waitFor(async () => (await Promise.all(eps.map(({ key }) => received(key)))).every((r) => r.length >= 50), 60_000, 200);
    const reqs = (await Promise.all(eps.map(({ key }) => received(key)))).flat();
    const last = Math.max(...reqs.map((r) => r.at));
    const rate = (reqs.length / (last - t0)) * 1000;
    console.log(`10 endpoints: ${reqs.length} deliveries in ${last - t0} ms (${rate.toFixed(0)}/s)`);
    expect(reqs).toHaveLength(500);
    expect(rate).toBeGreaterThan(20);
  });
});
