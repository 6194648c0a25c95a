// Per-endpoint numbers over the last 24 h from GET /v1/endpoints/{id}/stats.
import type { DeliveryStatus, EndpointStats } from "../api/types";
import { useApp } from "../lib/app-context";
import { formatDuration, formatRate } from "../lib/format";
import { useResource } from "../lib/use-resource";
import { AsyncView } from "./async-view";
import { JsonView } from "./json-view";

const STATUSES: DeliveryStatus[] = ["succeeded", "failed", "retrying", "pending", "held"];

/**
 * Reads a number from the first of several field paths ("latency_ms.p50"): API.md names what the stats
 * hold (counts by status, success rate, p50/p99 latency) but not the field names.
 */
function pick(stats: EndpointStats, ...paths: string[]): number | null {
  for (const path of paths) {
    let v: unknown = stats;
    for (const key of path.split(".")) v = v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
    if (typeof v === "number") return v;
  }
  return null;
}

function readStats(stats: EndpointStats) {
  const counts = (stats.counts ?? stats.by_status ?? stats.deliveries) as Partial<Record<DeliveryStatus, number>> | undefined;
  return {
    counts: counts && typeof counts === "object" ? counts : undefined,
    successRate: pick(stats, "success_rate"),
    p50: pick(stats, "p50_ms", "latency_p50_ms", "latency_ms.p50", "latency.p50_ms", "p50"),
    p99: pick(stats, "p99_ms", "latency_p99_ms", "latency_ms.p99", "latency.p99_ms", "p99"),
  };
}

export function EndpointStatsPanel({ endpointId }: { endpointId: string }) {
  const { api } = useApp();
  const { resource, reload } = useResource(() => api.get<EndpointStats>(`/v1/endpoints/${endpointId}/stats`), [api, endpointId]);
  return (
    <section className="card" aria-labelledby="stats-title">
      <div className="card-head">
        <h2 id="stats-title">Last 24 hours</h2>
        <button type="button" className="button small ghost" onClick={reload}>
          Refresh
        </button>
      </div>
      <AsyncView resource={resource} onRetry={reload} loadingLabel="Loading stats…">
        {(stats) => {
          const { counts, successRate, p50, p99 } = readStats(stats);
          // A shape this page does not know is shown as sent rather than as a row of dashes.
          if (!counts && successRate === null && p50 === null && p99 === null) return <JsonView value={stats} label="Stats" />;
          return (
            <dl className="stats">
              <div className="stat">
                <dt>Success rate</dt>
                <dd>{formatRate(successRate)}</dd>
              </div>
              <div className="stat">
                <dt>p50 latency</dt>
                <dd>{formatDuration(p50)}</dd>
              </div>
              <div className="stat">
                <dt>p99 latency</dt>
                <dd>{formatDuration(p99)}</dd>
              </div>
              {STATUSES.map((s) => (
                <div className="stat" key={s}>
                  <dt>{s[0]!.toUpperCase() + s.slice(1)}</dt>
                  {/* Missing counts show as "—", not 0: an absent number is not a measured zero. */}
                  <dd>{counts ? (counts[s] ?? 0) : "—"}</dd>
                </div>
              ))}
            </dl>
          );
        }}
      </AsyncView>
    </section>
  );
}
