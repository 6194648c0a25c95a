// Load shapes: closed loop (N workers back to back for a fixed time) to find a ceiling, and open loop (a fixed
// offered rate, bounded in-flight) to measure latency at a given load. Both bounded in time and count.
import { summarize } from "./stats.mjs";

/**
 * Closed loop: `concurrency` workers call `send()` back to back until `durationMs` has passed (or
 * `maxRequests` were started). `send` resolves { ok, status, ms, units? } — units = events in the request.
 */
export async function closedLoop({ concurrency, durationMs, maxRequests = 5_000_000, send }) {
  const latencies = [];
  const statuses = {};
  let started = 0;
  let ok = 0;
  let units = 0;
  let firstError = null;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  async function worker() {
    while (performance.now() < deadline && started < maxRequests) {
      started++;
      const r = await send(started);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.ok) {
        ok++;
        units += r.units ?? 1;
        latencies.push(r.ms);
      } else if (!firstError) {
        firstError = `${r.status} ${String(r.body ?? r.error ?? "").slice(0, 300)}`;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = (performance.now() - t0) / 1000;
  return {
    concurrency,
    duration_s: Math.round(elapsedS * 100) / 100,
    requests: started,
    ok_requests: ok,
    statuses,
    first_error: firstError,
    requests_per_s: Math.round((ok / elapsedS) * 10) / 10,
    units_per_s: Math.round((units / elapsedS) * 10) / 10,
    latency: summarize(latencies),
  };
}

/**
 * Open loop: starts `send(i)` at `rate` per second for `durationMs`, never more than `maxInFlight` at once
 * (a send that would exceed it is counted as `missed`, so a harness that cannot keep up says so).
 */
export async function openLoop({ rate, durationMs, maxInFlight = 256, send }) {
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const intervalMs = 1000 / rate;
  const pending = new Set();
  let inFlight = 0;
  let sent = 0;
  let missed = 0;
  let ok = 0;
  const statuses = {};
  let firstError = null;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= maxInFlight) {
      missed++;
      continue;
    }
    inFlight++;
    sent++;
    const p = Promise.resolve(send(i)).then((r) => {
      inFlight--;
      pending.delete(p);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.ok) ok++;
      else if (!firstError) firstError = `${r.status} ${String(r.body ?? r.error ?? "").slice(0, 300)}`;
    });
    pending.add(p);
  }
  const sendWindowS = (performance.now() - t0) / 1000;
  await Promise.all(pending);
  return {
    offered_rate: rate,
    planned: total,
    sent,
    missed,
    ok,
    statuses,
    first_error: firstError,
    send_window_s: Math.round(sendWindowS * 100) / 100,
    achieved_rate: Math.round((ok / Math.max(sendWindowS, 1e-3)) * 10) / 10,
  };
}
