// The "beside the bare pipeline" section of the results markdown: HookRelay's fanout throughput and single-
// endpoint latency next to the bare pipeline's from the same run, the ratios, and issue 14's targets.

const fmt = (x, digits = 0) =>
  x === null || x === undefined ? "n/a" : Number(x).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (x) => (x === null || x === undefined ? "n/a" : `${fmt(x)} ms`);
/** "p50 … / p99 …" of a single-endpoint run's summary (compareWithBare), with its backlog verdict. */
const latencyText = (x) => `p50 ${ms(x.p50_ms)} / p99 ${ms(x.p99_ms)}${x.backlog_growing ? ", backlog left growing" : ""}`;
const verdict = (v) => (v === null || v === undefined ? "not measured" : v ? "**pass**" : "**fail**");

/** A row with every round of the paired fanout bursts (the table's first row is the median pair). */
function burstRounds(bare, hookrelay) {
  const ratios = hookrelay?.rounds_ratio;
  if (!Array.isArray(ratios) || ratios.length < 2) return [];
  const list = (xs, digits = 0) => xs.map((x) => fmt(x, digits)).join(" · ");
  const cpu = hookrelay.rounds_cpu_ratio;
  return [
    `| fanout rounds (bare, then HookRelay, alternating; median pair above) | ${list(bare.rounds_deliveries_per_s)} | ${list(hookrelay.rounds_deliveries_per_s)} | ${list(ratios, 2)} |`,
    ...(Array.isArray(cpu) && cpu.some((x) => x !== null)
      ? [`| the same rounds: workerd CPU per delivery, ms (from the first send until the pipeline went quiet, history writes included) | ${list(bare.rounds_cpu_ms_per_delivery, 3)} | ${list(hookrelay.rounds_cpu_ms_per_delivery, 3)} | ${list(cpu, 2)} |`]
      : []),
  ];
}

/** A row with every round of the paired single-endpoint runs (p50 / p99 per round). */
function singleRounds(bare, hookrelay) {
  const ratios = hookrelay?.rounds_ratio_p50;
  if (!Array.isArray(ratios) || ratios.length < 2) return [];
  const list = (rounds) => rounds.map((x) => `${fmt(x.p50_ms)}/${fmt(x.p99_ms)}`).join(" · ");
  return [
    `| single rounds, p50/p99 ms (bare, then HookRelay, alternating; median pair by p50 above) | ${list(bare.rounds_latency)} | ${list(hookrelay.rounds_latency)} | p50 ${ratios.map((x) => fmt(x, 2)).join(" · ")} |`,
    ...threadLoadRow("the same rounds", [bare.rounds_latency, hookrelay.rounds_latency]),
  ];
}

/**
 * "busiest thread (machine)" per round, e.g. "0.57 (0.81)": how close the one workerd thread was to saturation
 * while the load was offered, and how busy the machine's cores were. Empty when no round has it (older results).
 */
function threadLoads(rounds) {
  if (!Array.isArray(rounds) || !rounds.some((x) => x?.runtime_busiest_thread != null)) return null;
  return rounds.map((x) => `${fmt(x.runtime_busiest_thread, 2)} (${fmt(x.machine_busy, 2)})`).join(" · ");
}

/** A table row of threadLoads() per column; `columns` are rounds_latency lists, blank cells padded by `pad`. */
function threadLoadRow(label, columns, pad = 1) {
  const cells = columns.map(threadLoads);
  if (cells.every((c) => c === null)) return [];
  return [`| ${label}: the busiest workerd thread's share of a core while sending (machine's cores busy) | ${cells.map((c) => c ?? "n/a").join(" | ")} |${" |".repeat(pad)}`];
}

/** Rows for the bare copy behind HookRelay's asset front door (informational: not one of issue 14's baselines). */
function sameFrontRows(v, p) {
  const f = v.single_same_front;
  if (!f) return [];
  const rounds = p.bare_front_single?.rounds_latency ?? [];
  const ratios = p.bare_front_single?.rounds_ratio_p50 ?? [];
  return [
    `| ${f.what} | ${latencyText(f.bare_front)} | ${latencyText(f.hookrelay)} | p50 ${fmt(f.ratio_p50_hookrelay_to_bare_front, 2)} · p99 ${fmt(f.ratio_p99_hookrelay_to_bare_front, 2)} |`,
    ...(rounds.length >= 2
      ? [`| single rounds behind the asset front, p50/p99 ms (run between the two above) | ${rounds.map((x) => `${fmt(x.p50_ms)}/${fmt(x.p99_ms)}`).join(" · ")} | | p50 ${ratios.map((x) => fmt(x, 2)).join(" · ")} |`]
      : []),
  ];
}

/**
 * The floor (bench/floor) beside both: what issue 14's required per-delivery work costs on this runtime by itself,
 * so the bare pipeline's figures split into "the issue's work" (floor ÷ bare) and "HookRelay's own" (HookRelay ÷ floor).
 */
function floorRows(v, p) {
  const fl = v.floor;
  if (!fl) return [];
  const ff = p.floor_fanout_burst;
  const fs = p.floor_single;
  const list = (xs, digits = 0) => (Array.isArray(xs) ? xs.map((x) => fmt(x, digits)).join(" · ") : "n/a");
  const rows = [
    "### The floor: the work issue 14 requires, and nothing else",
    "",
    "`bench/floor`: the bare pipeline plus, per event, a record in its owner's history shard before the hand-over and, per delivery, a deterministic id, a Standard Webhooks signature with the documented headers, a timeout, a bounded read of the response and one history row written in batches — the plain way, behind the same asset front door as HookRelay. Nothing else: no retries, rate limits, settings, recovery or API. What it reaches against the bare pipeline approximates the best any implementation of the issue reaches on this runtime; what HookRelay loses against it is HookRelay's own.",
    "",
    "| same run | bare pipeline | floor | HookRelay | floor ÷ bare | HookRelay ÷ floor |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  if (ff && !ff.skipped) {
    rows.push(
      `| fanout deliveries/s (floor: its round with the median floor ÷ bare) | ${fmt(v.fanout.bare_deliveries_per_s)} | ${fmt(fl.fanout_deliveries_per_s)} | ${fmt(v.fanout.hookrelay_deliveries_per_s)} | ${fmt(fl.fanout_ratio_floor_to_bare, 2)} | ${fmt(fl.fanout_ratio_hookrelay_to_floor, 2)} (median of rounds) |`,
      ...(ff.rounds_deliveries_per_s?.length >= 2
        ? [`| fanout rounds, deliveries/s and ratios | ${list(p.bare_fanout_burst?.rounds_deliveries_per_s)} | ${list(ff.rounds_deliveries_per_s)} | ${list(p.fanout_burst?.rounds_deliveries_per_s)} | ${list(ff.rounds_ratio_to_bare, 2)} | ${list(ff.rounds_ratio_hookrelay_to_floor, 2)} |`]
        : []),
      `| ${ff.rounds_deliveries_per_s?.length >= 2 ? "the same rounds: " : ""}workerd CPU per delivery, ms | ${list(p.bare_fanout_burst?.rounds_cpu_ms_per_delivery, 3)} | ${list(ff.rounds_cpu_ms_per_delivery, 3)} | ${list(p.fanout_burst?.rounds_cpu_ms_per_delivery, 3)} | ${list(ff.rounds_cpu_ratio_to_bare, 2)} | ${list(ff.rounds_cpu_ratio_hookrelay_to_floor, 2)} |`,
    );
  } else rows.push(`| fanout | | n/a${ff?.skipped ? ` (skipped: ${ff.reason})` : ""} | | | |`);
  if (fs && !fs.skipped && fl.single) {
    const rounds = (xs) => (Array.isArray(xs) ? xs.map((x) => `${fmt(x.p50_ms)}/${fmt(x.p99_ms)}`).join(" · ") : "n/a");
    rows.push(
      `| 1 endpoint, arrival latency (floor: its round with the median p50 ratio to bare) | ${latencyText(v.single.bare ?? {})} | ${latencyText(fl.single)} | ${latencyText(v.single.hookrelay ?? {})} | p50 ${fmt(fl.single_ratio_p50_floor_to_bare, 2)} | p50 ${fmt(fl.single_ratio_p50_hookrelay_to_floor, 2)} (median of rounds) |`,
      ...(fs.rounds_latency?.length >= 2
        ? [
            `| single rounds, p50/p99 ms and p50 ratios | ${rounds(p.bare_single?.rounds_latency)} | ${rounds(fs.rounds_latency)} | ${rounds(p.e2e_single?.rounds_latency)} | ${list(fs.rounds_ratio_p50_to_bare, 2)} | ${list(fs.rounds_ratio_p50_hookrelay_to_floor, 2)} |`,
            ...threadLoadRow("the same rounds", [p.bare_single?.rounds_latency, fs.rounds_latency, p.e2e_single?.rounds_latency], 2),
          ]
        : []),
    );
  } else rows.push(`| 1 endpoint | | n/a${fs?.skipped ? ` (skipped: ${fs.reason})` : ""} | | | |`);
  return [...rows, ""];
}

/** Where the comparison's requests went (run.mjs): each runtime's own port, or all through wrangler's dev proxy. */
function addressedText(addressed) {
  if (addressed === "runtime") {
    return [
      "Every pipeline here is sent its requests on its runtime's own port: `wrangler dev`'s proxy (a second workerd in front of every request, there for reloads, absent in production; on 2 cores it takes 0.4–0.5 of a core at 200 requests/s) is skipped for all of them alike.",
      "",
    ];
  }
  if (addressed === "dev proxy") return ["Every pipeline here is sent its requests through `wrangler dev`'s proxy (a runtime's own port was not found).", ""];
  return [];
}

/** Lines of markdown (empty when the run has no comparison, e.g. older results). */
export function renderBareComparison(res) {
  const v = res.vs_bare;
  if (!v) return [];
  const f = v.fanout;
  const s = v.single;
  const p = res.phases;
  const skippedWhy = (r) => (r?.skipped ? ` (skipped: ${r.reason})` : "");
  const latency = (x, r) => (x ? latencyText(x) : `n/a${skippedWhy(r)}`);
  const censored = (r) => (r && !r.skipped && r.latency?.unfinished ? ` (${fmt(r.latency.unfinished)} not arrived within ${r.drain_limit_s} s)` : "");
  return [
    "## Beside the bare pipeline (same run)",
    "",
    "The bare pipeline (`bench/bare`) is the runtime's own path for a webhook under the same `wrangler dev`: POST → `queue.sendBatch` → consumer (`max_batch_timeout = 0`) → one Durable Object per target (RPC, 6 fetches at once per call, as HookRelay's default `max_in_flight`) → fetch to the same loopback receiver, with no storage and no bookkeeping.",
    "",
    ...addressedText(v.addressed),
    "| same run | bare pipeline | HookRelay | HookRelay ÷ bare |",
    "| --- | --- | --- | --- |",
    `| ${f.what} | ${fmt(f.bare_deliveries_per_s)}${skippedWhy(p.bare_fanout_burst)} | ${fmt(f.hookrelay_deliveries_per_s)}${skippedWhy(p.fanout_burst)} | ${fmt(f.ratio_hookrelay_to_bare, 2)} |`,
    `| ${s.what} | ${latency(s.bare, p.bare_single)}${censored(p.bare_single)} | ${latency(s.hookrelay, p.e2e_single)}${censored(p.e2e_single)} | p50 ${fmt(s.ratio_p50_hookrelay_to_bare, 2)} · p99 ${fmt(s.ratio_p99_hookrelay_to_bare, 2)} |`,
    ...burstRounds(p.bare_fanout_burst, p.fanout_burst),
    ...singleRounds(p.bare_single, p.e2e_single),
    `| backlog left when the load stopped (deliveries) | ${fmt(s.bare?.backlog_at_load_end)} | ${fmt(s.hookrelay?.backlog_at_load_end)} | |`,
    ...(s.hookrelay?.first_delivery_ms != null || s.bare?.first_delivery_ms != null
      ? [`| cold start: the first delivery to the new endpoint, before the measured load (warm-up: ${p.e2e_single?.warmup?.events ?? "n/a"} events, 50 ms apart) | ${ms(s.bare?.first_delivery_ms)} | ${ms(s.hookrelay?.first_delivery_ms)} | |`]
      : []),
    ...sameFrontRows(v, p),
    "",
    ...(v.single_same_front
      ? [
          "Behind the asset front: a second copy of the bare pipeline with static assets and `run_worker_first` routes as HookRelay has for its dashboard. Locally every request to such a Worker first passes Miniflare's asset proxy and router workers on the same workerd thread; in production they run outside the Worker and are not billed. Informational: issue 14's targets are against the bare pipeline without it.",
          "",
        ]
      : []),
    `Targets (issue 14): ${Object.entries(v.targets).map(([k, ok]) => `${k}: ${v.targets_note && k.startsWith("single") ? "not judged" : verdict(ok)}`).join("; ")}.${v.targets_note ? ` Not judged: ${v.targets_note}.` : ""}`,
    "",
    ...floorRows(v, p),
  ];
}
