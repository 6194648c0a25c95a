// HookRelay beside the bare pipeline (bench/bare), same run, same wrangler (issue 14): a 10-endpoint fanout
// burst (1,000 events in batches of 100 → deliveries/s) and one endpoint at a fixed rate (arrival latency and
// whether a backlog is left growing), each in alternating pairs. The comparison and its targets are computed by
// compareWithBare().
import { barePoster } from "../bare.mjs";
import { createClient } from "../http.mjs";
import { median, r1, ratio, summarize } from "../stats.mjs";
import { fixedLoad, hookrelayPoster, runE2eFixed } from "./e2e.mjs";
import { payloadFor } from "./ingest.mjs";
import { createEndpoints, disableEndpoints } from "./setup.mjs";

/**
 * Sends `events` payloads in POSTs of `batch` (all at once, `batch` per request) and waits (≤ drainS) until
 * every (path, id) arrived. deliveries/s = deliveries ÷ (last arrival − first send). `cpu` (CPU-seconds of the
 * pipeline's workerd so far, or null) gives the CPU each delivery cost: until the last arrival, and with the
 * work that follows it (history written after the receiver answered) once the machine went quiet.
 */
export async function fanoutBurst(ctx, { post, paths, events, batch, drainS, seed = 0, cpu = () => null }) {
  const { receiver } = ctx;
  const sends = [];
  const cpuStart = cpu();
  const t0 = performance.now();
  const answers = await Promise.all(
    Array.from({ length: Math.ceil(events / batch) }, async (_, b) => {
      const n = Math.min(batch, events - b * batch);
      const t = performance.now();
      const r = await post(Array.from({ length: n }, (_, k) => payloadFor(seed + b * batch + k)));
      if (r.status === 202) for (const id of r.ids) sends.push({ id, t });
      return r.status;
    }),
  );
  const sentMs = performance.now() - t0;
  const expected = sends.length * paths.length;
  const count = () => sends.reduce((n, s) => n + paths.filter((p) => receiver.arrival(p, s.id) !== undefined).length, 0);
  await receiver.waitUntil(() => paths.reduce((n, p) => n + receiver.uniqueAt(p), 0) >= expected && count() >= expected, drainS * 1000);
  const cpuArrived = cpu();
  await ctx.quiesce();
  const cpuQuiet = cpu();
  const latencies = [];
  let last = t0;
  for (const s of sends)
    for (const p of paths) {
      const at = receiver.arrival(p, s.id);
      if (at === undefined) continue;
      latencies.push(at - s.t);
      if (at > last) last = at;
    }
  const seconds = (last - t0) / 1000;
  const refused = answers.filter((s) => s !== 202).length;
  return {
    endpoints: paths.length,
    events,
    events_per_request: batch,
    requests_refused: refused,
    send_ms: Math.round(sentMs),
    deliveries_expected: expected,
    deliveries_arrived: latencies.length,
    deliveries_missing: expected - latencies.length,
    drain_limit_s: drainS,
    all_arrived_after_s: latencies.length === expected ? r1(seconds) : null,
    deliveries_per_s: latencies.length ? r1(latencies.length / Math.max(seconds, 1e-3)) : null,
    latency: summarize(latencies),
    workerd_cpu_ms_per_delivery: cpuPerDelivery(cpuStart, cpuArrived, latencies.length),
    workerd_cpu_ms_per_delivery_with_tail: cpuPerDelivery(cpuStart, cpuQuiet, latencies.length),
  };
}

const cpuPerDelivery = (from, to, deliveries) => (from === null || to === null || !deliveries ? null : Math.round(((to - from) * 1e6) / deliveries) / 1e3);

/** The fanout burst against HookRelay: its own owner (one per round) and 10 endpoints, disabled afterwards. */
export async function runHookrelayBurst(ctx, round = 0) {
  const p = ctx.profile;
  const owner = `bench-burst-${round}`;
  const eventType = "bench.burst";
  const paths = Array.from({ length: p.burstEndpoints }, (_, i) => `/burst/${round}/${i}`);
  const ids = await createEndpoints(ctx, { owner, eventType, paths });
  const post = hookrelayPoster(ctx.comparisonClient ?? ctx.client, { owner, eventType, batch: true });
  const result = await fanoutBurst(ctx, { post, paths, events: p.burstEvents, batch: 100, drainS: p.burstDrainS, cpu: ctx.cpuOf?.hookrelay });
  await disableEndpoints(ctx, ids);
  return { target: "hookrelay", producer: post.label, ...result };
}

/** The same burst against the bare pipeline, or (`floor`) against the floor (bench/floor). */
export async function runBareBurst(ctx, round = 0, { floor = false } = {}) {
  const p = ctx.profile;
  const paths = Array.from({ length: p.burstEndpoints }, (_, i) => `/${floor ? "floor" : "bare"}-burst/${round}/${i}`);
  const client = bareClient(ctx, { floor });
  const result = await fanoutBurst(ctx, {
    post: barePoster(client, paths.map((x) => ctx.receiver.url + x)),
    paths,
    events: p.burstEvents,
    batch: 100,
    drainS: p.burstDrainS,
    cpu: floor ? ctx.cpuOf?.floor : ctx.cpuOf?.bare,
  });
  client.close();
  return { target: floor ? "floor" : "bare", producer: `POST /events (${floor ? "floor" : "bare"})`, ...result };
}

/**
 * The pair with the median ratio; of an even count, the worse of the two middle ones. A pair without a ratio
 * failed: it ranks worst, lowest where higher is better (throughput), highest where lower is better (latency).
 */
export function medianPair(pairs, { lowerIsBetter = false } = {}) {
  const missing = lowerIsBetter ? Infinity : -Infinity;
  const ranked = [...pairs].sort((a, b) => (a.ratio ?? missing) - (b.ratio ?? missing));
  return ranked[lowerIsBetter ? Math.ceil((ranked.length - 1) / 2) : Math.floor((ranked.length - 1) / 2)];
}

/**
 * Runs `bare`, then each of `references` that is given (the bare copy behind the asset front, the floor), then
 * `hookrelay` (each given the round number) `rounds` times, the machine left to go quiet after each run: each round
 * is measured at nearly the same load, which drifts on a shared machine. → [{ bare, hookrelay, ratio, [name],
 * [name]Ratio }] with `ratioOf(hookrelay, bare)` and `ratioOf(hookrelay, reference)` per reference.
 */
async function alternatingPairs({ rounds, quiesce }, { bare, references = {}, hookrelay, ratioOf }) {
  const runners = Object.entries(references).filter(([, run]) => run);
  const pairs = [];
  for (let round = 0; round < rounds; round++) {
    const b = await bare(round);
    await quiesce();
    const refs = {};
    for (const [name, run] of runners) {
      refs[name] = await run(round);
      await quiesce();
    }
    const h = await hookrelay(round);
    await quiesce();
    const pair = { bare: b, hookrelay: h, ratio: ratioOf(h, b) };
    for (const [name, r] of Object.entries(refs)) Object.assign(pair, { [name]: r, [`${name}Ratio`]: ratioOf(h, r) });
    pairs.push(pair);
  }
  return pairs;
}

/**
 * The fanout burst against both pipelines in alternating pairs; the pair with the median ratio is the one
 * reported. → { bare, hookrelay } phase results, each with every round's deliveries/s and workerd CPU per
 * delivery (HookRelay's with the HookRelay ÷ bare ratio of each pair).
 */
export async function runBurstPairs(ctx, schedule) {
  const pairs = await alternatingPairs(schedule, {
    bare: (round) => runBareBurst(ctx, round),
    references: { floor: ctx.floor ? (round) => runBareBurst(ctx, round, { floor: true }) : undefined },
    hookrelay: (round) => runHookrelayBurst(ctx, round),
    ratioOf: (h, b) => ratio(h.deliveries_per_s, b.deliveries_per_s, 3),
  });
  const median = medianPair(pairs);
  const perRound = (side, key = "deliveries_per_s") => pairs.map((pair) => pair[side][key] ?? null);
  const cpu = "workerd_cpu_ms_per_delivery_with_tail";
  return {
    bare: { ...median.bare, rounds_deliveries_per_s: perRound("bare"), rounds_cpu_ms_per_delivery: perRound("bare", cpu) },
    hookrelay: {
      ...median.hookrelay,
      rounds_deliveries_per_s: perRound("hookrelay"),
      rounds_ratio: pairs.map((pair) => pair.ratio),
      rounds_cpu_ms_per_delivery: perRound("hookrelay", cpu),
      rounds_cpu_ratio: pairs.map((pair) => ratio(pair.hookrelay[cpu] ?? null, pair.bare[cpu] ?? null, 2)),
    },
    floor: ctx.floor ? floorBurstResult(pairs) : { skipped: true, reason: `floor not started: ${ctx.floorError}` },
  };
}

/** The floor's burst in the round with its median floor ÷ bare ratio, with every round's figures beside it. */
function floorBurstResult(pairs) {
  const cpu = "workerd_cpu_ms_per_delivery_with_tail";
  const toBare = pairs.map((pair) => ({ ...pair, ratio: ratio(pair.floor.deliveries_per_s ?? null, pair.bare.deliveries_per_s ?? null, 3) }));
  const median = medianPair(toBare);
  return {
    ...median.floor,
    ratio_to_bare: median.ratio,
    rounds_deliveries_per_s: pairs.map((pair) => pair.floor.deliveries_per_s ?? null),
    rounds_ratio_to_bare: toBare.map((pair) => pair.ratio),
    rounds_ratio_hookrelay_to_floor: pairs.map((pair) => pair.floorRatio),
    rounds_cpu_ms_per_delivery: pairs.map((pair) => pair.floor[cpu] ?? null),
    rounds_cpu_ratio_to_bare: pairs.map((pair) => ratio(pair.floor[cpu] ?? null, pair.bare[cpu] ?? null, 2)),
    rounds_cpu_ratio_hookrelay_to_floor: pairs.map((pair) => ratio(pair.hookrelay[cpu] ?? null, pair.floor[cpu] ?? null, 2)),
  };
}

/**
 * One endpoint at e2eEventsPerS for singleS against the bare pipeline, same shape as HookRelay's e2e_single;
 * `front`: the copy behind HookRelay's asset front door (bench/lib/bare.mjs); `floor`: the floor (bench/floor).
 */
export async function runBareSingle(ctx, round = 0, { front = false, floor = false } = {}) {
  const p = ctx.profile;
  const name = floor ? "floor" : front ? "bare-front" : "bare";
  const paths = [`/${name}-single/${round}`];
  const client = bareClient(ctx, { front, floor });
  const post = barePoster(client, [ctx.receiver.url + paths[0]]);
  post.label = floor ? "POST /events (floor, behind the asset front)" : front ? "POST /events (bare, behind the asset front)" : "POST /events (bare)";
  const threads = ctx.threadsOf?.[floor ? "floor" : front ? "bareFront" : "bare"];
  const result = await fixedLoad(ctx, { paths, eventsPerS: p.e2eEventsPerS, durationS: p.singleS, drainS: p.drainS, post, warmupEvents: p.singleWarmupEvents, threads });
  client.close();
  return { target: name.replace("-", "_"), ...result };
}

/** One endpoint at e2eEventsPerS for singleS against HookRelay (its own owner per round), disabled afterwards. */
export function runHookrelaySingle(ctx, round = 0) {
  const p = ctx.profile;
  // Events go where the bare pipelines' go (run.mjs: each runtime's own port, or all through the dev proxy).
  const sender = { ...ctx, client: ctx.comparisonClient ?? ctx.client };
  return runE2eFixed(sender, { label: `e2e1-${round}`, endpoints: 1, eventsPerS: p.e2eEventsPerS, durationS: p.singleS, warmupEvents: p.singleWarmupEvents, threads: ctx.threadsOf?.hookrelay });
}

/**
 * One endpoint at a fixed rate against both pipelines in alternating pairs, as for the fanout: a single run's
 * latency swings several-fold with the machine's load. The pair with the median p50 ratio is reported, every
 * round's p50 and p99 kept beside it. With the front-door copy of the bare pipeline running (ctx.bareFront), each
 * round also measures it between the two, and `bare_front` reports its round with the median p50 ratio.
 */
export async function runSinglePairs(ctx, schedule) {
  const pairs = await alternatingPairs(schedule, {
    bare: (round) => runBareSingle(ctx, round),
    references: {
      front: ctx.bareFront ? (round) => runBareSingle(ctx, round, { front: true }) : undefined,
      floor: ctx.floor ? (round) => runBareSingle(ctx, round, { floor: true }) : undefined,
    },
    hookrelay: (round) => runHookrelaySingle(ctx, round),
    ratioOf: (h, b) => ratio(h.latency.p50_ms, b.latency.p50_ms, 2),
  });
  const median = medianPair(pairs, { lowerIsBetter: true });
  const perRound = (side) => pairs.map((pair) => roundFigures(pair[side]));
  return {
    bare: { ...median.bare, rounds_latency: perRound("bare") },
    hookrelay: { ...median.hookrelay, rounds_latency: perRound("hookrelay"), rounds_ratio_p50: pairs.map((pair) => pair.ratio) },
    bare_front: ctx.bareFront ? frontResult(pairs) : { skipped: true, reason: `bare pipeline behind the asset front not started: ${ctx.bareFrontError}` },
    floor: ctx.floor ? floorSingleResult(pairs) : { skipped: true, reason: `floor not started: ${ctx.floorError}` },
  };
}

/** One single-endpoint round: its latency, and how loaded the pipeline's busiest thread and the machine were. */
function roundFigures(run) {
  return { p50_ms: run.latency.p50_ms, p99_ms: run.latency.p99_ms, runtime_busiest_thread: run.runtime_busiest_thread ?? null, machine_busy: run.machine_busy ?? null };
}

/** The floor's single-endpoint run in the round with its median p50 ratio to bare, every round's figures beside it. */
function floorSingleResult(pairs) {
  const toBare = pairs.map((pair) => ({ ...pair, ratio: ratio(pair.floor.latency.p50_ms, pair.bare.latency.p50_ms, 2) }));
  const median = medianPair(toBare, { lowerIsBetter: true });
  return {
    ...median.floor,
    ratio_p50_to_bare: median.ratio,
    rounds_latency: pairs.map((pair) => roundFigures(pair.floor)),
    rounds_ratio_p50_to_bare: toBare.map((pair) => pair.ratio),
    rounds_ratio_p50_hookrelay_to_floor: pairs.map((pair) => pair.floorRatio),
  };
}

/** The front-door copy's round with the median p50 ratio, with HookRelay's figures of that same round. */
function frontResult(pairs) {
  const median = medianPair(pairs.map((pair) => ({ ...pair, ratio: pair.frontRatio })), { lowerIsBetter: true });
  const { p50_ms, p99_ms } = median.hookrelay.latency;
  return {
    ...median.front,
    hookrelay_same_round: { p50_ms, p99_ms, backlog_at_load_end: median.hookrelay.backlog_at_load_end, backlog_growing: backlogGrowing(median.hookrelay) },
    rounds_latency: pairs.map((pair) => roundFigures(pair.front)),
    rounds_ratio_p50: pairs.map((pair) => pair.frontRatio),
  };
}

function bareClient(ctx, { front = false, floor = false } = {}) {
  const bare = floor ? ctx.floor : front ? ctx.bareFront : ctx.bare;
  if (!bare) throw new Error(floor ? "floor not started" : `bare pipeline${front ? " behind the asset front" : ""} not started`);
  return createClient(ctx.addressOf ? ctx.addressOf(bare) : bare.url, { maxSockets: 128 });
}

/**
 * Whether a fixed-rate run kept up: nearly nothing left undelivered when the load stopped (≤ 1 s of offered
 * deliveries) and latency not climbing through the run (last quarter's p50 ≤ 1.5 × the first's + 200 ms).
 */
export function backlogGrowing(r) {
  if (!r || r.skipped) return null;
  const last = r.latency_last_quarter_p50_ms;
  const first = r.latency_first_quarter_p50_ms;
  const climbing = last === null || (first !== null && last > first * 1.5 + 200);
  return r.backlog_at_load_end > r.offered_deliveries_per_s || climbing;
}

/** The rate issue 14's single-endpoint targets are set at (events/s); the bench's default (profile.e2eEventsPerS). */
export const ISSUE_14_SINGLE_RATE = 200;

/** Side by side figures, HookRelay ÷ bare ratios and issue 14's targets (pass/fail; null when not measured). */
export function compareWithBare(phases) {
  const hb = phases.fanout_burst;
  const bb = phases.bare_fanout_burst;
  const hs = phases.e2e_single;
  const bs = phases.bare_single;
  const ok = (r) => r && !r.skipped;
  const hbRate = ok(hb) ? hb.deliveries_per_s : null;
  const bbRate = ok(bb) ? bb.deliveries_per_s : null;
  const lat = (r, k) => (ok(r) ? r.latency[k] : null);
  // A percentile that fell on deliveries still missing at the drain limit is null: that is a failed target.
  const censored = (r, k) => ok(r) && r.latency[k] === null && r.latency.unfinished > 0;
  const fanoutRatio = ratio(hbRate, bbRate, 3);
  const p50Ratio = ratio(lat(hs, "p50_ms"), lat(bs, "p50_ms"), 2);
  const p99Ratio = ratio(lat(hs, "p99_ms"), lat(bs, "p99_ms"), 2);
  const hGrowing = backlogGrowing(hs);
  const target = (cond, measured) => (measured ? cond : null);
  // The single-endpoint targets are issue 14's at its rate; a run at another rate (--single-rate) is not judged by them.
  const offSingleRate = ok(hs) && hs.offered_events_per_s !== ISSUE_14_SINGLE_RATE;
  const singleTarget = (cond, measured) => (offSingleRate ? null : target(cond, measured));
  const bf = phases.bare_front_single;
  const ff = phases.floor_fanout_burst;
  const fs = phases.floor_single;
  return {
    fanout: {
      what: `${(ok(hb) ? hb : bb)?.endpoints ?? 10} endpoints, ${((ok(hb) ? hb : bb)?.events ?? 1000).toLocaleString("en-US")} events in POSTs of 100: deliveries/s`,
      bare_deliveries_per_s: bbRate,
      hookrelay_deliveries_per_s: hbRate,
      ratio_hookrelay_to_bare: fanoutRatio,
      // Informational: the burst is bound by the one workerd thread's CPU, so this says where the throughput
      // ratio comes from (the median of the pairs' ratios).
      cpu_ratio_hookrelay_to_bare: ok(hb) ? median(hb.rounds_cpu_ratio) : null,
    },
    single: {
      what: ok(hs) ? `1 endpoint at ${hs.offered_events_per_s} events/s for ${hs.duration_s} s: arrival latency` : "1 endpoint at a fixed rate",
      bare: ok(bs) ? { p50_ms: lat(bs, "p50_ms"), p99_ms: lat(bs, "p99_ms"), backlog_at_load_end: bs.backlog_at_load_end, backlog_growing: backlogGrowing(bs), first_delivery_ms: bs.warmup?.first_delivery_ms ?? null } : null,
      hookrelay: ok(hs) ? { p50_ms: lat(hs, "p50_ms"), p99_ms: lat(hs, "p99_ms"), backlog_at_load_end: hs.backlog_at_load_end, backlog_growing: hGrowing, first_delivery_ms: hs.warmup?.first_delivery_ms ?? null } : null,
      ratio_p50_hookrelay_to_bare: p50Ratio,
      ratio_p99_hookrelay_to_bare: p99Ratio,
    },
    // Not one of issue 14's targets (they are against the bare pipeline as it is): how much of the single-endpoint
    // gap is the local asset front door both Workers would then share.
    single_same_front: ok(bf)
      ? {
          what: "the same, the bare pipeline behind HookRelay's asset front door (its round with the median p50 ratio)",
          bare_front: { p50_ms: lat(bf, "p50_ms"), p99_ms: lat(bf, "p99_ms"), backlog_at_load_end: bf.backlog_at_load_end, backlog_growing: backlogGrowing(bf) },
          hookrelay: bf.hookrelay_same_round,
          ratio_p50_hookrelay_to_bare_front: ratio(bf.hookrelay_same_round.p50_ms, lat(bf, "p50_ms"), 2),
          ratio_p99_hookrelay_to_bare_front: ratio(bf.hookrelay_same_round.p99_ms, lat(bf, "p99_ms"), 2),
        }
      : null,
    // Not a target either: the bare pipeline plus only the per-delivery work issue 14 requires (bench/floor), behind
    // the same asset front as HookRelay. floor ÷ bare approximates the best any implementation of the issue reaches here;
    // HookRelay ÷ floor is what HookRelay's own machinery costs on top.
    floor: ok(ff) || ok(fs)
      ? {
          what: "the floor: the bare pipeline plus the per-delivery work issue 14 requires (bench/floor), behind HookRelay's asset front door",
          fanout_deliveries_per_s: ok(ff) ? ff.deliveries_per_s : null,
          fanout_ratio_floor_to_bare: ok(ff) ? ff.ratio_to_bare : null,
          fanout_ratio_hookrelay_to_floor: ok(ff) ? median(ff.rounds_ratio_hookrelay_to_floor) : null,
          fanout_cpu_ratio_floor_to_bare: ok(ff) ? median(ff.rounds_cpu_ratio_to_bare) : null,
          single: ok(fs) ? { p50_ms: lat(fs, "p50_ms"), p99_ms: lat(fs, "p99_ms"), backlog_at_load_end: fs.backlog_at_load_end, backlog_growing: backlogGrowing(fs) } : null,
          single_ratio_p50_floor_to_bare: ok(fs) ? fs.ratio_p50_to_bare : null,
          single_ratio_p50_hookrelay_to_floor: ok(fs) ? median(fs.rounds_ratio_p50_hookrelay_to_floor) : null,
        }
      : null,
    targets: {
      "fanout ≥ 70% of bare": target(fanoutRatio !== null && fanoutRatio >= 0.7, fanoutRatio !== null),
      "single p50 ≤ 2× bare and ≤ 100 ms": singleTarget(!censored(hs, "p50_ms") && p50Ratio !== null && p50Ratio <= 2 && lat(hs, "p50_ms") <= 100, p50Ratio !== null || censored(hs, "p50_ms")),
      "single p99 ≤ 2× bare": singleTarget(!censored(hs, "p99_ms") && p99Ratio !== null && p99Ratio <= 2, p99Ratio !== null || censored(hs, "p99_ms")),
      "single: no backlog left growing": singleTarget(hGrowing === false, hGrowing !== null),
    },
    targets_note: offSingleRate
      ? `single-endpoint rounds ran at ${hs.offered_events_per_s} events/s (--single-rate); issue 14's single-endpoint targets are judged at ${ISSUE_14_SINGLE_RATE} only`
      : null,
  };
}
