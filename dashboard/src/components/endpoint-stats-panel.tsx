// Per-endpoint numbers over the last 24 h from GET /v1/endpoints/{id}/stats.
import type { DeliveryStatus, EndpointStats } from "../api/types";
import { useApp } from "../lib/app-context";
import { formatDuration, formatRate } from "../lib/format";
import { useResource } from "../lib/use-resource";
import { AsyncView } from "./async-view";

const STATUSES: DeliveryStatus[] = ["succeeded", "failed", "retrying", "pending", "held"];

/** Reads a number from the first of several field names: the stats shape is not pinned down in API.md. */
function pick(stats: EndpointStats, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = stats[k];
    if (typeof v === "number") return v;
  }
  return null;
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
          // Missing counts show as "—", not 0: an absent number is not a measured zero.
          const counts = (stats.counts ?? (stats.by_status as EndpointStats["counts"])) as Partial<Record<DeliveryStatus, number>> | undefined;
          return (
            <dl className="stats">
              <div className="stat">
                <dt>Success rate</dt>
                <dd>{formatRate(pick(stats, "success_rate"))}</dd>
              </div>
              <div className="stat">
                <dt>p50 latency</dt>
                <dd>{formatDuration(pick(stats, "p50_ms", "latency_p50_ms", "p50"))}</dd>
              </div>
              <div className="stat">
                <dt>p99 latency</dt>
                <dd>{formatDuration(pick(stats, "p99_ms", "latency_p99_ms", "p99"))}</dd>
              </div>
              {STATUSES.map((s) => (
                <div className="stat" key={s}>
                  <dt>{s[0]!.toUpperCase() + s.slice(1)}</dt>
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
