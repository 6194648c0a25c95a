// Per-endpoint numbers over the last 24 h from GET /v1/endpoints/{id}/stats.
import type { DeliveryStatus, EndpointStats } from "../api/types";
import { useApp } from "../lib/app-context";
import { formatDuration, formatRate } from "../lib/format";
import { useResource } from "../lib/use-resource";
import { AsyncView } from "./async-view";
import { JsonView } from "./json-view";

const STATUSES: DeliveryStatus[] = ["succeeded", "failed", "retrying", "pending", "held"];

function readStats(stats: EndpointStats) {
  return {
    counts: stats.counts && typeof stats.counts === "object" ? stats.counts : undefined,
    successRate: stats.success_rate ?? null,
    p50: stats.latency_ms?.p50 ?? null,
    p99: stats.latency_ms?.p99 ?? null,
  };
}

/** The rate the endpoint is held to now: lower than configured while backing off after a 429, or paused. */
function formatLiveRate(state: EndpointStats["delivery_state"]): string {
  if (!state) return "—";
  if (state.paused_until) return `paused until ${new Date(state.paused_until).toLocaleTimeString()}`;
  if (state.effective_rate_per_second === null) return "unlimited";
  const backingOff = state.backoff_recovers_at !== null ? " (backing off)" : "";
  return `${state.effective_rate_per_second}/s${backingOff}`;
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
              <div className="stat">
                <dt>Rate now</dt>
                <dd>{formatLiveRate(stats.delivery_state)}</dd>
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
