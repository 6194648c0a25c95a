// Rate limits end to end through a real `wrangler dev` (ingest → queue → fanout → EndpointDO) against real
// receivers on 127.0.0.1 that record arrival times: the token bucket's exactness and sustained rate, a
// Retry-After pause, and isolation of a limited endpoint from an unlimited one.
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

async function endpoint(owner: string, r: Receiver, extra: Record<string, unknown>, eventTypes: string[]) {
  const created = await worker.api("POST", "/v1/endpoints", { url: `${r.url}/hook`, owner_id: owner, ...extra });
  expect(created.status, created.text).toBe(201);
  const sub = await worker.api("POST", "/v1/subscriptions", { endpoint_id: created.json.id, event_types: eventTypes });
  expect(sub.status, sub.text).toBe(201);
  return created.json as { id: string };
}

/** Sends `count` events in batches of 100. */
async function sendEvents(owner: string, eventType: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    const events = [];
    for (let j = i; j < Math.min(count, i + 100); j++) events.push({ payload: { seq: j }, owner_id: owner, event_type: eventType });
    const res = await worker.api("POST", "/v1/events/batch", { events });
    expect(res.status, res.text).toBe(202);
  }
}

/** The most arrivals in any half-open window [t, t + windowMs) that starts at an arrival, counting only those that pass `counted`. */
function maxInWindow(times: number[], windowMs: number, counted: (index: number) => boolean = () => true): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let n = 0;
    for (let j = i; j < times.length && times[j]! < times[i]! + windowMs; j++) if (counted(j)) n++;
    best = Math.max(best, n);
  }
  return best;
}

describe("rate limits (wrangler dev)", () => {
  it("5 requests/second over a 300-event backlog: no 1-second window over 5 beyond the initial burst, ≥95% sustained", async () => {
    const r = await receiver();
    const ep = await endpoint("rl-exact", r, { rate_limit: { requests: 5, per_seconds: 1 } }, ["rl.exact"]);
    // `wrangler dev` restarts the runtime when a source file changes (other work in a shared checkout): the
    // object is killed mid-drain and its watchdog brings it back ~15 s later. Such restarts are noted so
    // that a stall they caused is not counted against the limiter's sustained rate (and is reported).
    const reloads: number[] = [];
    const countReloads = () => worker.logs.join("").split(/Reloading local server|Detected changes, restarted server/).length - 1;
    const baseline = countReloads();
    const watcher = setInterval(() => {
      while (baseline + reloads.length < countReloads()) reloads.push(Date.now());
    }, 100);
    await sendEvents("rl-exact", "rl.exact", 300);

    // Midway, the endpoint shows the limit it is held to and the backlog waiting for tokens.
    await waitFor(async () => r.received.length >= 50, 60_000);
    const mid = await worker.api("GET", `/v1/endpoints/${ep.id}`);
    expect(mid.status).toBe(200);
    expect(mid.json.delivery_state).toMatchObject({ effective_rate_per_second: 5, configured_rate_per_second: 5, paused_until: null });
    expect(mid.json.delivery_state.pending).toBeGreaterThan(100);

    await waitFor(async () => r.received.length >= 300, 120_000).finally(() => clearInterval(watcher));
    const times = r.received.map((q) => q.at).sort((a, b) => a - b);
    const burst = 5;
    // Every window that starts after the burst, and the paced arrivals of every window at all.
    const maxAfterBurst = maxInWindow(times.slice(burst), 1000);
    const maxPaced = maxInWindow(times, 1000, (j) => j >= burst);
    const maxAny = maxInWindow(times, 1000);
    const paced = times.slice(burst);
    const gaps = paced.slice(1).map((t, i) => t - paced[i]!);
    // A gap during which the runtime restarted is left out of the sustained rate (never out of the window checks).
    const restartGaps = gaps.filter((g, i) => reloads.some((t) => t >= paced[i]! - 1000 && t <= paced[i + 1]!));
    const restartMs = restartGaps.reduce((a, b) => a + b, 0);
    const sustained = (paced.length - 1 - restartGaps.length) / ((paced.at(-1)! - paced[0]! - restartMs) / 1000);
    // Six paced arrivals closer than 1000 ms would be a window over 5: the tightest six show the headroom.
    const tightestSix = Math.min(...paced.slice(5).map((t, i) => t - paced[i]!));
    console.log(
      `rate limit 5/s, 300-event backlog: burst of ${burst} within ${times[burst - 1]! - times[0]!} ms; ` +
        `max arrivals in a 1 s window after the burst ${maxAfterBurst} (any window incl. the burst: ${maxAny}); ` +
        `sustained ${sustained.toFixed(3)}/s = ${((sustained / 5) * 100).toFixed(1)}% of the limit over ${((paced.at(-1)! - paced[0]!) / 1000).toFixed(1)} s; ` +
        `gap min ${Math.min(...gaps)} ms, max ${Math.max(...gaps)} ms; tightest 6 consecutive paced arrivals span ${tightestSix} ms`,
    );
    const stalls = gaps.map((g, i) => [g, paced[i]! - times[0]!] as const).filter(([g]) => g > 400);
    if (stalls.length > 0) console.log(`gaps over 400 ms (gap ms @ offset ms): ${stalls.map(([g, at]) => `${g}@${at}`).join(", ")}`);
    if (reloads.length > 0) {
      console.log(`wrangler dev restarted ${reloads.length}× during the run (a source file changed); left out of the sustained rate: ${restartGaps.length} gap(s), ${restartMs} ms`);
    }
    expect(maxAfterBurst).toBeLessThanOrEqual(5);
    expect(maxPaced).toBeLessThanOrEqual(5);
    expect(sustained).toBeGreaterThanOrEqual(0.95 * 5);
    expect(sustained).toBeLessThanOrEqual(5);

    // Waiting for tokens never counts as a failed attempt: 300 deliveries, 300 attempts, all succeeded.
    expect(r.received).toHaveLength(300);
    expect(new Set(r.received.map((q) => q.headers["hookrelay-delivery-id"])).size).toBe(300);
    const stats = await waitFor(async () => {
      const s = await worker.api("GET", `/v1/endpoints/${ep.id}/stats`);
      return s.json?.counts?.succeeded === 300 ? s : null;
    }, 30_000);
    expect(stats.json).toMatchObject({ counts: { succeeded: 300, failed: 0, retrying: 0 }, success_rate: 1, attempts: { total: 300, failed: 0 } });
  });

  it("429 with Retry-After: 3 — nothing for 3 s, then delivery resumes; nothing lost; the 429 is one failed attempt", async () => {
    const r = await receiver();
    r.respondWith((_req, i, res) => {
      if (i === 0) res.writeHead(429, { "retry-after": "3" }).end("slow down");
      else res.writeHead(200).end("ok");
    });
    const ep = await endpoint(
      "rl-pause",
      r,
      { max_in_flight: 1, retry: { strategy: "constant", max_attempts: 3, delay_s: 1, jitter: false } },
      ["rl.pause"],
    );
    await sendEvents("rl-pause", "rl.pause", 10);
    await waitFor(async () => r.received.length >= 1, 30_000);
    const paused = await waitFor(async () => {
      const res = await worker.api("GET", `/v1/endpoints/${ep.id}`);
      return res.json?.delivery_state?.paused_until ? res : null;
    }, 5_000);
    const pausedUntil = Date.parse(paused.json.delivery_state.paused_until);

    await waitFor(async () => r.received.length >= 11, 30_000);
    const t429 = r.received[0]!.at;
    const later = r.received.slice(1).map((q) => q.at);
    const quiet = Math.min(...later) - t429;
    console.log(`429 Retry-After 3: next request ${quiet} ms after the 429; paused_until was ${pausedUntil - t429} ms after it`);
    expect(quiet).toBeGreaterThanOrEqual(2950);
    expect(quiet).toBeLessThan(6000);
    expect(pausedUntil - t429).toBeGreaterThanOrEqual(2950);

    const list = await waitFor(async () => {
      const res = await worker.api("GET", `/v1/deliveries?endpoint_id=${ep.id}&status=succeeded`);
      return res.json?.data?.length === 10 ? res : null;
    }, 20_000);
    const details = await Promise.all(list.json.data.map((d: any) => worker.api("GET", `/v1/deliveries/${d.id}`)));
    const codes = details.flatMap((d) => d.json.attempts.map((a: any) => a.status_code as number));
    expect(codes.filter((c) => c === 429)).toHaveLength(1);
    expect(codes.filter((c) => c === 200)).toHaveLength(10);
    const throttled = details.find((d) => d.json.attempts.some((a: any) => a.status_code === 429))!;
    expect(throttled.json.attempts.map((a: any) => a.status_code)).toEqual([429, 200]);
    expect(new Set(r.received.slice(1).map((q) => q.headers["hookrelay-delivery-id"])).size).toBe(10);
    const stats = await worker.api("GET", `/v1/endpoints/${ep.id}/stats`);
    expect(stats.json).toMatchObject({ counts: { succeeded: 10 }, attempts: { total: 11, succeeded: 10, failed: 1 } });
  });

  it("an endpoint limited to 1/s does not slow an unlimited one (both measured, and against the unlimited one alone)", async () => {
    const freeR = await receiver();
    await endpoint("rl-two", freeR, {}, ["two.shared", "two.free"]);
    // Baseline: the unlimited endpoint alone.
    const aloneAt = Date.now();
    await sendEvents("rl-two", "two.shared", 8);
    await sendEvents("rl-two", "two.free", 100);
    await waitFor(async () => freeR.received.length >= 108, 30_000);
    const aloneMs = Math.max(...freeR.received.map((q) => q.at)) - aloneAt;
    freeR.received.length = 0;

    const limitedR = await receiver();
    await endpoint("rl-two", limitedR, { rate_limit: { requests: 1, per_seconds: 1 } }, ["two.shared"]);
    const sentAt = Date.now();
    await sendEvents("rl-two", "two.shared", 8);
    await sendEvents("rl-two", "two.free", 100);
    await waitFor(async () => freeR.received.length >= 108, 30_000);
    const freeDone = Math.max(...freeR.received.map((q) => q.at));
    await waitFor(async () => limitedR.received.length >= 8, 30_000);
    const limited = limitedR.received.map((q) => q.at).sort((a, b) => a - b);
    const free = freeR.received.map((q) => q.at).sort((a, b) => a - b);
    const limitedRate = (limited.length - 1) / ((limited.at(-1)! - limited[0]!) / 1000);
    const freeRate = (free.length - 1) / Math.max(0.001, (free.at(-1)! - free[0]!) / 1000);
    console.log(
      `two endpoints: limited 1/s got 8 at ${limitedRate.toFixed(3)}/s (max ${maxInWindow(limited, 1000)} in any 1 s window); ` +
        `unlimited got 108 at ${freeRate.toFixed(1)}/s, all within ${freeDone - sentAt} ms of the first POST ` +
        `(alone: ${aloneMs} ms; the limited one had ${limited.filter((t) => t <= freeDone).length} by then)`,
    );
    expect(maxInWindow(limited, 1000)).toBe(1);
    expect(limitedRate).toBeGreaterThanOrEqual(0.95);
    expect(limitedRate).toBeLessThanOrEqual(1);
    // The unlimited endpoint finished before the limited one was allowed its third request, and no later
    // than it did alone (plus scheduling noise).
    expect(freeDone).toBeLessThan(limited[2]!);
    expect(freeDone - sentAt).toBeLessThan(aloneMs * 2 + 1000);
    expect(freeRate).toBeGreaterThan(20);
  });
});
