// Overview: how delivery went over the last 24 h, which endpoints need attention, and recent failures.
import { useMemo, useState } from "react";
import type { Delivery, Endpoint, JobStarted } from "../api/types";
import { AsyncView } from "../components/async-view";
import { DeliveryChart } from "../components/delivery-chart";
import { OwnerScope } from "../components/owner-scope";
import { PageHeader } from "../components/page-header";
import { JobProgress } from "../components/job-progress";
import { ProblemView } from "../components/problem-view";
import { HttpStatus, StatusBadge } from "../components/status-badge";
import { useApp, useBoundOwner } from "../lib/app-context";
import { Writable } from "../portal/permissions";
import { buildDeliverySeries } from "../lib/delivery-series";
import { endpointTarget, formatRate, formatRelative, plural } from "../lib/format";
import { fetchRecentDeliveries } from "../lib/recent-deliveries";
import { href } from "../lib/router";
import { useAction, useResource } from "../lib/use-resource";

const DAY = 24 * 3_600_000;

export function OverviewPage() {
  return (
    <>
      <PageHeader title="Overview" subtitle="Deliveries over the last 24 hours." />
      {/* Delivery history is listed per owner (API.md "Lists at scale"): admin sessions pick one. */}
      <OwnerScope>
        {(owner, picker) => (
          <>
            {picker && <div className="filters">{picker}</div>}
            <DeliveryActivity owner={owner} />
            <div className="two-columns">
              <EndpointsNeedingAttention />
              <RecentFailures owner={owner} />
            </div>
          </>
        )}
      </OwnerScope>
    </>
  );
}

/** The owner filter a history call sends: none for a key bound to its owner (it implies its own). */
function useOwnerQuery(owner: string): string | undefined {
  return useBoundOwner() ? undefined : owner;
}

function DeliveryActivity({ owner }: { owner: string }) {
  const { api } = useApp();
  const ownerId = useOwnerQuery(owner);
  const { resource, reload } = useResource(async () => {
    const now = Date.now();
    const recent = await fetchRecentDeliveries(api, now - DAY, ownerId);
    return { ...recent, series: buildDeliverySeries(recent.deliveries, now) };
  }, [api, ownerId]);

  return (
    <section className="card" aria-labelledby="activity-title">
      <div className="card-head">
        <h2 id="activity-title">Delivery activity</h2>
        <button type="button" className="button small ghost" onClick={reload}>
          Refresh
        </button>
      </div>
      <AsyncView resource={resource} onRetry={reload} loadingLabel="Loading deliveries…">
        {({ series, truncated }) => (
          <>
            <dl className="stats">
              <Stat label="Deliveries (24 h)" value={String(series.total)} testId="stat-total" />
              <Stat label="Success rate" value={formatRate(series.successRate)} testId="stat-success-rate" />
              <Stat label="Succeeded" value={String(series.succeeded)} />
              <Stat label="Failed" value={String(series.failed)} />
              <Stat label="Peak per minute" value={String(series.peakPerMinute)} />
            </dl>
            {series.total === 0 ? (
              <div className="empty">No deliveries in the last 24 hours.</div>
            ) : (
              <DeliveryChart series={series} />
            )}
            {truncated && <p className="muted">Only the newest deliveries were counted; the chart may miss the oldest hours.</p>}
          </>
        )}
      </AsyncView>
    </section>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

/** Disabled endpoints, and active ones that are failing now (consecutive failures, when the API reports them). */
function EndpointsNeedingAttention() {
  const { api } = useApp();
  const { resource, reload } = useResource(() => api.list<Endpoint>("/v1/endpoints", { limit: 500 }), [api]);
  const troubled = useMemo(
    () => (resource.data?.data ?? []).filter((e) => e.status === "disabled" || (e.consecutive_failures ?? 0) > 0),
    [resource.data],
  );
  return (
    <section className="card" aria-labelledby="attention-title">
      <h2 id="attention-title">Failing and disabled endpoints</h2>
      <AsyncView
        resource={resource}
        onRetry={reload}
        isEmpty={() => troubled.length === 0}
        empty="Every endpoint is healthy."
      >
        {() => (
          <ul className="plain-list">
            {troubled.map((e) => (
              <li key={e.id}>
                <a href={href(["endpoints", e.id])} className="url">
                  {endpointTarget(e)}
                </a>
                <div className="row-meta">
                  <StatusBadge status={e.status} />
                  {e.disabled_reason && <span className="muted">{e.disabled_reason.replaceAll("_", " ")}</span>}
                  {(e.consecutive_failures ?? 0) > 0 && <span className="muted">{plural(e.consecutive_failures ?? 0, "consecutive failure")}</span>}
                  {e.last_status_code !== undefined && <HttpStatus code={e.last_status_code} />}
                </div>
              </li>
            ))}
          </ul>
        )}
      </AsyncView>
    </section>
  );
}

function RecentFailures({ owner }: { owner: string }) {
  const { api } = useApp();
  const ownerId = useOwnerQuery(owner);
  const { resource, reload } = useResource(
    () => api.list<Delivery>("/v1/deliveries", { owner_id: ownerId, status: "failed", limit: 10 }),
    [api, ownerId],
  );
  const hasFailures = (resource.data?.data.length ?? 0) > 0;
  // Held here, not in the button: the list may empty out (and the button go) while the job runs.
  const [job, setJob] = useState<JobStarted | null>(null);
  return (
    <section className="card" aria-labelledby="failures-title">
      <div className="card-head">
        <h2 id="failures-title">Recent failures</h2>
        {hasFailures && (
          <Writable>
            <RetryAllFailed
              ownerId={ownerId}
              onStarted={(started) => {
                setJob(started);
                reload();
              }}
            />
          </Writable>
        )}
      </div>
      {job && (
        <p>
          Retrying {plural(job.count, "failed delivery")}.
        </p>
      )}
      {job && job.count > 0 && <JobProgress jobId={job.job_id} />}
      <AsyncView resource={resource} onRetry={reload} isEmpty={(p) => p.data.length === 0} empty="No failed deliveries.">
        {(page) => (
          <ul className="plain-list">
            {page.data.map((d) => (
              <li key={d.id}>
                <a href={href(["events", d.event_id])}>{d.event_type ?? d.event_id}</a>
                <div className="row-meta">
                  <HttpStatus code={d.last_status_code} />
                  {d.last_error && <span className="muted">{d.last_error}</span>}
                  <span className="muted">{formatRelative(d.updated_at ?? d.created_at)}</span>
                  <a className="muted" href={href(["endpoints", d.endpoint_id])}>
                    endpoint
                  </a>
                </div>
              </li>
            ))}
          </ul>
        )}
      </AsyncView>
    </section>
  );
}

/**
 * Bulk retry of every failed delivery the key can see (POST /v1/deliveries/retry), run as a job. For the admin
 * key it is limited to the selected owner, so it retries what the list beside it shows.
 */
function RetryAllFailed({ ownerId, onStarted }: { ownerId?: string; onStarted: (job: JobStarted) => void }) {
  const { api } = useApp();
  const action = useAction();

  async function start() {
    const whose = ownerId ? ` of ${ownerId}` : "";
    if (!window.confirm(`Retry every failed delivery${whose}? Each gets a fresh run of its endpoint's retry policy.`)) return;
    const started = await action.run(() => api.post<JobStarted>("/v1/deliveries/retry", ownerId ? { status: "failed", owner_id: ownerId } : { status: "failed" }));
    if (started) onStarted(started);
  }

  return (
    <>
      <button type="button" className="button small" onClick={start} disabled={action.pending}>
        {action.pending ? "Starting…" : "Retry all failed"}
      </button>
      {action.error && <ProblemView error={action.error} />}
    </>
  );
}
