// Renders a results object as the markdown table the README quotes: every figure with its ratio to the
// runtime ceiling measured in the same run, and every skipped part with its reason.
import { ratio } from "./stats.mjs";
import { renderBareComparison } from "./report-bare.mjs";

const fmt = (x, digits = 0) =>
  x === null || x === undefined ? "n/a" : Number(x).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (x) => (x === null || x === undefined ? "n/a" : `${fmt(x, x < 10 ? 1 : 0)} ms`);
const lat = (l, censoredAt) => {
  if (!l || (!l.count && !l.unfinished)) return "no samples";
  const p = (v) => (v === null && l.unfinished ? `> ${censoredAt ?? "limit"}` : ms(v));
  return `p50 ${p(l.p50_ms)} · p99 ${p(l.p99_ms)}`;
};
const skipped = (r) => !r || r.skipped;
const why = (r) => `skipped: ${r?.reason ?? "not run"}`;

export function renderMarkdown(res) {
  const base = res.phases.baseline;
  const ceiling = skipped(base) ? null : base.requests_per_s;
  const vs = (x) => (ceiling && x !== null && x !== undefined ? fmt(ratio(x, ceiling, 3), 3) : "—");
  const rows = [];
  const row = (measure, result, rel, notes) => rows.push(`| ${measure} | ${result} | ${rel} | ${notes} |`);

  row(
    "Runtime ceiling: `GET /healthz`",
    skipped(base) ? "n/a" : `**${fmt(base.requests_per_s)} req/s**`,
    skipped(base) ? "—" : "1.000",
    skipped(base)
      ? why(base)
      : `concurrency ${base.concurrency}, ${base.duration_s} s; ${lat(base.latency)}` +
        (skipped(res.phases.baseline_end) ? "" : `; measured again at the end of the run: ${fmt(res.phases.baseline_end.requests_per_s)} req/s`),
  );
  for (const [key, label] of [
    ["ingest_single", "Ingest: `POST /v1/events`"],
    ["ingest_batch", "Ingest: `POST /v1/events/batch` (100 events/request)"],
    ["ingest_ws", "Ingest: WebSocket frames (`/ingest/ws`)"],
  ]) {
    const r = res.phases[key];
    if (skipped(r)) {
      row(label, "n/a", "—", why(r));
      continue;
    }
    const conc = r.concurrency !== undefined ? `concurrency ${r.concurrency}` : `window of ${r.window} unanswered frames`;
    const reqs = key === "ingest_batch" ? `; ${fmt(r.requests_per_s, 1)} requests/s` : "";
    const refused = r.statuses ? Object.entries(r.statuses).filter(([s]) => s !== "202") : [];
    const errs = refused.length ? `; non-202: ${refused.map(([s, n]) => `${n}×${s}`).join(", ")}` : r.refused ? `; refused ${r.refused}` : "";
    const unit = key === "ingest_ws" ? "per frame" : "per request";
    row(label, `**${fmt(r.events_per_s)} events/s**`, vs(r.events_per_s), `${conc}, ${r.duration_s} s; ${unit} ${lat(r.latency)}${reqs}${errs}`);
  }
  for (const [key, label] of [
    ["e2e_single", "End-to-end latency, 1 endpoint"],
    ["e2e_fanout", "End-to-end latency, 10 endpoints (fanout)"],
  ]) {
    const r = res.phases[key];
    if (skipped(r)) {
      row(label, "n/a", "—", why(r));
      continue;
    }
    row(
      `${label} @ ${fmt(r.offered_events_per_s)} events/s`,
      `**${lat(r.latency, `${r.drain_limit_s} s after the last send`)}**`,
      `${vs(r.offered_deliveries_per_s)} (offered)`,
      `send → receiver arrival; ${fmt(r.offered_deliveries_per_s)} deliveries/s offered for ${r.duration_s} s; ${fmt(r.deliveries_arrived)}/${fmt(r.deliveries_expected)} arrived` +
        (r.deliveries_missing ? ` (${fmt(r.deliveries_missing)} not within ${r.drain_limit_s} s)` : "") +
        `; arrivals/s while sending ${fmt(r.arrival_rate_during_send, 1)}` +
        (r.backlog_drain_rate ? `, then the backlog drained at ${fmt(r.backlog_drain_rate, 1)}/s` : "") +
        (r.ingest.missed || r.events_accepted < r.ingest.planned
          ? `; the producer got only ${fmt(r.events_accepted)}/${fmt(r.ingest.planned)} events accepted (${fmt(r.ingest.achieved_rate, 1)}/s; ${fmt(r.ingest.missed)} sends skipped at the in-flight cap)`
          : ""),
    );
  }
  const m = res.phases.max_sustained;
  if (skipped(m)) row("Max sustained deliveries/s", "n/a", "—", why(m));
  else {
    const top = m.reached_top_step ? " (highest step tried: the real maximum is higher)" : "";
    const fail = m.steps.find((s) => !s.sustained);
    const best = m.steps.find((s) => s.sustained && s.offered_deliveries_per_s === m.max_sustained_deliveries_per_s);
    row(
      `Max sustained deliveries/s (${m.fanout}-endpoint fanout)`,
      m.max_sustained_deliveries_per_s === null ? "none sustained" : `**${fmt(m.max_sustained_deliveries_per_s)}/s**`,
      vs(m.max_sustained_deliveries_per_s),
      `steps of ${m.step_s} s: ${m.steps.map((s) => `${s.offered_deliveries_per_s}${s.sustained ? "✓" : "✗"}`).join(" ")}${top}` +
        (best ? `; at ${fmt(best.offered_deliveries_per_s)}/s: ${lat(best.latency)}` : "") +
        (fail
          ? `; at ${fail.offered_deliveries_per_s}/s: ${fail.limited_by} — ${Math.round(fail.arrived_share_after_grace * 100)}% arrived within ${m.grace_s} s, p50 ${ms(fail.latency_first_quarter_p50_ms)} → ${fail.latency_last_quarter_p50_ms === null ? `> ${m.grace_s} s after the last send` : ms(fail.latency_last_quarter_p50_ms)} from the first to the last quarter of sends`
          : ""),
    );
  }
  const ff = res.phases.fanout_filters;
  if (ff !== undefined) {
    if (skipped(ff)) row("Fanout with filters", "n/a", "—", why(ff));
    else
      row(
        "Fanout events/s, 0 vs 10 filtered subscriptions per owner",
        `**${fmt(ff.events_per_s_0_filtered)} vs ${fmt(ff.events_per_s_10_filtered)} events/s**`,
        ff.ratio_10_to_0 === null ? "—" : `${fmt(ff.ratio_10_to_0 * 100, 1)}% of unfiltered`,
        `${fmt(ff.events_per_round)} events per round in batches of 100, first send → all fanned out (held deliveries of a disabled endpoint, polled every 250 ms); median of ${ff.rounds} alternating round(s); ` +
          `the 10 filters refuse every event at their last condition (${fmt(ff.runs.reduce((n, r) => n + r.stray_deliveries, 0))} stray deliveries)`,
      );
  }
  const rl = res.phases.rate_limits;
  if (skipped(rl)) row("Rate-limit accuracy", "n/a", "—", why(rl));
  else
    for (const l of rl.limits) {
      row(
        `Rate limit ${l.configured_per_s}/s`,
        l.observed_per_s === null
          ? "n/a"
          : `**${fmt(l.observed_per_s, 2)}/s observed** (${fmt(l.accuracy * 100, 1)}%)${l.steady_per_s ? `; ${fmt(l.steady_per_s, 2)}/s (${fmt(l.steady_accuracy * 100, 1)}%) over the last two thirds` : ""}`,
        "—",
        l.observed_per_s === null
          ? l.reason ?? "too few arrivals"
          : `a backlog of ${l.events_sent} drained in ${l.drain_s} s; rate = arrivals after the first ${l.configured_per_s} over the time from the ${l.configured_per_s}th to the last; most in any 1 s window (the first included, as the receiver saw them): ${l.max_in_any_1s}${l.round_trip_ms ? `; attempt round trip mean ${fmt(l.round_trip_ms.mean, 1)} ms (p90 ${l.round_trip_ms.p90} ms), so at most ${fmt(l.in_flight_ceiling_per_s, 1)}/s with max_in_flight 6` : ""}${l.complete ? "" : `; only ${l.arrivals} arrived in time`}`,
      );
    }
  for (const [key, shape] of [
    ["cost", "single events, 1 endpoint"],
    ["cost_batch", "batch ingest of 100, fanout to 3"],
  ]) {
    const c = res.phases[key];
    if (key === "cost_batch" && !c) continue; // results from before the second shape existed
    if (skipped(c)) {
      row(`Cost per delivered event (${shape})`, "n/a", "—", why(c));
      continue;
    }
    const p = c.per_delivery;
    const item = (v, unit) => (v === null || v === undefined ? `${unit} n/a` : `${fmt(v, 3)} ${unit}`);
    const st = c.rows_by_store;
    row(
      `Billable operations per delivery (${shape})`,
      [item(p.worker_requests, "Worker req"), item(p.queue_operations, "queue ops"), item(p.do_requests, "DO req"), item(p.d1_rows_read, "D1 rows read"), item(p.d1_rows_written, "D1 rows written"), item(p.do_sql_rows_read, "DO rows read"), item(p.do_sql_rows_written, "DO rows written")].join(" · "),
      "—",
      `${fmt(c.events)} events (${c.shape ?? "POST /v1/events"}) at ${fmt(c.offered_events_per_s)}/s, ${fmt(c.deliveries)} delivered before counting; local workerd CPU ${item(p.worker_cpu_ms, "ms")}/delivery (upper bound)` +
        (st ? `; **rows written per delivery: ${fmt(st.total_rows_written, 2)}** (${Object.entries(st.written).map(([k, v]) => `${k === "d1" ? "D1" : k === "do_sql" ? "DO SQLite" : k} ${fmt(v, 2)}`).join(", ")}${Object.keys(st.breakdown).length ? `; of which ${Object.entries(st.breakdown).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(", ")}` : ""})` : ""),
    );
    const u = c.usd_per_million_deliveries;
    row(
      `USD per million deliveries (${shape})`,
      `**$${fmt(u.total, 2)}**${u.complete ? "" : " (partial)"}`,
      "—",
      `at Cloudflare's list prices (bench/lib/prices.mjs, checked ${res.prices_checked})` + (u.missing.length ? `; not counted: ${u.missing.join(", ")}` : "") +
        (c.storage_per_delivery?.by_store ? `; storage per delivery: ${Object.entries(c.storage_per_delivery.by_store).map(([k, x]) => `${k === "d1" ? "D1" : k.replace(/^do:/, "")} ${fmt(x.allocated_bytes)} B`).join(", ")}` : ""),
    );
  }
  const mem = res.memory;
  row(
    "Memory (RSS) at the end",
    mem.total_rss_mib === null ? "n/a" : `**${fmt(mem.total_rss_mib)} MiB**`,
    "—",
    (mem.total_rss_mib === null ? mem.reason : Object.entries(mem.by_name).map(([n, v]) => `${n === "node" ? "wrangler (node)" : n} ${fmt(v)} MiB`).join(", ")) +
      (res.memory_bare?.total_rss_mib ? `; the bare pipeline's wrangler beside it: ${fmt(res.memory_bare.total_rss_mib)} MiB (workerd ${fmt(res.memory_bare.by_name.workerd)} MiB)` : ""),
  );

  const mc = res.machine;
  const la = (x) => x.map((v) => v.toFixed(2)).join(" / ");
  return [
    `# HookRelay benchmark — ${res.started_at.slice(0, 10)} (${res.mode})`,
    "",
    `Local \`wrangler dev\` (workerd + Miniflare: local D1, Queues, Durable Objects) driven over loopback by a separate Node process. ` +
      `${mc.cores} cores (${mc.cpu_model}), ${fmt(mc.memory_gib, 1)} GiB RAM; load average (1/5/15 min) ${la(mc.loadavg_start)} at start, ${la(mc.loadavg_end)} at the end. ` +
      `Node ${res.versions.node}, wrangler ${res.versions.wrangler}, commit ${res.versions.commit}${res.versions.uncommitted_source_files ? ` plus ${res.versions.uncommitted_source_files} uncommitted source files (measured as they were)` : ""}` +
      `. Run took ${fmt(res.duration_s)} s; the harness itself (load generator + receiver, same machine) used ${fmt(res.harness_cpu_s, 1)} CPU-seconds.`,
    "",
    "| Measure | Result | vs runtime ceiling | Notes |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    "Ratios divide events/s or deliveries/s by the ceiling's requests/s from the same run. The harness, the receiver and workerd share the same cores, and other work on the machine adds noise: read the load averages.",
    "",
    ...renderBareComparison(res),
  ].join("\n");
}
