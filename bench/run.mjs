// `npm run bench [-- --quick] [-- --out DIR] [-- --only PHASE,…]`: starts the Worker as `npm start` does (own port and state), and the bare
// pipeline (bench/bare) beside it, measures the runtime ceiling, ingest, end-to-end delivery against the bare
// pipeline, rate limits, cost and memory, then writes <date>.json + .md.
// `npm run bench -- --soak [seconds]`: only the soak (issue 20) against both, → <date>-soak.json + .md.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "./lib/http.mjs";
import { PRICES_CHECKED, USD_PER_MILLION } from "./lib/prices.mjs";
import { cpuSecondsOfTree, memoryOfTree, threadCpuSeconds } from "./lib/proc.mjs";
import { startReceiver } from "./lib/receiver.mjs";
import { ratio } from "./lib/stats.mjs";
import { renderMarkdown } from "./lib/report.mjs";
import { sourceState, startWorker } from "./lib/worker.mjs";
import { runBaseline } from "./lib/phases/baseline.mjs";
import { runIngestBatch, runIngestSingle } from "./lib/phases/ingest.mjs";
import { runWsIngest } from "./lib/phases/ws-ingest.mjs";
import { runE2eFixed, runMaxSustained } from "./lib/phases/e2e.mjs";
import { runRateLimits } from "./lib/phases/rate-limit.mjs";
import { runCost } from "./lib/phases/cost-phase.mjs";
import { runFanoutFilters } from "./lib/phases/fanout-filters.mjs";
import { probeDelivery, SkipError } from "./lib/phases/setup.mjs";
import { startBare } from "./lib/bare.mjs";
import { compareWithBare, runBurstPairs, runHookrelayBurst, runHookrelaySingle, runSinglePairs } from "./lib/phases/bare-compare.mjs";
import { runCostBatch } from "./lib/phases/cost-phase.mjs";
import { runSoak, soakTargets, startRssSampler } from "./lib/phases/soak.mjs";
import { renderSoakMarkdown } from "./lib/report-soak.mjs";

const ROOT = resolve(import.meta.dirname, "..");

/** Every duration and load in one place; --quick keeps the same shape, shorter (well under 2 minutes). */
const PROFILES = {
  full: {
    budgetS: 900, warmupS: 2, concurrency: 50, batchConcurrency: 10, baselineS: 10, ingestS: 12, wsS: 10, wsWindow: 50,
    e2eEventsPerS: 200, fanoutEventsPerS: 20, e2eS: 30, singleS: 20, singleRounds: 3, singleWarmupEvents: 20, drainS: 30, maxInFlight: 256,
    maxSteps: [50, 100, 200, 400, 800, 1600, 3200], stepS: 8, stepGraceS: 4, refineMax: true,
    rateLimits: [2, 5, 20], rateWindowS: 10, probeTimeoutS: 20, quiesceMaxS: 20,
    costEvents: 300, costEventsPerS: 50, costDrainS: 60,
    filterEvents: 2000, filterRounds: 2,
    costBatchEvents: 600, costBatchEventsPerS: 100,
    burstEndpoints: 10, burstEvents: 1000, burstDrainS: 60, burstRounds: 3,
    soakEventsPerS: 100, soakSampleS: 15, soakDrainS: 60, soakDefaultS: 600,
  },
  quick: {
    budgetS: 125, warmupS: 1, concurrency: 50, batchConcurrency: 10, baselineS: 2, ingestS: 2, wsS: 2, wsWindow: 50,
    e2eEventsPerS: 200, fanoutEventsPerS: 20, e2eS: 3, singleS: 3, singleRounds: 1, singleWarmupEvents: 3, drainS: 6, maxInFlight: 256,
    maxSteps: [100], stepS: 3, stepGraceS: 3, refineMax: false,
    rateLimits: [2, 5, 20], rateWindowS: 3, probeTimeoutS: 15, quiesceMaxS: 3,
    costEvents: 60, costEventsPerS: 30, costDrainS: 15,
    filterEvents: 300, filterRounds: 1,
    costBatchEvents: 100, costBatchEventsPerS: 100,
    burstEndpoints: 10, burstEvents: 200, burstDrainS: 10, burstRounds: 1,
  },
};

// `--soak=300` is accepted as well as `--soak 300` (a boolean flag followed by an optional number).
const argv = process.argv.slice(2).flatMap((a) => (/^--soak=/.test(a) ? ["--soak", a.slice(7)] : [a]));
const { values: args, positionals } = parseArgs({
  args: argv,
  allowPositionals: true,
  // --only NAME: the delivery probe and that one phase, nothing else (to measure one change without a full run).
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    soak: { type: "boolean", default: false },
    only: { type: "string" },
    // --single-rate N: the single-endpoint rounds at N events/s instead of issue 14's 200 (to see how latency
    // depends on load); their issue 14 verdicts are then left unjudged.
    "single-rate": { type: "string" },
  },
});
// `--only rate_limits,cost`: run just these phases (comma-separated names as in the results) after the delivery probe.
const onlyPhases = args.only ? new Set(args.only.split(",").map((s) => s.trim().replace(/-/g, "_"))) : null;
const mode = args.soak ? "soak" : args.quick ? "quick" : "full";
const profile = { ...PROFILES[mode === "quick" ? "quick" : "full"] };
if (args["single-rate"] !== undefined) {
  const rate = Number(args["single-rate"]);
  if (!Number.isInteger(rate) || rate < 10 || rate > 1000) {
    console.error(`--single-rate takes events per second from 10 to 1000 (got ${args["single-rate"]})`);
    process.exit(2);
  }
  profile.e2eEventsPerS = rate;
}
if (mode === "soak") {
  const asked = positionals[0] === undefined ? profile.soakDefaultS : Number(positionals[0]);
  if (!Number.isFinite(asked) || asked < 60 || asked > 7200) {
    console.error(`--soak takes a duration in seconds from 60 to 7200 (got ${positionals[0]})`);
    process.exit(2);
  }
  // Whole minutes, so the delivered rate per minute has a full last minute of load.
  profile.soakS = Math.ceil(asked / 60) * 60;
  profile.budgetS = 2 * (profile.soakS + profile.soakDrainS) + 300;
}
const outDir = resolve(args.out ?? join(ROOT, "bench", "results"));
const t0 = Date.now();
const deadline = t0 + profile.budgetS * 1000;
const log = (msg) => console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

function versions() {
  const read = (p) => JSON.parse(readFileSync(join(ROOT, p), "utf8")).version;
  let wrangler = null;
  try {
    wrangler = read("node_modules/wrangler/package.json");
  } catch {
    // reported as null
  }
  return { node: process.version, wrangler, hookrelay: read("package.json"), ...sourceState() };
}

const results = {
  mode,
  started_at: new Date(t0).toISOString(),
  machine: {
    cores: os.availableParallelism?.() ?? os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? "unknown",
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadavg_start: os.loadavg(),
    loadavg_end: null,
  },
  versions: versions(),
  profile,
  prices_checked: PRICES_CHECKED,
  prices_usd_per_million: USD_PER_MILLION,
  worker: {},
  bare: {},
  bare_front: {},
  floor: {},
  phases: {},
  memory: null,
  duration_s: null,
};

let worker;
let bare;
let bareError = null;
let bareFront;
let bareFrontError = null;
let floor;
let floorError = null;
let receiver;
let client;
/** HookRelay's client for issue 14's comparison (its runtime's own port), when it is not `client`. */
let comparisonClient;
const onSignal = async () => {
  await Promise.all([worker?.stop(), bare?.stop(), bareFront?.stop(), floor?.stop()]);
  process.exit(130);
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

/** CPU-seconds of the workerd processes under one wrangler (null when it is not running). */
const workerdCpuOf = (proc) => (proc ? cpuSecondsOfTree(proc.pid, (name) => name.startsWith("workerd")) : null);
const workerdCpu = () => workerdCpuOf(worker);
/** Per-thread CPU-seconds of those workerd processes (busiestThreadShare: how close the one JS thread is to saturation). */
const workerdThreadsOf = (proc) => (proc ? threadCpuSeconds(proc.pid, (name) => name.startsWith("workerd")) : null);
/** CPU of every workerd (HookRelay's and the bare pipelines'): none may still be busy when a phase starts. */
const allWorkerdCpu = () => {
  const all = [worker, bare, bareFront, floor].map(workerdCpuOf).filter((x) => x !== null);
  return all.length ? all.reduce((a, b) => a + b, 0) : null;
};

/** Waits (bounded) until workerd is nearly idle, so one phase's background work does not bleed into the next. */
async function quiesce(maxS = profile.quiesceMaxS) {
  const workerdCpu = allWorkerdCpu;
  const until = Date.now() + maxS * 1000;
  let last = workerdCpu();
  if (last === null) return;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    const now = workerdCpu();
    if (now - last < 0.05) return; // < 10% of one core over 0.5 s
    last = now;
  }
}

/** Runs one phase within the time budget; errors and missing features become { skipped, reason }. */
async function phase(name, minS, fn, reserveS = 0) {
  if (onlyPhases && !onlyPhases.has(name) && name !== "delivery_probe") {
    results.phases[name] = { skipped: true, reason: "not selected (--only)" };
    return undefined;
  }
  const left = (deadline - Date.now()) / 1000 - reserveS;
  if (left < minS) {
    results.phases[name] = { skipped: true, reason: `time budget: ${Math.round(left)} s left, needs ~${minS} s` };
    log(`${name}: skipped (time budget)`);
    return results.phases[name];
  }
  log(`${name}…`);
  const started = Date.now();
  try {
    results.phases[name] = await fn();
  } catch (err) {
    results.phases[name] = { skipped: true, reason: err instanceof SkipError ? err.message : `error: ${err?.stack ?? err}`.slice(0, 600) };
  }
  if (results.phases[name] && typeof results.phases[name] === "object") results.phases[name].phase_s = Math.round((Date.now() - started) / 100) / 10;
  log(`${name}: ${results.phases[name].skipped ? `skipped — ${results.phases[name].reason}` : "done"}`);
  await quiesce();
  return results.phases[name];
}

/**
 * Starts HookRelay and the bare pipeline side by side, and (not for the soak) a second bare copy behind HookRelay's
 * asset front door and the floor (bench/floor, behind the same front); a reference failing only skips its runs.
 */
async function startBoth({ front = true } = {}) {
  const why = (err) => String(err?.message ?? err).slice(0, 600);
  const bareStarting = startBare({ log }).then(
    (b) => (bare = b),
    (err) => (bareError = why(err)),
  );
  if (!front) bareFrontError = floorError = "not started for this run";
  const frontStarting = front
    ? startBare({ log, front: true }).then(
        (b) => (bareFront = b),
        (err) => (bareFrontError = why(err)),
      )
    : null;
  const floorStarting = front
    ? startBare({ log, front: true, floor: true }).then(
        (b) => (floor = b),
        (err) => (floorError = why(err)),
      )
    : null;
  worker = await startWorker({ log });
  await Promise.all([bareStarting, frontStarting, floorStarting]);
  results.worker = { startup_ms: worker.startup_ms, url: worker.url };
  results.bare = bare ? { startup_ms: bare.startup_ms, url: bare.url, source: "bench/bare" } : { error: bareError };
  results.bare_front = bareFront ? { startup_ms: bareFront.startup_ms, url: bareFront.url, source: "bench/bare behind an asset front door" } : { error: bareFrontError };
  results.floor = floor ? { startup_ms: floor.startup_ms, url: floor.url, source: "bench/floor behind an asset front door" } : { error: floorError };
  log(
    `wrangler dev ready on ${worker.url} in ${(worker.startup_ms / 1000).toFixed(1)} s; bare pipeline ${bare ? `on ${bare.url}` : `failed: ${bareError}`}; ` +
      `behind the asset front ${bareFront ? `on ${bareFront.url}` : bareFrontError}; floor ${floor ? `on ${floor.url}` : floorError}`,
  );
  receiver = await startReceiver();
  client = createClient(worker.url, { maxSockets: 128, adminKey: worker.adminKey });
  const cpuOf = { hookrelay: workerdCpu, bare: () => workerdCpuOf(bare), floor: () => workerdCpuOf(floor) };
  const threadsOf = Object.fromEntries(Object.entries({ hookrelay: worker, bare, bareFront, floor }).map(([name, proc]) => [name, () => workerdThreadsOf(proc)]));
  // Issue 14's comparison sends to each runtime's own port when every pipeline's was found (wrangler's dev proxy,
  // absent in production, then costs none of them a share of the machine), else to all through the proxy.
  const direct = [worker, bare, bareFront, floor].filter(Boolean).every((proc) => proc.runtimeUrl);
  const addressOf = (proc) => (direct ? proc.runtimeUrl : proc.url);
  comparisonClient = direct ? createClient(worker.runtimeUrl, { maxSockets: 128, adminKey: worker.adminKey }) : client;
  results.comparison_addressed = direct ? "runtime" : "dev proxy";
  log(`issue 14's comparison addresses ${direct ? "each runtime's own port" : "every pipeline through wrangler's dev proxy"}`);
  return {
    client, comparisonClient, addressOf, receiver, worker, bare, bareError, bareFront, bareFrontError, floor, floorError, profile, log, quiesce, workerdCpu, cpuOf, threadsOf,
  };
}

/** `--soak`: HookRelay, then the bare pipeline, each `soakS` at soakEventsPerS to one endpoint; RSS of both throughout. */
async function soakMain() {
  log(`mode soak (${profile.soakS} s each at ${profile.soakEventsPerS} events/s); ${results.machine.cores} cores; load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  const ctx = await startBoth({ front: false });
  await quiesce();
  const sampler = startRssSampler({ hookrelay: worker.pid, bare: bare?.pid }, profile.soakSampleS);
  const soak = (target) => () => runSoak(ctx, { target, seconds: profile.soakS, eventsPerS: profile.soakEventsPerS, drainS: profile.soakDrainS, sampler });
  const needS = profile.soakS + profile.soakDrainS + 5;
  await phase("soak_hookrelay", needS, soak("hookrelay"), needS);
  await phase("soak_bare", needS, soak("bare"));
  sampler.stop();
  results.soak = { ...soakTargets(results.phases.soak_hookrelay, results.phases.soak_bare), rss_series: sampler.samples.map(({ at, ...s }) => s) };
  results.memory = memoryOfTree(worker.pid);
  results.memory_bare = bare ? memoryOfTree(bare.pid) : null;
  results.receiver = receiver.stats();
}

async function main() {
  log(`mode ${mode}; ${results.machine.cores} cores; load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  const ctx = await startBoth();
  await quiesce();

  await phase("baseline", profile.baselineS + profile.warmupS + 2, () => runBaseline(ctx));

  // Delivery first: the ingest phases queue tens of thousands of events, whose fanout would still be running
  // (and delaying every delivery) if they came before.
  let deliveryReason = null;
  await phase("delivery_probe", profile.probeTimeoutS + 2, async () => {
    try {
      return await probeDelivery(ctx, profile.probeTimeoutS * 1000);
    } catch (err) {
      deliveryReason = err.message;
      throw err;
    }
  });
  // Delivery phases leave time for the three ingest phases that follow.
  const ingestReserveS = profile.ingestS * 2 + profile.wsS + 15;
  const delivery = (name, minS, fn) =>
    deliveryReason ? (results.phases[name] = { skipped: true, reason: deliveryReason }) : phase(name, minS, fn, ingestReserveS);

  const cost = await delivery("cost", profile.costEvents / profile.costEventsPerS + 10, () => runCost(ctx));
  ctx.lowLoadP99Ms = cost?.latency?.p99_ms ?? null;
  await delivery("cost_batch", profile.costBatchEvents / profile.costBatchEventsPerS + 10, () => runCostBatch(ctx));
  // The fanout burst against both pipelines in alternating pairs (runBurstPairs); `--only` either name runs them.
  // After the cost phases: the 30 objects it leaves behind (watchdog alarms, held work) must not be in their counts.
  if (onlyPhases?.has("bare_fanout_burst")) onlyPhases.add("fanout_burst");
  const burst = await delivery("fanout_burst", (floor ? 15 : 10) * profile.burstRounds, async () =>
    bare
      ? runBurstPairs(ctx, { rounds: profile.burstRounds, quiesce })
      : {
          hookrelay: await runHookrelayBurst(ctx),
          bare: { skipped: true, reason: `bare pipeline not started: ${bareError}` },
          floor: { skipped: true, reason: `bare pipeline not started: ${bareError}` },
        },
  );
  // One result per pipeline, as every other phase (a skipped pair skips both).
  results.phases.fanout_burst = burst?.hookrelay ?? results.phases.fanout_burst;
  results.phases.bare_fanout_burst = burst?.bare ?? results.phases.fanout_burst;
  results.phases.floor_fanout_burst = burst?.floor ?? results.phases.fanout_burst;
  // One endpoint at a fixed rate, in alternating pairs too, before the phases that may leave a backlog behind.
  if (onlyPhases?.has("bare_single")) onlyPhases.add("e2e_single");
  const singleRoundS = profile.singleS + profile.drainS + 5;
  const runsPerRound = 2 + (bareFront ? 1 : 0) + (floor ? 1 : 0);
  const single = await delivery("e2e_single", runsPerRound * singleRoundS * profile.singleRounds, async () =>
    bare
      ? runSinglePairs(ctx, { rounds: profile.singleRounds, quiesce })
      : {
          hookrelay: await runHookrelaySingle(ctx),
          bare: { skipped: true, reason: `bare pipeline not started: ${bareError}` },
          bare_front: { skipped: true, reason: `bare pipeline not started: ${bareError}` },
          floor: { skipped: true, reason: `bare pipeline not started: ${bareError}` },
        },
  );
  results.phases.e2e_single = single?.hookrelay ?? results.phases.e2e_single;
  results.phases.bare_single = single?.bare ?? results.phases.e2e_single;
  results.phases.bare_front_single = single?.bare_front ?? results.phases.e2e_single;
  results.phases.floor_single = single?.floor ?? results.phases.e2e_single;
  // Low-load phases first, then the stepped load, then the 10-endpoint fixed load (which may exceed what this
  // machine sustains and leave a backlog behind).
  await delivery("rate_limits", profile.rateWindowS + 6, () => runRateLimits(ctx));
  await delivery("max_sustained", profile.stepS + profile.stepGraceS + 2, () => runMaxSustained(ctx));
  await delivery("e2e_fanout", profile.e2eS + profile.drainS + 5, () => runE2eFixed(ctx, { label: "fan", endpoints: 10, eventsPerS: profile.fanoutEventsPerS }));
  // Quick runs (the smoke test) leave it out unless asked for by name: it adds ~15 s to a ~100 s budget.
  if (mode === "full" || onlyPhases?.has("fanout_filters")) {
    await delivery("fanout_filters", 2 * profile.filterRounds * (profile.filterEvents / 200 + 5), () => runFanoutFilters(ctx));
  } else results.phases.fanout_filters = { skipped: true, reason: "quick mode: run `npm run bench -- --quick --only fanout_filters`" };
  // The fixed loads may have left a backlog: let it drain (bounded) before measuring ingest.
  await quiesce(profile.quiesceMaxS * 2);

  await phase("ingest_single", profile.ingestS + 3, () => runIngestSingle(ctx));
  await phase("ingest_batch", profile.ingestS + 3, () => runIngestBatch(ctx));
  await phase("ingest_ws", profile.wsS + 5, () => runWsIngest(ctx));

  // The ceiling again at the end: on a shared machine it drifts, and the drift says how far to trust ratios.
  await phase("baseline_end", profile.baselineS + profile.warmupS + 2, () => runBaseline(ctx));
  results.memory = worker ? memoryOfTree(worker.pid) : { total_rss_mib: null, reason: "worker not started" };
  results.memory_bare = bare ? memoryOfTree(bare.pid) : null;
  results.receiver = receiver.stats();
  results.vs_bare = { ...compareWithBare(results.phases), addressed: results.comparison_addressed ?? null };
}

let failure = null;
try {
  await (mode === "soak" ? soakMain() : main());
} catch (err) {
  failure = err;
  results.error = String(err?.stack ?? err).slice(0, 2000);
  results.memory ??= { total_rss_mib: null, by_name: {}, reason: "run failed before the memory reading" };
} finally {
  client?.close();
  if (comparisonClient !== client) comparisonClient?.close();
  await receiver?.close();
  await Promise.all([worker?.stop(), bare?.stop(), bareFront?.stop(), floor?.stop()]);
}
results.machine.loadavg_end = os.loadavg();
// Every throughput as a ratio to the runtime ceiling of the same run (null when either side is missing).
{
  const p = results.phases;
  const ceiling = p.baseline?.skipped ? null : p.baseline?.requests_per_s ?? null;
  const r = (x) => ratio(x ?? null, ceiling, 3);
  results.ratios_to_ceiling = {
    ceiling_requests_per_s: ceiling,
    ingest_single_events: r(p.ingest_single?.events_per_s),
    ingest_batch_events: r(p.ingest_batch?.events_per_s),
    ingest_ws_events: r(p.ingest_ws?.events_per_s),
    e2e_single_arrivals_while_sending: r(p.e2e_single?.arrival_rate_during_send),
    e2e_fanout_arrivals_while_sending: r(p.e2e_fanout?.arrival_rate_during_send),
    max_sustained_deliveries: r(p.max_sustained?.max_sustained_deliveries_per_s),
  };
}
const harnessCpu = process.cpuUsage();
// The load generator and receiver share the cores with workerd: say how much CPU they took.
results.harness_cpu_s = Math.round(((harnessCpu.user + harnessCpu.system) / 1e6) * 10) / 10;
results.duration_s = Math.round((Date.now() - t0) / 100) / 10;

mkdirSync(outDir, { recursive: true });
const stamp = results.started_at.slice(0, 10) + (mode === "full" ? "" : `-${mode}`) + (args.only ? `-only-${args.only}` : "");
const render = mode === "soak" ? renderSoakMarkdown : renderMarkdown;
const jsonPath = join(outDir, `${stamp}.json`);
const mdPath = join(outDir, `${stamp}.md`);
writeFileSync(jsonPath, JSON.stringify(results, null, 2) + "\n");
writeFileSync(mdPath, render(results));
log(`wrote ${jsonPath} and ${mdPath} (${results.duration_s} s)`);
if (failure) {
  console.error(failure);
  process.exit(1);
}
console.log("\n" + render(results));
process.exit(0);
