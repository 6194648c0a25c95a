// Rate-limit accuracy: endpoints with rate_limit N per second (1, 5, 20, 100) each get a long backlog that
// drains at the limit; the sustained rate is measured over the whole drain and compared with N, and every
// 1-second window of arrivals (the first included) is counted.
import { describeAnswer } from "../http.mjs";
import { r2 } from "../stats.mjs";
import { payloadFor } from "./ingest.mjs";
import { createEndpoints, disableEndpoints } from "./setup.mjs";

/** Limits measured, per second. Fixed here (not in the run profile) so that every run reports the same ones. */
export const RATE_LIMITS = [1, 5, 20, 100];
/** The endpoint's max_in_flight (the most the API allows). */
const MAX_IN_FLIGHT = 6;
/** Deliveries whose attempt durations are read after each drain. */
const ROUND_TRIP_SAMPLE = 100;

export async function runRateLimits(ctx) {
  const { profile } = ctx;
  // The backlog lasts 30 s at the limit in the full profile (6 s in --quick).
  const drainS = profile.rateWindowS >= 10 ? profile.rateWindowS * 3 : profile.rateWindowS * 2;
  // One limit at a time: locally every endpoint's object shares one workerd thread, and a 100/s drain next to
  // a 1/s one makes the 1/s one's timers fire tens of ms late — lateness that a sliding log (rightly) never
  // makes up, since each start waits for the actual start N before it.
  const limits = [];
  for (const limit of RATE_LIMITS) {
    const r = await measureOne(ctx, limit, drainS);
    if (r.skipped) return r;
    limits.push(r);
  }
  return { drain_s: drainS, limits };
}

async function measureOne(ctx, limit, drainS) {
  const { client, receiver } = ctx;
  const owner = `bench-rl-${limit}`;
  const eventType = `bench.rl.${limit}`;
  const path = `/rl/${limit}`;
  const [id] = await createEndpoints(ctx, { owner, eventType, paths: [path], rateLimit: limit });
  // The most connections allowed (6, not the default 4), so that the limit rather than round trips paces it: at 100/s a
  // loopback round trip of 30–40 ms on a loaded machine would otherwise cap it below the limit.
  const patched = await client.api("PATCH", `/v1/endpoints/${id}`, { max_in_flight: MAX_IN_FLIGHT });
  if (patched.status !== 200) return { skipped: true, reason: `PATCH /v1/endpoints/{id} answered ${describeAnswer(patched.status, patched.text)}` };
  // The first window's `limit` plus `drainS` seconds' worth at the limit.
  const total = limit * (drainS + 1);
  for (let i = 0; i < total; i += 100) {
    const events = Array.from({ length: Math.min(100, total - i) }, (_, k) => ({ payload: payloadFor(i + k), owner_id: owner, event_type: eventType }));
    const r = await client.request("POST", "/v1/events/batch", { body: { events } });
    if (r.status !== 202) return { skipped: true, reason: `POST /v1/events/batch answered ${describeAnswer(r.status, r.body)}` };
  }
  // Until the backlog has drained (bounded: half as long again, plus the fanout's start-up).
  await receiver.waitUntil(() => receiver.timesAt(path).length >= total, (drainS * 1.5 + 20) * 1000);
  await disableEndpoints(ctx, [id]);
  const times = [...receiver.timesAt(path)].sort((a, b) => a - b);
  const n = limit;
  if (times.length <= n + 1) {
    return { configured_per_s: n, observed_per_s: null, reason: `only ${times.length} arrivals of ${total} events within the time limit` };
  }
  // Arrivals after the first window over the time from the end of the initial burst to the last arrival.
  // The limiter sends in groups (each start waits for the one N before it to leave the window), so a
  // fixed measuring window would count a whole group in or out; the drain's own ends do not.
  const observed = (times.length - n) / ((times.at(-1) - times[n - 1]) / 1000);
  // The same over the last two thirds of the drain: by then the whole backlog has long been fanned out
  // to the endpoint's object, so a slow start (the backlog still arriving) does not count against it.
  const k = Math.min(times.length - 2, Math.max(n - 1, Math.floor(times.length / 3 / n) * n - 1));
  const steady = (times.length - 1 - k) / ((times.at(-1) - times[k]) / 1000);
  let maxInAnySecond = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[j] <= times[i] - 1000) j++;
    maxInAnySecond = Math.max(maxInAnySecond, i - j + 1);
  }
  const rt = await roundTrips(ctx, id);
  return {
    configured_per_s: n,
    observed_per_s: r2(observed),
    accuracy: Math.round((observed / n) * 1000) / 1000,
    steady_per_s: r2(steady),
    steady_accuracy: Math.round((steady / n) * 1000) / 1000,
    arrivals: times.length,
    events_sent: total,
    drain_s: Math.round((times.at(-1) - times[0]) / 100) / 10,
    // Counted at the receiver as it saw them (loopback jitter included): the first window too.
    max_in_any_1s: maxInAnySecond,
    complete: times.length >= total,
    // Why a high limit can fall short: with max_in_flight C the object starts at most C per round trip, and a
    // sliding log never makes up a start that was late (each waits for the actual start N before it).
    ...rt,
  };
}

/** Mean and p90 attempt duration (object's start → response) over a sample of the drain, and C ÷ mean. */
async function roundTrips(ctx, endpointId) {
  const list = await ctx.client.api("GET", `/v1/deliveries?endpoint_id=${endpointId}&limit=${ROUND_TRIP_SAMPLE}`);
  const ids = (list.json?.data ?? []).map((d) => d.id);
  const durations = [];
  for (const id of ids) {
    const one = await ctx.client.api("GET", `/v1/deliveries/${id}`);
    const d = one.json?.attempts?.at(-1)?.duration_ms;
    if (typeof d === "number") durations.push(d);
  }
  if (durations.length === 0) return { round_trip_ms: null };
  durations.sort((a, b) => a - b);
  const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
  return {
    round_trip_ms: { mean: r2(mean), p90: durations[Math.floor(durations.length * 0.9)], sampled: durations.length },
    in_flight_ceiling_per_s: r2((MAX_IN_FLIGHT * 1000) / Math.max(1, mean)),
  };
}
