// End to end through a real `wrangler dev`: retries held in the EndpointDO until due, manual retry over the
// API, and isolation of a hanging endpoint — with real receivers on 127.0.0.1.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { receiverPool, type Receiver } from "./support/receiver";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";

let worker: RunningWorker;
const receivers = receiverPool();

beforeAll(async () => {
  worker = await startWorker();
});
afterAll(async () => {
  await receivers.closeAll();
  await worker?.stop();
});

const receiver = (): Promise<Receiver> => receivers.start();

async function endpoint(owner: string, r: Receiver, extra: Record<string, unknown>, eventType: string) {
  const created = await worker.api("POST", "/v1/endpoints", { url: `${r.url}/hook`, owner_id: owner, ...extra });
  expect(created.status, created.text).toBe(201);
  const sub = await worker.api("POST", "/v1/subscriptions", { endpoint_id: created.json.id, event_types: [eventType] });
  expect(sub.status, sub.text).toBe(201);
  return created.json as { id: string; secret: string };
}

async function deliveryOf(eventId: string, endpointId: string) {
  const res = await worker.api("GET", `/v1/deliveries?event_id=${eventId}&endpoint_id=${endpointId}`);
  return res.json?.data?.[0] as { id: string; status: string } | undefined;
}

const constant1s = { strategy: "constant", max_attempts: 3, delay_s: 1, jitter: false };

describe("delivery retries (wrangler dev)", () => {
  it("fails twice then succeeds: 3 attempts ~1 s apart, same webhook-id, each verifiable; delivery succeeded", async () => {
    const r = await receiver();
    r.respondWith((_req, i, res) => {
      res.writeHead(i < 2 ? 503 : 200).end(i < 2 ? "not yet" : "ok");
    });
    const ep = await endpoint("retry-co", r, { retry: constant1s }, "flaky.test");
    const accepted = await worker.api("POST", "/v1/events", { payload: { n: 1 }, owner_id: "retry-co", event_type: "flaky.test" });
    expect(accepted.status).toBe(202);
    const eventId = accepted.json.id as string;

    const done = await waitFor(async () => {
      const d = await deliveryOf(eventId, ep.id);
      return d?.status === "succeeded" ? d : null;
    }, 30_000);
    expect(r.received).toHaveLength(3);
    expect(r.received.map((q) => q.headers["webhook-id"])).toEqual([eventId, eventId, eventId]);
    expect(r.received.map((q) => q.headers["hookrelay-attempt"])).toEqual(["1", "2", "3"]);
    for (const q of r.received) expect(new Webhook(ep.secret).verify(q.body, q.headers)).toEqual({ n: 1 });
    const gaps = [r.received[1]!.at - r.received[0]!.at, r.received[2]!.at - r.received[1]!.at];
    const detail = await worker.api("GET", `/v1/deliveries/${done.id}`);
    expect(detail.json.attempts.map((a: any) => a.status_code)).toEqual([503, 503, 200]);
    // The policy is judged on the object's own record of its attempts (one clock, ms precision): from the end
    // of one attempt to the start of the next. Arrival gaps at the receiver also carry the loopback's jitter
    // (up to ~100 ms measured on a loaded 2-core machine), so they are reported, not judged.
    const atts = detail.json.attempts as { started_at: string; duration_ms: number }[];
    const waits = [1, 2].map((k) => Date.parse(atts[k]!.started_at) - (Date.parse(atts[k - 1]!.started_at) + atts[k - 1]!.duration_ms));
    console.log(`e2e retry, constant 1 s policy: waits from an attempt's end to the next start ${waits.join(", ")} ms; arrival gaps ${gaps.join(", ")} ms`);
    // Never early; and not a queue batch wait (1 s) late on top of the 1 s — with half of that as room for a busy machine.
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(1000);
    expect((waits[0]! + waits[1]!) / 2).toBeLessThan(1800);
  });

  it("exhausted retries end failed; POST /v1/deliveries/{id}/retry delivers it", async () => {
    const r = await receiver();
    r.respondWith((_req, _i, res) => {
      res.writeHead(500).end("down");
    });
    const ep = await endpoint("exhaust-co", r, { retry: { ...constant1s, max_attempts: 2 } }, "exhaust.test");
    const accepted = await worker.api("POST", "/v1/events", { payload: { n: 2 }, owner_id: "exhaust-co", event_type: "exhaust.test" });
    const eventId = accepted.json.id as string;
    const failed = await waitFor(async () => {
      const d = await deliveryOf(eventId, ep.id);
      return d?.status === "failed" ? d : null;
    }, 30_000);
    expect(r.received).toHaveLength(2);

    r.respondWith((_req, _i, res) => {
      res.writeHead(204).end();
    });
    const retried = await worker.api("POST", `/v1/deliveries/${failed.id}/retry`);
    expect(retried.status).toBe(202);
    await waitFor(async () => (await deliveryOf(eventId, ep.id))?.status === "succeeded", 30_000);
    expect(r.received).toHaveLength(3);
    expect(r.received[2]!.headers["hookrelay-attempt"]).toBe("3");
    expect(r.received[2]!.headers["webhook-id"]).toBe(eventId);
  });

  it("a hanging endpoint does not delay another endpoint's deliveries", async () => {
    const hang = await receiver();
    hang.respondWith(async (_req, _i, res) => {
      await new Promise((resolve) => setTimeout(resolve, 6000));
      if (!res.destroyed) res.writeHead(200).end("too late");
    });
    const fast = await receiver();
    const slowEp = await endpoint("iso-co", hang, { timeout_ms: 2000, max_in_flight: 1, retry: { ...constant1s, max_attempts: 1 } }, "iso.test");
    await endpoint("iso-co", fast, {}, "iso.test");

    const sentAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      sentAt.push(Date.now());
      const res = await worker.api("POST", "/v1/events", { payload: { i }, owner_id: "iso-co", event_type: "iso.test" });
      expect(res.status).toBe(202);
    }
    await waitFor(async () => fast.received.length === 4, 30_000);
    const fastLatencies = fast.received.map((q) => q.at - sentAt[JSON.parse(q.body).i as number]!);
    // The hanging endpoint works through its 4 deliveries one at a time, 2 s each.
    await waitFor(async () => {
      const res = await worker.api("GET", `/v1/deliveries?endpoint_id=${slowEp.id}&status=failed`);
      return res.json?.data?.length === 4;
    }, 40_000);
    const slowList = await worker.api("GET", `/v1/deliveries?endpoint_id=${slowEp.id}`);
    const slowDetails = await Promise.all(slowList.json.data.map((d: any) => worker.api("GET", `/v1/deliveries/${d.id}`)));
    const slowDurations = slowDetails.map((d) => d.json.attempts[0].duration_ms as number);
    const slowSpan = Math.max(...hang.received.map((q) => q.at)) - Math.min(...hang.received.map((q) => q.at));
    console.log(
      `e2e isolation: other endpoint latency POST→receiver (ms) ${fastLatencies.join(", ")}; hanging endpoint attempts (ms) ${slowDurations.join(", ")}, its 4 attempts spanned ${slowSpan} ms`,
    );
    for (const d of slowDurations) expect(d).toBeGreaterThanOrEqual(1900);
    for (const l of fastLatencies) expect(l).toBeLessThan(3000);
    // Every fast delivery arrived before the hanging endpoint had even started its last attempt.
    expect(Math.max(...fast.received.map((q) => q.at))).toBeLessThan(Math.max(...hang.received.map((q) => q.at)));
    expect(slowDetails.every((d) => d.json.attempts[0].error === "timeout")).toBe(true);
  });
});
