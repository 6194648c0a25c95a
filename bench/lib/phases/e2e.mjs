// End-to-end delivery: producer send → receiver arrival latency at a fixed offered load (1 endpoint and a
// 10-endpoint fanout), and the highest offered deliveries/s that arrivals keep up with (stepped load).
import { openLoop } from "../load.mjs";
import { busiestThreadShare, machineCpuSeconds } from "../proc.mjs";
import { r1, summarize } from "../stats.mjs";
import { payloadFor } from "./ingest.mjs";
import { createEndpoints, disableEndpoints } from "./setup.mjs";

/** A `post(payloads)` for fixedLoad() against HookRelay: one POST /v1/events, or /v1/events/batch when `batch`. */
export function hookrelayPoster(client, { owner, eventType, batch = false }) {
  const post = async (payloads) => {
    const events = payloads.map((payload) => ({ payload, owner_id: owner, event_type: eventType }));
    const r = batch || events.length > 1
      ? await client.request("POST", "/v1/events/batch", { body: { events } })
      : await client.request("POST", "/v1/events", { body: events[0] });
    let ids = [];
    if (r.status === 202) {
      try {
        const body = JSON.parse(r.body);
        ids = body.ids ?? [body.id];
      } catch {
        // an unparsable 202 cannot be matched; it shows up as a missing delivery
      }
    }
    return { ...r, ids };
  };
  post.label = batch ? "POST /v1/events/batch" : "POST /v1/events";
  return post;
}

/**
 * While the load was offered: the pipeline's busiest workerd thread's share of one core (`threads`: snapshots of
 * threadCpuSeconds, or null) and how busy the machine's cores were on average (every process on it).
 */
function loadShares(threadsBefore, threadsAfter, machineBefore, machineAfter, seconds) {
  const machine =
    machineBefore && machineAfter && machineAfter.total > machineBefore.total
      ? Math.round(((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * 100) / 100
      : null;
  return { runtime_busiest_thread: busiestThreadShare(threadsBefore, threadsAfter, seconds), machine_busy: machine };
}

/**
 * Offers `eventsPerS` single-event POSTs for `durationS` to an owner whose event type fans out to `paths`,
 * then waits (≤ drainS) for every delivery. Latency = first arrival of (path, webhook-id) − send start.
 * `post(payloads) → { status, ids }` sends them (default: HookRelay's API; the bare pipeline passes its own).
 * `binS`: also return a timeline of events accepted and deliveries arrived per `binS` seconds.
 * `threads`: snapshots of the pipeline's workerd threads (threadCpuSeconds), to report how busy the busiest was.
 */
export async function fixedLoad(ctx, { owner, eventType, paths, eventsPerS, durationS, drainS, seed = 0, batchTicksPerS = 0, post, binS = 0, warmupEvents = 0, threads = () => null }) {
  const { receiver } = ctx;
  post ??= hookrelayPoster(ctx.client, { owner, eventType, batch: batchTicksPerS > 0 });
  const warmup = warmupEvents > 0 ? await warmUp(ctx, { post, paths, events: warmupEvents, drainS, seed: seed + 1_000_000 }) : null;
  const sends = [];
  const threadsAtStart = threads();
  const machineAtStart = machineCpuSeconds();
  const t0 = performance.now();
  // Batched mode: `batchTicksPerS` POST /v1/events/batch per second carrying eventsPerS / ticks events each, so
  // the producer side stays cheap when the point is to load delivery, not ingest.
  const perSend = batchTicksPerS ? Math.max(1, Math.round(eventsPerS / batchTicksPerS)) : 1;
  const load = await openLoop({
    rate: batchTicksPerS ? eventsPerS / perSend : eventsPerS,
    durationMs: durationS * 1000,
    maxInFlight: ctx.profile.maxInFlight,
    send: async (i) => {
      const t = performance.now();
      const r = await post(Array.from({ length: perSend }, (_, k) => payloadFor(seed + i * perSend + k)));
      if (r.status === 202) for (const id of r.ids) sends.push({ id, t });
      return { ...r, ok: r.status === 202 };
    },
  });
  const lastSend = performance.now();
  const loadShare = loadShares(threadsAtStart, threads(), machineAtStart, machineCpuSeconds(), (lastSend - t0) / 1000);
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
  let arrivedAfterSend = 0;
  for (const s of sends) {
    for (const p of paths) {
      const at = receiver.arrival(p, s.id);
      if (at === undefined) continue;
      latencies.push(at - s.t);
      if (at > lastArrival) lastArrival = at;
      if (at <= lastSend) arrivedDuringSend++;
      else arrivedAfterSend++;
    }
  }
  const sendWindowS = (lastSend - t0) / 1000;
  // Deliveries still missing at the drain limit count as slower than every arrival (censored), so percentiles
  // are not flattered by leaving out the slowest; a percentile that falls on them is null (> the drain limit).
  const missing = expected - latencies.length;
  const quarterP50 = (from, to) => {
    const qs = [];
    for (const snd of sends.slice(Math.floor(from * sends.length), Math.floor(to * sends.length))) {
      for (const p of paths) {
        const at = receiver.arrival(p, snd.id);
        qs.push(at === undefined ? Infinity : at - snd.t);
      }
    }
    return qs.length ? summarize(qs).p50_ms : null;
  };
  const latency = summarize([...latencies, ...Array(missing).fill(Infinity)]);
  latency.count = latencies.length;
  latency.unfinished = missing;
  return {
    endpoints: paths.length,
    offered_events_per_s: eventsPerS,
    offered_deliveries_per_s: eventsPerS * paths.length,
    producer: batchTicksPerS ? `${post.label ?? "POST"} × ${batchTicksPerS}/s, ${perSend} events each` : `${post.label ?? "POST"}, one event each`,
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
    /** Arrivals per second after the sends stopped, while a backlog was left: how fast it drains. */
    backlog_drain_rate: arrivedAfterSend >= 20 && lastArrival > lastSend ? r1(arrivedAfterSend / ((lastArrival - lastSend) / 1000)) : null,
    /** Deliveries accepted but not yet arrived when the load stopped. */
    backlog_at_load_end: expected - arrivedDuringSend,
    latency,
    ...loadShare,
    latency_first_quarter_p50_ms: quarterP50(0, 0.25),
    latency_last_quarter_p50_ms: quarterP50(0.75, 1),
    ...(warmup ? { warmup } : {}),
    ...(binS ? { timeline: timeline({ sends, paths, receiver, t0, binS, endMs: Math.max(lastArrival, lastSend) - t0, fanout: paths.length }) } : {}),
  };
}

/** Events sent one at a time this often while warming up: a trickle, not a load. */
const WARMUP_GAP_MS = 50;

/**
 * Sends `events` single events one at a time (WARMUP_GAP_MS apart) to targets that just came into being, and waits
 * (≤ drainS) for their deliveries: the measured load then starts on targets that exist and have had traffic, as
 * an endpoint in steady use has. The first event's latency is kept as the cold start — a new endpoint's first
 * delivery, with whatever each pipeline sets up for it — so it is reported, not hidden.
 */
async function warmUp(ctx, { post, paths, events, drainS, seed }) {
  const sent = [];
  for (let i = 0; i < events; i++) {
    const t = performance.now();
    const r = await post([payloadFor(seed + i)]);
    if (r.status === 202) for (const id of r.ids) sent.push({ id, t });
    await new Promise((resolve) => setTimeout(resolve, WARMUP_GAP_MS));
  }
  const arrived = () => sent.every((s) => paths.every((p) => ctx.receiver.arrival(p, s.id) !== undefined));
  const allArrived = await ctx.receiver.waitUntil(arrived, drainS * 1000);
  const first = sent[0] ? paths.map((p) => ctx.receiver.arrival(p, sent[0].id)) : [];
  const firstMs = first.length && first.every((at) => at !== undefined) ? Math.max(...first) - sent[0].t : null;
  return { events, accepted: sent.length, all_arrived: allArrived, first_delivery_ms: firstMs === null ? null : Math.round(firstMs) };
}

/** Per `binS` seconds from the start: events accepted (by send time) and deliveries that first arrived. */
function timeline({ sends, paths, receiver, t0, binS, endMs, fanout }) {
  const bins = Array.from({ length: Math.max(1, Math.ceil(endMs / (binS * 1000))) }, (_, i) => ({ from_s: i * binS, to_s: (i + 1) * binS, events_accepted: 0, deliveries_offered: 0, deliveries_arrived: 0 }));
  const binOf = (t) => Math.min(bins.length - 1, Math.max(0, Math.floor((t - t0) / (binS * 1000))));
  for (const s of sends) {
    const b = bins[binOf(s.t)];
    b.events_accepted++;
    b.deliveries_offered += fanout;
    for (const p of paths) {
      const at = receiver.arrival(p, s.id);
      if (at !== undefined) bins[binOf(at)].deliveries_arrived++;
    }
  }
  return bins;
}

export async function runE2eFixed(ctx, { label, endpoints, eventsPerS, durationS = ctx.profile.e2eS, warmupEvents = 0, threads }) {
  const owner = `bench-${label}`;
  const eventType = `bench.${label}`;
  const paths = Array.from({ length: endpoints }, (_, i) => `/${label}/${i}`);
  const ids = await createEndpoints(ctx, { owner, eventType, paths });
  const result = await fixedLoad(ctx, { owner, eventType, paths, eventsPerS, durationS, drainS: ctx.profile.drainS, warmupEvents, threads });
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
  // Grace after the last send: the configured slack plus the p99 latency this run measured at low load (cost
  // phase), so a machine where delivery is merely slow is not mistaken for one that falls behind.
  const graceS = Math.ceil(profile.stepGraceS + (ctx.lowLoadP99Ms ?? 0) / 1000);
  const steps = [];
  let best = null;
  let seed = 0;
  let expectedSoFar = 0;
  const arrivedSoFar = () => paths.reduce((n, p) => n + ctx.receiver.uniqueAt(p), 0);
  const runStep = async (deliveriesPerS) => {
    const eventsPerS = deliveriesPerS / fanout;
    const step = await fixedLoad(ctx, { owner, eventType, paths, eventsPerS, durationS: profile.stepS, drainS: graceS, seed, batchTicksPerS: 10 });
    seed += Math.ceil(eventsPerS * profile.stepS) + 10;
    expectedSoFar += step.deliveries_expected;
    const onTime = step.ingest.missed === 0 && step.ingest.ok >= 0.99 * step.ingest.planned;
    const arrivedShare = step.deliveries_expected ? step.deliveries_arrived / step.deliveries_expected : 0;
    // Backlog growth shows as latency growing through the step: compare the last quarter's sends with the first.
    const growth = step.latency_first_quarter_p50_ms && step.latency_last_quarter_p50_ms !== null
      ? step.latency_last_quarter_p50_ms / step.latency_first_quarter_p50_ms
      : null;
    const latencyStable = growth !== null && step.latency_last_quarter_p50_ms <= step.latency_first_quarter_p50_ms * 1.5 + 1000;
    const sustained = onTime && arrivedShare >= 0.95 && latencyStable;
    const summary = {
      offered_deliveries_per_s: deliveriesPerS,
      offered_events_per_s: eventsPerS,
      producer: step.producer,
      ingest_achieved_events_per_s: r1(step.events_accepted / Math.max(step.ingest.send_window_s, 1e-3)),
      ingest_missed: step.ingest.missed,
      arrival_rate_during_send: step.arrival_rate_during_send,
      arrived_share_after_grace: Math.round(arrivedShare * 1000) / 1000,
      latency_first_quarter_p50_ms: step.latency_first_quarter_p50_ms,
      latency_last_quarter_p50_ms: step.latency_last_quarter_p50_ms,
      latency_growth: growth === null ? null : Math.round(growth * 100) / 100,
      latency: step.latency,
      sustained,
      limited_by: sustained ? null : !onTime ? "ingest (sends not accepted on time)" : "delivery (backlog grew)",
    };
    steps.push(summary);
    ctx.log(`  step ${deliveriesPerS}/s: ${Math.round(arrivedShare * 100)}% arrived within ${graceS} s, p50 first/last quarter ${step.latency_first_quarter_p50_ms}/${step.latency_last_quarter_p50_ms} ms → ${sustained ? "sustained" : "fell behind"}`);
    // Let this step's tail drain (bounded) so steps do not overlap.
    await ctx.receiver.waitUntil(() => arrivedSoFar() >= expectedSoFar, profile.drainS * 1000);
    await ctx.quiesce();
    return summary;
  };
  let failedAt = null;
  for (const deliveriesPerS of profile.maxSteps) {
    const step = await runStep(deliveriesPerS);
    if (!step.sustained) {
      failedAt = deliveriesPerS;
      break;
    }
    best = step;
  }
  // One bisection step between the last sustained and the first failed rate narrows the answer.
  if (profile.refineMax && best && failedAt) {
    const mid = Math.round((best.offered_deliveries_per_s + failedAt) / 20) * 10;
    if (mid > best.offered_deliveries_per_s && mid < failedAt) {
      const step = await runStep(mid);
      if (step.sustained) best = step;
    }
  }
  await disableEndpoints(ctx, ids);
  return {
    fanout,
    step_s: profile.stepS,
    grace_s: graceS,
    criteria: "every send accepted on time; ≥ 95% of the step's deliveries arrived within grace_s of the last send; p50 latency of the last quarter of sends ≤ 1.5 × the first quarter's + 1 s",
    steps,
    max_sustained_deliveries_per_s: best ? best.offered_deliveries_per_s : null,
    max_sustained_arrival_rate: best ? best.arrival_rate_during_send : null,
    reached_top_step: best !== null && failedAt === null,
    reason: best ? undefined : "even the lowest step fell behind",
  };
}
