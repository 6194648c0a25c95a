// `npm run bench -- --quick` runs end to end and produces sane numbers (not performance thresholds): positive rates,
// p50 ≤ p99, both result files written, and every part either measured or skipped with a reason.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..", "..");
const out = mkdtempSync(join(tmpdir(), "hookrelay-bench-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function expectSaneLatency(l: { count: number; p50_ms: number | null; p99_ms: number | null }) {
  expect(l.count).toBeGreaterThan(0);
  expect(l.p50_ms).toBeGreaterThan(0);
  expect(l.p50_ms!).toBeLessThanOrEqual(l.p99_ms!);
}

describe("npm run bench -- --quick", () => {
  it("finishes in about two minutes and writes sane results", { timeout: 180_000 }, () => {
    const started = Date.now();
    const run = spawnSync("node", ["bench/run.mjs", "--quick", "--out", out], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 170_000,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    const seconds = (Date.now() - started) / 1000;
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    // Bounded by the spawn timeout above; the quick profile's own budget keeps it near 1–1.5 minutes.
    console.log(`bench --quick took ${seconds.toFixed(1)} s`);

    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith("-quick.json"));
    const md = files.find((f) => f.endsWith("-quick.md"));
    expect(json).toBeDefined();
    expect(md).toBeDefined();
    const res = JSON.parse(readFileSync(join(out, json!), "utf8"));
    expect(res.mode).toBe("quick");
    expect(res.machine.cores).toBeGreaterThan(0);
    expect(res.machine.loadavg_start).toHaveLength(3);

    // The baseline must always be measured: everything else is divided by it.
    const base = res.phases.baseline;
    expect(base.skipped).toBeUndefined();
    expect(base.requests_per_s).toBeGreaterThan(0);
    expectSaneLatency(base.latency);

    for (const key of ["ingest_single", "ingest_batch", "ingest_ws"]) {
      const r = res.phases[key];
      if (r.skipped) expect(r.reason).toMatch(/\S/);
      else {
        expect(r.events_per_s).toBeGreaterThan(0);
        expectSaneLatency(r.latency);
      }
    }
    for (const key of ["e2e_single", "e2e_fanout"]) {
      const r = res.phases[key];
      if (r.skipped) expect(r.reason).toMatch(/\S/);
      else {
        expect(r.deliveries_arrived).toBeGreaterThan(0);
        // A percentile that falls on deliveries still missing at the drain limit is null (censored), never invented.
        if (r.latency.p99_ms === null) expect(r.latency.unfinished).toBeGreaterThan(0);
        else expectSaneLatency(r.latency);
      }
    }
    const rl = res.phases.rate_limits;
    if (rl.skipped) expect(rl.reason).toMatch(/\S/);
    else for (const l of rl.limits) if (l.observed_per_s !== null) expect(l.observed_per_s).toBeGreaterThan(0);
    const cost = res.phases.cost;
    if (!cost.skipped) {
      expect(cost.per_delivery.worker_requests).toBeGreaterThan(0);
      expect(cost.usd_per_million_deliveries.total).toBeGreaterThan(0);
    }
    // Issue 14: the second cost shape, rows by store, and the bare pipeline beside HookRelay.
    const batchCost = res.phases.cost_batch;
    if (batchCost.skipped) expect(batchCost.reason).toMatch(/\S/);
    else {
      expect(batchCost.endpoints).toBe(3);
      expect(batchCost.usd_per_million_deliveries.total).toBeGreaterThan(0);
    }
    if (!cost.skipped) expect(cost.rows_by_store.total_rows_written).toBeGreaterThan(0);
    expect(res.bare.error ?? res.bare.url).toMatch(/\S/);
    for (const key of ["fanout_burst", "bare_fanout_burst", "bare_single"]) {
      const r = res.phases[key];
      if (r.skipped) expect(r.reason).toMatch(/\S/);
      else expect(r.deliveries_arrived).toBeGreaterThan(0);
    }
    expect(Object.keys(res.vs_bare.targets)).toHaveLength(4);
    expect(res.memory.total_rss_mib).toBeGreaterThan(0);

    const table = readFileSync(join(out, md!), "utf8");
    expect(table).toContain("| Measure | Result | vs runtime ceiling | Notes |");
    expect(table).toContain("Runtime ceiling");
    expect(table).toContain("## Beside the bare pipeline (same run)");
    expect(existsSync(join(out, json!))).toBe(true);
  });
});
