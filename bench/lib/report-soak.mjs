// Markdown for `npm run bench -- --soak`: workerd memory over time for HookRelay and the bare pipeline, the
// delivered rate per minute against the offered rate, the backlog, and issue 20's targets.

const fmt = (x, digits = 0) =>
  x === null || x === undefined ? "n/a" : Number(x).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (v) => (v === null || v === undefined ? "not measured" : v ? "**pass**" : "**fail**");

export function renderSoakMarkdown(res) {
  const h = res.phases.soak_hookrelay;
  const b = res.phases.soak_bare;
  const soak = res.soak ?? { targets: {} };
  const mc = res.machine;
  const la = (x) => x.map((v) => v.toFixed(2)).join(" / ");
  const ok = (r) => r && !r.skipped;
  const col = (r, f) => (ok(r) ? f(r) : `n/a${r?.reason ? ` (${r.reason})` : ""}`);
  const m = (r) => r.rss_workerd ?? {};
  const lines = [
    `# HookRelay soak — ${res.started_at.slice(0, 10)}`,
    "",
    `Local \`wrangler dev\` for HookRelay and for the bare pipeline (\`bench/bare\`), one endpoint each at ${fmt(res.profile.soakEventsPerS)} single events/s for ${fmt(res.profile.soakS)} s, one after the other (HookRelay first), then up to ${res.profile.soakDrainS} s for the rest to arrive. RSS of each wrangler's workerd processes every ${res.profile.soakSampleS} s. ` +
      `${mc.cores} cores, ${fmt(mc.memory_gib, 1)} GiB RAM; load average ${la(mc.loadavg_start)} at start, ${mc.loadavg_end ? la(mc.loadavg_end) : "n/a"} at the end. wrangler ${res.versions.wrangler}, commit ${res.versions.commit}. Run took ${fmt(res.duration_s)} s.`,
    "",
    "| | bare pipeline | HookRelay |",
    "| --- | --- | --- |",
    `| workerd RSS at load start → plateau (median of the load's last third) → peak, MiB | ${col(b, (r) => `${fmt(m(r).at_load_start_mib)} → ${fmt(m(r).plateau_mib)} → ${fmt(m(r).peak_mib)}`)} | ${col(h, (r) => `${fmt(m(r).at_load_start_mib)} → ${fmt(m(r).plateau_mib)} → ${fmt(m(r).peak_mib)}`)} |`,
    `| workerd RSS slope over the load's last third, MiB/min | ${col(b, (r) => fmt(m(r).slope_last_third_mib_per_min, 1))} | ${col(h, (r) => fmt(m(r).slope_last_third_mib_per_min, 1))} |`,
    `| events accepted / planned (sends skipped at the in-flight cap) | ${col(b, (r) => `${fmt(r.ingest.ok)} / ${fmt(r.ingest.planned)} (${fmt(r.ingest.missed)})`)} | ${col(h, (r) => `${fmt(r.ingest.ok)} / ${fmt(r.ingest.planned)} (${fmt(r.ingest.missed)})`)} |`,
    `| delivered ÷ planned (100 %: 60 × the offered rate) in the last minute of load | ${col(b, (r) => fmt(r.last_load_minute_delivered_share * 100, 1) + "%")} | ${col(h, (r) => fmt(r.last_load_minute_delivered_share * 100, 1) + "%")} |`,
    `| backlog when the load stopped (deliveries) | ${col(b, (r) => fmt(r.backlog_at_load_end))} | ${col(h, (r) => fmt(r.backlog_at_load_end))} |`,
    `| arrived / accepted; all within ${res.profile.soakDrainS} s after the load | ${col(b, (r) => `${fmt(r.deliveries_arrived)} / ${fmt(r.deliveries_expected)}; ${r.all_delivered_within_drain ? `yes (${r.drained_within_s} s)` : "no"}`)} | ${col(h, (r) => `${fmt(r.deliveries_arrived)} / ${fmt(r.deliveries_expected)}; ${r.all_delivered_within_drain ? `yes (${r.drained_within_s} s)` : "no"}`)} |`,
    `| latency p50 / p99 (n/a: fell on deliveries not arrived by the end) | ${col(b, (r) => `${fmt(r.latency.p50_ms)} / ${fmt(r.latency.p99_ms)} ms`)} | ${col(h, (r) => `${fmt(r.latency.p50_ms)} / ${fmt(r.latency.p99_ms)} ms`)} |`,
    "",
    `Targets (issue 20): ${Object.entries(soak.targets).map(([k, v]) => `${k}: ${v === null && /plateau/.test(k) && soak.plateau_comparable === false ? "not comparable (below)" : verdict(v)}`).join("; ")}` +
      (soak.plateau_ratio_hookrelay_to_bare !== null && soak.plateau_ratio_hookrelay_to_bare !== undefined ? ` (plateau ratio ${fmt(soak.plateau_ratio_hookrelay_to_bare, 2)})` : "") +
      (soak.plateau_note ? `. Memory plateau ${soak.plateau_note}` : "") +
      ".",
    "",
  ];
  for (const [name, r] of [["HookRelay", h], ["bare pipeline", b]]) {
    if (!ok(r)) continue;
    lines.push(`### ${name}: per minute`, "", "| minute | planned | accepted | arrived | arrived ÷ planned | backlog (accepted − arrived) at its end |", "| --- | --- | --- | --- | --- | --- |");
    for (const p of r.per_minute) lines.push(`| ${p.from_s / 60 + 1} | ${fmt(p.deliveries_planned)} | ${fmt(p.deliveries_offered)} | ${fmt(p.deliveries_arrived)} | ${p.delivered_share === null || !p.deliveries_planned ? "—" : fmt(p.delivered_share * 100, 1) + "%"} | ${fmt(p.backlog_at_end)} |`);
    lines.push("");
  }
  const series = soak.rss_series ?? [];
  if (series.length) {
    lines.push("### workerd RSS over the whole run (MiB)", "", "| t (s) | HookRelay | bare pipeline |", "| --- | --- | --- |");
    for (const s of series) lines.push(`| ${fmt(s.t_s)} | ${fmt(s.hookrelay_workerd_mib)} | ${fmt(s.bare_workerd_mib)} |`);
    lines.push("");
  }
  return lines.join("\n");
}
