// Per-endpoint numbers over a time window for GET /v1/endpoints/{id}/stats: deliveries created in the window by
// their status now (history plus what is still in flight) and attempts started in the window, with
// nearest-rank latency percentiles.
import type { Env } from "../env";
import { endpointHistoryStats } from "../history/delivery-history";
import type { DeliveryRecord, DeliveryStatus } from "../history/records";
import { endpointStub } from "./endpoint-client";

export const DELIVERY_STATUSES: DeliveryStatus[] = ["pending", "retrying", "succeeded", "failed", "held"];

/** In-flight rows read at most for one stats answer (an endpoint's backlog beyond it is not counted). */
const IN_FLIGHT_SCAN = 10_000;

export interface EndpointStats {
  counts: Record<DeliveryStatus, number>;
  attempts: { total: number; succeeded: number; failed: number };
  latency: { p50Ms: number | null; p99Ms: number | null };
}

/** Nearest-rank percentile: the value at rank ceil(p·n) in ascending order (1-based). */
export function percentileOffset(p: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(p * n))) - 1;
}

/** A success is what classify.ts calls one: a 2xx whose whole response arrived (no error such as a timeout). */
function succeeded(a: { status_code: number | null; error: string | null }): boolean {
  return a.status_code !== null && a.status_code >= 200 && a.status_code < 300 && a.error === null;
}

export async function endpointStats(env: Env, endpointId: string, since: number, until: number): Promise<EndpointStats> {
  const [history, live] = await Promise.all([
    endpointHistoryStats(env, endpointId, since, until),
    endpointStub(env, endpointId).listInFlight(undefined, IN_FLIGHT_SCAN) as Promise<DeliveryRecord[]>,
  ]);
  const counts = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, history.counts[s] ?? 0])) as Record<DeliveryStatus, number>;
  const durations = [...history.durations];
  let ok = history.attemptsOk;
  let failed = history.attemptsFailed;
  for (const d of live) {
    // A manual retry in flight is counted once: by its status now, not also by its logged outcome.
    if (d.created_at >= since && d.created_at < until) counts[d.status]++;
    for (const a of d.attempts) {
      if (a.started_at < since || a.started_at >= until) continue;
      durations.push(a.duration_ms);
      if (succeeded(a)) ok++;
      else failed++;
    }
  }
  durations.sort((a, b) => a - b);
  const at = (p: number) => (durations.length === 0 ? null : durations[percentileOffset(p, durations.length)]!);
  return { counts, attempts: { total: ok + failed, succeeded: ok, failed }, latency: { p50Ms: at(0.5), p99Ms: at(0.99) } };
}
