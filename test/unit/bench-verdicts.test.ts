// The bench's verdicts (bench/lib/phases/{soak,bare-compare}.mjs): memory plateau and slope from RSS samples,
// issue 20's soak targets and issue 14's HookRelay-vs-bare targets, on hand-made results.
import { describe, expect, it } from "vitest";
import { rssSummary, soakTargets } from "../../bench/lib/phases/soak.mjs";
import { backlogGrowing, compareWithBare, medianPair } from "../../bench/lib/phases/bare-compare.mjs";
import { median } from "../../bench/lib/stats.mjs";
import { renderBareComparison } from "../../bench/lib/report-bare.mjs";
import { busiestThreadShare, listeningPortsByPid, threadCpuSeconds } from "../../bench/lib/proc.mjs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

/** Samples every 15 s over 300 s: `f(minute)` MiB for the tree "hookrelay". */
const series = (f: (min: number) => number) =>
  Array.from({ length: 21 }, (_, i) => ({ at: i * 15_000, t_s: i * 15, hookrelay_workerd_mib: f((i * 15) / 60) }));

describe("soak RSS summary", () => {
  it("takes the plateau as the median of the last third and measures the slope there", () => {
    const flat = rssSummary(series((m) => (m < 2 ? 200 + 300 * m : 800)), "hookrelay", 0, 300_000)!;
    expect(flat.at_load_start_mib).toBe(200);
    expect(flat.plateau_mib).toBe(800);
    expect(flat.peak_mib).toBe(800);
    expect(flat.slope_last_third_mib_per_min).toBe(0);
    const climbing = rssSummary(series((m) => 200 + 100 * m), "hookrelay", 0, 300_000)!;
    expect(climbing.slope_last_third_mib_per_min).toBeCloseTo(100, 5);
    expect(climbing.plateau_mib).toBe(625); // samples at 210…300 s (the last third); median 255 s = 4.25 min → 625 MiB
  });
});

describe("soak targets", () => {
  const run = (plateau: number, share: number, allIn: boolean, accepted = 1000) => ({
    rss_workerd: { plateau_mib: plateau },
    last_load_minute_delivered_share: share,
    all_delivered_within_drain: allIn,
    drain_limit_s: 60,
    ingest: { ok: accepted, planned: 1000 },
    deliveries_arrived: accepted,
    deliveries_expected: accepted,
  });
  it("passes at 1.3× the bare plateau, 98 % and everything delivered", () => {
    const t = soakTargets(run(1300, 0.98, true), run(1000, 1, true));
    expect(t.plateau_ratio_hookrelay_to_bare).toBe(1.3);
    expect(Object.values(t.targets)).toEqual([true, true, true]);
  });
  it("fails each target on its own", () => {
    expect(Object.values(soakTargets(run(1310, 0.97, false), run(1000, 1, true)).targets)).toEqual([false, false, false]);
  });
  it("does not judge memory when one side did not carry the load", () => {
    const t = soakTargets(run(500, 0.02, false, 400), run(1000, 0.2, false));
    expect(t.targets["HookRelay workerd plateau ≤ 1.3× the bare pipeline's"]).toBeNull();
  });
  it("says not measured when the bare soak was skipped", () => {
    expect(soakTargets(run(1300, 1, true), { skipped: true, reason: "x" }).targets["HookRelay workerd plateau ≤ 1.3× the bare pipeline's"]).toBeNull();
  });
});

describe("HookRelay beside the bare pipeline", () => {
  const single = (p50: number | null, p99: number | null, backlog: number, first = 50, last: number | null = 60, unfinished = 0) => ({
    latency: { p50_ms: p50, p99_ms: p99, unfinished },
    backlog_at_load_end: backlog,
    offered_events_per_s: 200,
    offered_deliveries_per_s: 200,
    latency_first_quarter_p50_ms: first,
    latency_last_quarter_p50_ms: last,
  });
  it("computes the ratios and passes the targets at their edges", () => {
    const v = compareWithBare({
      fanout_burst: { deliveries_per_s: 1400, endpoints: 10, events: 1000 },
      bare_fanout_burst: { deliveries_per_s: 2000 },
      e2e_single: single(100, 400, 20),
      bare_single: single(50, 200, 10),
    });
    expect(v.fanout.ratio_hookrelay_to_bare).toBe(0.7);
    expect(v.single.ratio_p50_hookrelay_to_bare).toBe(2);
    expect(Object.values(v.targets)).toEqual([true, true, true, true]);
  });
  it("reports the fanout pairs' CPU per delivery beside the targets, never in them", () => {
    const phases = {
      fanout_burst: { deliveries_per_s: 1400, rounds_deliveries_per_s: [1400, 1300, 1500], rounds_ratio: [0.7, 0.65, 0.75], rounds_cpu_ms_per_delivery: [0.5, 0.6, 0.45], rounds_cpu_ratio: [1.6, 1.9, null] },
      bare_fanout_burst: { deliveries_per_s: 2000, rounds_deliveries_per_s: [2000, 2000, 2000], rounds_cpu_ms_per_delivery: [0.31, 0.32, null] },
      e2e_single: single(100, 400, 20),
      bare_single: single(50, 200, 10),
    };
    const v = compareWithBare(phases);
    expect(v.fanout.cpu_ratio_hookrelay_to_bare).toBe(1.6);
    expect(Object.keys(v.targets)).toHaveLength(4);
    const row = renderBareComparison({ vs_bare: v, phases }).find((line) => line.includes("CPU per delivery"));
    expect(row).toContain("| 0.310 · 0.320 · n/a | 0.500 · 0.600 · 0.450 | 1.60 · 1.90 · n/a |");
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([null, undefined])).toBeNull();
    expect(median(undefined)).toBeNull();
  });
  it("compares against the bare copy behind the asset front beside the targets, never in them", () => {
    const phases = {
      fanout_burst: { deliveries_per_s: 1400 },
      bare_fanout_burst: { deliveries_per_s: 2000 },
      e2e_single: single(100, 400, 20),
      bare_single: single(20, 100, 10),
      bare_front_single: { ...single(40, 300, 10), hookrelay_same_round: { p50_ms: 90, p99_ms: 450, backlog_at_load_end: 5, backlog_growing: false } },
    };
    const v = compareWithBare(phases);
    // HookRelay's figures of the front copy's own round, not the median pair's.
    expect(v.single_same_front?.ratio_p50_hookrelay_to_bare_front).toBe(2.25);
    expect(v.single_same_front?.ratio_p99_hookrelay_to_bare_front).toBe(1.5);
    expect(v.single.ratio_p50_hookrelay_to_bare).toBe(5);
    expect(Object.keys(v.targets)).toHaveLength(4);
    expect(v.targets["single p50 ≤ 2× bare and ≤ 100 ms"]).toBe(false);
    expect(compareWithBare({ ...phases, bare_front_single: { skipped: true, reason: "x" } }).single_same_front).toBeNull();
  });
  it("reports the floor (the issue's required work alone) beside the targets, never in them", () => {
    const phases = {
      fanout_burst: { deliveries_per_s: 1200, rounds_deliveries_per_s: [1200, 1100, 1300], rounds_cpu_ms_per_delivery: [0.55, 0.6, 0.5] },
      bare_fanout_burst: { deliveries_per_s: 2000, rounds_deliveries_per_s: [2000, 2000, 2000], rounds_cpu_ms_per_delivery: [0.3, 0.3, 0.3] },
      floor_fanout_burst: {
        deliveries_per_s: 1300,
        ratio_to_bare: 0.65,
        rounds_deliveries_per_s: [1300, 1200, 1400],
        rounds_ratio_to_bare: [0.65, 0.6, 0.7],
        rounds_ratio_hookrelay_to_floor: [0.92, 0.92, 0.93],
        rounds_cpu_ms_per_delivery: [0.5, 0.55, 0.45],
        rounds_cpu_ratio_to_bare: [1.67, 1.83, 1.5],
        rounds_cpu_ratio_hookrelay_to_floor: [1.1, 1.09, 1.11],
      },
      e2e_single: single(100, 400, 20),
      bare_single: single(20, 100, 10),
      floor_single: { ...single(45, 300, 10), ratio_p50_to_bare: 2.25, rounds_latency: [{ p50_ms: 45, p99_ms: 300 }], rounds_ratio_p50_to_bare: [2.25, 2.5, 2], rounds_ratio_p50_hookrelay_to_floor: [2.2, 3, 1.5] },
    };
    const v = compareWithBare(phases);
    expect(v.floor?.fanout_ratio_floor_to_bare).toBe(0.65);
    expect(v.floor?.fanout_ratio_hookrelay_to_floor).toBe(0.92);
    expect(v.floor?.fanout_cpu_ratio_floor_to_bare).toBe(1.67);
    expect(v.floor?.single_ratio_p50_floor_to_bare).toBe(2.25);
    expect(v.floor?.single_ratio_p50_hookrelay_to_floor).toBe(2.2);
    // The targets stay against the bare pipeline alone.
    expect(Object.keys(v.targets)).toHaveLength(4);
    expect(v.fanout.ratio_hookrelay_to_bare).toBe(0.6);
    const md = renderBareComparison({ vs_bare: v, phases });
    expect(md).toContain("### The floor: the work issue 14 requires, and nothing else");
    expect(md.find((line) => line.startsWith("| fanout deliveries/s"))).toContain("| 2,000 | 1,300 | 1,200 | 0.65 | 0.92 (median of rounds) |");
    expect(md.find((line) => line.startsWith("| the same rounds: workerd CPU"))).toContain("| 1.67 · 1.83 · 1.50 | 1.10 · 1.09 · 1.11 |");
    expect(compareWithBare({ ...phases, floor_fanout_burst: { skipped: true, reason: "x" }, floor_single: { skipped: true, reason: "x" } }).floor).toBeNull();
    expect(renderBareComparison({ vs_bare: compareWithBare({ ...phases, floor_single: { skipped: true, reason: "x" } }), phases: { ...phases, floor_single: { skipped: true, reason: "x" } } })).toContain(
      "| 1 endpoint | | n/a (skipped: x) | | | |",
    );
  });
  it("leaves the single-endpoint targets unjudged at another rate (--single-rate), and says so", () => {
    const at100 = (p50: number, p99: number) => ({ ...single(p50, p99, 1), offered_events_per_s: 100, offered_deliveries_per_s: 100 });
    const phases = { fanout_burst: { deliveries_per_s: 1400 }, bare_fanout_burst: { deliveries_per_s: 2000 }, e2e_single: at100(9, 40), bare_single: at100(5, 30) };
    const v = compareWithBare(phases);
    expect(v.single.ratio_p50_hookrelay_to_bare).toBe(1.8);
    expect(v.targets).toEqual({
      "fanout ≥ 70% of bare": true,
      "single p50 ≤ 2× bare and ≤ 100 ms": null,
      "single p99 ≤ 2× bare": null,
      "single: no backlog left growing": null,
    });
    expect(renderBareComparison({ vs_bare: v, phases }).join("\n")).toContain(
      "Not judged: single-endpoint rounds ran at 100 events/s (--single-rate); issue 14's single-endpoint targets are judged at 200 only.",
    );
    expect(compareWithBare({ ...phases, e2e_single: single(9, 40, 1), bare_single: single(5, 30, 1) }).targets_note).toBeNull();
  });
  it("shows how loaded the runtime's busiest thread and the machine were in each single round", () => {
    const round = (p50: number, thread: number | null, machine: number | null) => ({ p50_ms: p50, p99_ms: p50 * 4, runtime_busiest_thread: thread, machine_busy: machine });
    const phases = {
      fanout_burst: { deliveries_per_s: 1400 },
      bare_fanout_burst: { deliveries_per_s: 2000 },
      e2e_single: { ...single(20, 80, 1), rounds_latency: [round(20, 0.68, 0.9), round(25, 0.7, 0.92)], rounds_ratio_p50: [2, 2.5] },
      bare_single: { ...single(10, 40, 1), rounds_latency: [round(10, 0.57, 0.8), round(10, null, null)] },
    };
    const md = renderBareComparison({ vs_bare: compareWithBare(phases), phases });
    expect(md.find((line) => line.includes("busiest workerd thread"))).toBe(
      "| the same rounds: the busiest workerd thread's share of a core while sending (machine's cores busy) | 0.57 (0.80) · n/a (n/a) | 0.68 (0.90) · 0.70 (0.92) | |",
    );
    // Older results carry no thread figures: no row.
    const old = { ...phases, e2e_single: { ...phases.e2e_single, rounds_latency: [{ p50_ms: 20, p99_ms: 80 }, { p50_ms: 25, p99_ms: 90 }] }, bare_single: { ...phases.bare_single, rounds_latency: [{ p50_ms: 10, p99_ms: 40 }, { p50_ms: 10, p99_ms: 40 }] } };
    expect(renderBareComparison({ vs_bare: compareWithBare(old), phases: old }).some((line) => line.includes("busiest workerd thread"))).toBe(false);
  });
  it("takes the busiest thread's share of a core between two snapshots", () => {
    const before = new Map([["1/1", 10], ["1/2", 3], ["2/7", 1]]);
    const after = new Map([["1/1", 16.8], ["1/2", 3.5], ["2/7", 5], ["2/9", 0.2]]);
    expect(busiestThreadShare(before, after, 10)).toBe(0.68);
    expect(busiestThreadShare(null, after, 10)).toBeNull();
    expect(busiestThreadShare(before, after, 0)).toBeNull();
    // A live process's threads are readable from /proc: this test's own.
    expect(threadCpuSeconds(process.pid)?.size).toBeGreaterThan(0);
  });
  it("finds the ports a process listens on (the bench addresses each runtime's own port with them)", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(listeningPortsByPid([process.pid]).get(process.pid)).toContain(port);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
  it("says where the comparison's requests went", () => {
    const phases = { fanout_burst: { deliveries_per_s: 1400 }, bare_fanout_burst: { deliveries_per_s: 2000 }, e2e_single: single(9, 40, 1), bare_single: single(5, 30, 1) };
    const text = (addressed: string | null) => renderBareComparison({ vs_bare: { ...compareWithBare(phases), addressed }, phases }).join("\n");
    expect(text("runtime")).toContain("sent its requests on its runtime's own port");
    expect(text("dev proxy")).toContain("through `wrangler dev`'s proxy (a runtime's own port was not found)");
    expect(text(null)).not.toContain("wrangler dev`'s proxy");
  });
  it("fails a growing backlog and a p50 past 100 ms, and censored percentiles", () => {
    expect(backlogGrowing(single(3000, 6000, 900, 500, 5000))).toBe(true);
    const v = compareWithBare({ fanout_burst: { deliveries_per_s: 300 }, bare_fanout_burst: { deliveries_per_s: 2300 }, e2e_single: single(null, null, 5000, 1000, null, 3000), bare_single: single(50, 200, 10) });
    expect(Object.values(v.targets)).toEqual([false, false, false, false]);
  });
  it("reports the fanout pair with the median ratio, whatever order the rounds came in", () => {
    const pair = (round: number, ratio: number | null) => ({ round, ratio });
    expect(medianPair([pair(0, 0.55), pair(1, 0.74), pair(2, 0.7)]).round).toBe(2);
    expect(medianPair([pair(0, 0.9), pair(1, null), pair(2, 0.6)]).round).toBe(2);
    expect(medianPair([pair(0, 0.8), pair(1, 0.6)]).round).toBe(1);
    expect(medianPair([pair(0, 0.8)]).round).toBe(0);
  });
  it("reports the single-endpoint pair with the median latency ratio, a pair that never arrived ranking worst", () => {
    const pair = (round: number, ratio: number | null) => ({ round, ratio });
    const lower = { lowerIsBetter: true };
    expect(medianPair([pair(0, 3.1), pair(1, 1.8), pair(2, 12)], lower).round).toBe(0);
    expect(medianPair([pair(0, 1.5), pair(1, null), pair(2, 1.9)], lower).round).toBe(2);
    expect(medianPair([pair(0, null), pair(1, null), pair(2, 1.2)], lower).round).toBe(0);
    // Of two, the worse (higher) one: a pass must not hang on the luckier round.
    expect(medianPair([pair(0, 1.5), pair(1, 2.5)], lower).round).toBe(1);
  });
});
