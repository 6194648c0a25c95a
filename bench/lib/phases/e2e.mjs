// End-to-end delivery: producer send → receiver arrival latency at a fixed offered load (1 endpoint and a
// 10-endpoint fanout), and the highest offered deliveries/s that arrivals keep up with (stepped load).
import { openLoop } from "../load.mjs";
import { r1, summarize } from "../stats.mjs";
import { payloadFor } from "./ingest.mjs";
import { createEndpoints, disableEndpoints } from "./setup.mjs";

/**
 * Offers `eventsPerS` single-event POSTs for `durationS` to an owner whose event type fans out to `paths`,
 * then waits (≤ drainS) for every delivery. Latency = first arrival of (path, webhook-id) − send start.
 */
export async function fixedLoad(ctx, { owner, eventType, paths, eventsPerS, durationS, drainS, seed = 0 }) {
  const { client, receiver } = ctx;
  const sends = [];
  const t0 = performance.now();
  const load = await openLoop({
    rate: eventsPerS,
    durationMs: durationS * 1000,
    maxInFlight: ctx.profile.maxInFlight,
    send: async (i) => {
      const t = performance.now();
      const r = await client.request("POST", "/v1/events", {
        body: { payload: payloadFor(seed + i), owner_id: owner, event_type: eventType },
      });
      if (r.status === 202) {
        try {
          sends.push({ id: JSON.parse(r.body).id, t });
        } catch {
          // an unparsable 202 cannot be matched; it shows up as a missing delivery
        }
      }
      return { ...r, ok: r.status === 202 };
    },
  });
  const lastSend = performance.now();
  const expected = sends.length * paths.length;
  const arrivedCount = () => {
    let n = 0;
    for (const s of sends) for (const p of paths) if (receiver.arrival(p, s.id) !== undefined) n++;
    return n;
  };
  // Counting every time is O(n); check the cheap per-path unique counts first.
  const drained = await receiver.waitUntil(() => paths.reduce((n, p) => n + receiver.uniqueAt(p), 0) >= expected && arrivedCount() >= expected, drainS * 1000);
  const latencies = [];
  let lastArrival = t0;
  let arrivedDuringSend = 0;
  for (const s of sends) {
    for (const p of paths) {
      const at = receiver.arrival(p, s.id);
      if (at === undefined) continue;
      latencies.push(at - s.t);
      if (at > lastArrival) lastArrival = at;
      if (at <= lastSend) arrivedDuringSend++;
    }
  }
  const sendWindowS = (lastSend - t0) / 1000;
  // Deliveries still missing at the drain limit count as slower than every arrival (censored), so percentiles
  // are not flattered by leaving out the slowest; a percentile that falls on them is null (> the drain limit).
  const missing = expected - latencies.length;
  const latency = summarize([...latencies, ...Array(missing).fill(Infinity)]);
  latency.count = latencies.length;
  latency.unfinished = missing;
  return {
    endpoints: paths.length,
    offered_events_per_s: eventsPerS,
    offered_deliveries_per_s: eventsPerS * paths.length,
    duration_s: durationS,
    ingest: load,
    events_accepted: sends.length,
    deliveries_expected: expected,
    deliveries_arrived: latencies.length,
    deliveries_missing: expected - latencies.length,
    drained_within_s: drained ? r1((lastArrival - lastSend) / 1000) : null,
    drain_limit_s: drainS,
    /** Arrivals per second while the load was being offered: equals the offered rate when keeping up. */
    arrival_rate_during_send: r1(arrivedDuringSend / Math.max(sendWindowS, 1e-3)),
    latency,
  };
}

export async function runE2eFixed(ctx, { label, endpoints, eventsPerS }) {
  const owner = `bench-${label}`;
  const eventType = `bench.${label}`;
  const paths = Array.from({ length: endpoints }, (_, i) => `/${label}/${i}`);
  const ids = await createEndpoints(ctx, { owner, eventType, paths });
  const result = await fixedLoad(ctx, { owner, eventType, paths, eventsPerS, durationS: ctx.profile.e2eS, drainS: ctx.profile.drainS });
  result.endpoints_disabled_after = await disableEndpoints(ctx, ids);
  return result;
}

/**
 * Steps the offered load (deliveries/s over a 10-endpoint fanout) up until arrivals fall behind: a step is
 * sustained when every send was accepted on time and ≥ 95% of its deliveries arrived within `graceS` after the
 * last send. The maximum sustained rate is the highest sustained step.
 */
export async function runMaxSustained(ctx) {
  const { profile } = ctx;
  const fanout = 10;
  const owner = "bench-max";
  const eventType = "bench.max";
  const paths = Array.from({ length: fanout }, (_, i) => `/max/${i}`);
  const ids = await createEndpoints(ctx, { owner, eventType, paths });
  const steps = [];
  let best = null;
  let seed = 0;
  for (const deliveriesPerS of profile.maxSteps) {
    const eventsPerS = deliveriesPerS / fanout;
    const step = await fixedLoad(ctx, { owner, eventType, paths, eventsPerS, durationS: profile.stepS, drainS: profile.stepGraceS, seed });
    seed += Math.ceil(eventsPerS * profile.stepS) + 1;
    const onTime = step.ingest.missed === 0 && step.events_accepted >= 0.99 * step.ingest.planned;
    const arrivedShare = step.deliveries_expected ? step.deliveries_arrived / step.deliveries_expected : 0;
    const sustained = onTime && arrivedShare >= 0.95;
    steps.push({
      offered_deliveries_per_s: deliveriesPerS,
      offered_events_per_s: eventsPerS,
      ingest_achieved_events_per_s: step.ingest.achieved_rate,
      ingest_missed: step.ingest.missed,
      arrival_rate_during_send: step.arrival_rate_during_send,
      arrived_share_after_grace: Math.round(arrivedShare * 1000) / 1000,
      latency: step.latency,
      sustained,
      limited_by: sustained ? null : onTime ? "delivery (backlog grew)" : "ingest (sends not accepted on time)",
    });
    ctx.log(`  step ${deliveriesPerS}/s: arrived ${Math.round(arrivedShare * 100)}% in grace, p99 ${step.latency.p99_ms} ms → ${sustained ? "sustained" : "fell behind"}`);
    if (!sustained) break;
    best = steps.at(-1);
    // Let the previous step's tail drain so steps do not overlap.
    await ctx.receiver.waitUntil(() => paths.reduce((n, p) => n + ctx.receiver.uniqueAt(p), 0) >= seedDeliveries(steps, fanout, profile), profile.drainS * 1000);
    await ctx.quiesce();
  }
  await disableEndpoints(ctx, ids);
  return {
    fanout,
    step_s: profile.stepS,
    grace_s: profile.stepGraceS,
    steps,
    max_sustained_deliveries_per_s: best ? best.offered_deliveries_per_s : null,
    max_sustained_arrival_rate: best ? best.arrival_rate_during_send : null,
    reached_top_step: best !== null && best.offered_deliveries_per_s === profile.maxSteps.at(-1),
    reason: best ? undefined : "even the lowest step fell behind",
  };
}

function seedDeliveries(steps, fanout, profile) {
  return steps.reduce((n, s) => n + Math.round(s.offered_events_per_s * profile.stepS) * fanout, 0) * 0.99;
}
