// Soak (issue 20): a steady load for minutes to one endpoint — HookRelay, then the bare pipeline — with the RSS
// of each wrangler's workerd sampled throughout, deliveries per minute against the offered rate, the backlog
// at the end of the load, and whether everything arrived within the drain limit after the load stopped.
import { barePoster } from "../bare.mjs";
import { createClient } from "../http.mjs";
import { memoryOfTree } from "../proc.mjs";
import { median, r1, ratio } from "../stats.mjs";
import { fixedLoad } from "./e2e.mjs";
import { createEndpoints, disableEndpoints } from "./setup.mjs";

/** workerd RSS (MiB, summed over the tree's workerd processes) of each named process tree, every `everyS`. */
export function startRssSampler(trees, everyS) {
  const t0 = performance.now();
  const samples = [];
  const take = () => {
    const s = { t_s: r1((performance.now() - t0) / 1000), at: performance.now() };
    for (const [name, pid] of Object.entries(trees)) {
      if (!pid) continue;
      const m = memoryOfTree(pid);
      s[`${name}_workerd_mib`] = m.by_name?.workerd ?? null;
      s[`${name}_total_mib`] = m.total_rss_mib;
      // Which workerd processes: a drop in RSS with new pids is a restart, with the same pids a release.
      s[`${name}_workerd_pids`] = (m.processes ?? []).filter((p) => p.name === "workerd").map((p) => p.pid).join(",");
    }
    samples.push(s);
  };
  take();
  const timer = setInterval(take, everyS * 1000);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
    },
  };
}

/** Median, peak and least-squares slope (MiB/min) of `name`'s workerd RSS over samples taken in [from, to]. */
export function rssSummary(samples, name, from, to) {
  const key = `${name}_workerd_mib`;
  const all = samples.filter((s) => s[key] !== null && s[key] !== undefined);
  const inLoad = all.filter((s) => s.at >= from && s.at <= to);
  if (inLoad.length === 0) return null;
  // The plateau: the median of the last third of the load window (early samples are the climb).
  const lastThird = inLoad.filter((s) => s.at >= from + ((to - from) * 2) / 3);
  const plateau = median((lastThird.length ? lastThird : inLoad.slice(-1)).map((s) => s[key]));
  let slope = null;
  if (lastThird.length >= 3) {
    const xs = lastThird.map((s) => s.at / 60_000);
    const ys = lastThird.map((s) => s[key]);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const num = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
    const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    slope = den > 0 ? r1(num / den) : null;
  }
  return {
    at_load_start_mib: inLoad[0][key],
    plateau_mib: plateau,
    peak_mib: Math.max(...inLoad.map((s) => s[key])),
    at_end_mib: all.at(-1)[key],
    slope_last_third_mib_per_min: slope,
  };
}

/** One soak against `target` ("hookrelay" or "bare"); `sampler` is the run's RSS sampler (both trees). */
export async function runSoak(ctx, { target, seconds, eventsPerS, drainS, sampler }) {
  const path = `/soak/${target}`;
  let post;
  let ids = [];
  let client;
  if (target === "hookrelay") {
    ids = await createEndpoints(ctx, { owner: "bench-soak", eventType: "bench.soak", paths: [path] });
  } else {
    if (!ctx.bare) return { skipped: true, reason: `bare pipeline not started: ${ctx.bareError ?? "unknown"}` };
    client = createClient(ctx.bare.url, { maxSockets: 128 });
    post = barePoster(client, [ctx.receiver.url + path]);
    post.label = "POST /events (bare)";
  }
  const from = performance.now();
  const load = await fixedLoad(ctx, { owner: "bench-soak", eventType: "bench.soak", paths: [path], eventsPerS, durationS: seconds, drainS, post, binS: 60 });
  const loadEnd = from + seconds * 1000;
  client?.close();
  if (ids.length) await disableEndpoints(ctx, ids);
  // Per minute: deliveries offered and arrived, and the backlog (accepted − arrived so far) at the minute's end.
  let offered = 0;
  let arrived = 0;
  const perMinute = load.timeline.map((b) => {
    offered += b.deliveries_offered;
    arrived += b.deliveries_arrived;
    // Planned: what the load generator meant to send in this minute (accepted can be less when ingest lags).
    const planned = b.to_s <= seconds ? eventsPerS * 60 : 0;
    return { ...b, deliveries_planned: planned, delivered_share: ratio(b.deliveries_arrived, planned || b.deliveries_offered, 3), backlog_at_end: offered - arrived };
  });
  // seconds is a whole number of minutes (run.mjs rounds it up), so the load's last minute is one bin.
  const lastLoadMinute = perMinute[Math.max(0, Math.round(seconds / 60) - 1)];
  const samplesInWindow = sampler.samples.filter((s) => s.at >= from && s.at <= performance.now());
  delete load.timeline;
  delete load.ingest.statuses;
  return {
    target,
    offered_events_per_s: eventsPerS,
    duration_s: seconds,
    sample_every_s: ctx.profile.soakSampleS,
    rss_workerd: rssSummary(sampler.samples, target, from, loadEnd),
    rss_samples: samplesInWindow.map(({ at, ...s }) => ({ ...s, t_s: r1((at - from) / 1000) })),
    per_minute: perMinute,
    last_load_minute_delivered_share: lastLoadMinute?.delivered_share ?? null,
    backlog_at_load_end: load.backlog_at_load_end,
    all_delivered_within_drain: load.deliveries_missing === 0,
    ...load,
  };
}

function pctOrNa(x) {
  return x === null ? "n/a" : `${Math.round(x * 1000) / 10}%`;
}

/** Issue 20's targets from the two soaks of one run: pass/fail, null when not measured. */
export function soakTargets(hr, bare) {
  const ok = (r) => r && !r.skipped;
  const hp = ok(hr) ? hr.rss_workerd?.plateau_mib ?? null : null;
  const bp = ok(bare) ? bare.rss_workerd?.plateau_mib ?? null : null;
  const plateauRatio = ratio(hp, bp, 2);
  // Memory is only comparable when both carried the load: a pipeline that accepted or delivered far less than
  // offered holds less, and "passing" on that would flatter it.
  const carried = (r) => (ok(r) ? Math.min(r.ingest.ok / Math.max(1, r.ingest.planned), r.deliveries_arrived / Math.max(1, r.deliveries_expected)) : null);
  const comparable = carried(hr) !== null && carried(bare) !== null && carried(hr) >= 0.9 && carried(bare) >= 0.9;
  return {
    hookrelay_workerd_plateau_mib: hp,
    bare_workerd_plateau_mib: bp,
    plateau_ratio_hookrelay_to_bare: plateauRatio,
    plateau_comparable: comparable,
    plateau_note: comparable
      ? null
      : `not comparable: accepted and delivered share of the planned load — HookRelay ${pctOrNa(carried(hr))}, bare ${pctOrNa(carried(bare))} (both need ≥ 90%)`,
    targets: {
      "HookRelay workerd plateau ≤ 1.3× the bare pipeline's": plateauRatio === null || !comparable ? null : plateauRatio <= 1.3,
      "delivered in the last minute of load ≥ 98% of offered": ok(hr) && hr.last_load_minute_delivered_share !== null ? hr.last_load_minute_delivered_share >= 0.98 : null,
      "everything delivered ≤ 60 s after the load stops": ok(hr) ? hr.all_delivered_within_drain && hr.drain_limit_s <= 60 : null,
    },
  };
}
