// One endpoint: status and actions, stats, signing secret, a test event, subscriptions, retry failed, recent deliveries, settings.
import type { Delivery, Endpoint } from "../api/types";
import { AsyncView } from "../components/async-view";
import { DeliveryTable } from "../components/delivery-table";
import { EndpointSettingsPanel } from "../components/endpoint-settings-panel";
import { EndpointStatsPanel } from "../components/endpoint-stats-panel";
import { PageHeader } from "../components/page-header";
import { ProblemView } from "../components/problem-view";
import { RetryFailedPanel } from "../components/retry-failed-panel";
import { SigningSecretPanel } from "../components/signing-secret-panel";
import { HttpStatus, StatusBadge } from "../components/status-badge";
import { SubscriptionsPanel } from "../components/subscriptions-panel";
import { TestEventPanel } from "../components/test-event-panel";
import { useApp } from "../lib/app-context";
import { Writable } from "../portal/permissions";
import { endpointTarget, plural } from "../lib/format";
import { href, navigate } from "../lib/router";
import { useAction, useResource } from "../lib/use-resource";

export function EndpointDetailPage({ id }: { id: string }) {
  const { api } = useApp();
  const { resource, reload, set } = useResource(() => api.get<Endpoint>(`/v1/endpoints/${encodeURIComponent(id)}`), [api, id]);

  return (
    <>
      <PageHeader title="Endpoint" subtitle={<a href={href(["endpoints"])}>← Endpoints</a>} />
      <AsyncView resource={resource} onRetry={reload} loadingLabel="Loading endpoint…">
        {(endpoint) => (
          <>
            <EndpointSummary endpoint={endpoint} onChanged={set} />
            <div className="two-columns">
              <EndpointStatsPanel endpointId={endpoint.id} />
              <SigningSecretPanel endpoint={endpoint} />
            </div>
            <TestEventPanel endpointId={endpoint.id} />
            <SubscriptionsPanel endpointId={endpoint.id} />
            <Writable>
              <RetryFailedPanel endpointId={endpoint.id} />
            </Writable>
            <EndpointDeliveries endpointId={endpoint.id} />
            <EndpointSettingsPanel endpoint={endpoint} onSaved={set} />
          </>
        )}
      </AsyncView>
    </>
  );
}

function EndpointSummary({ endpoint, onChanged }: { endpoint: Endpoint; onChanged: (e: Endpoint) => void }) {
  const { api } = useApp();
  const action = useAction();
  const toggle = endpoint.status === "active" ? "disable" : "enable";

  async function setEnabled() {
    const updated = await action.run(() => api.post<Endpoint>(`/v1/endpoints/${endpoint.id}/${toggle}`, {}));
    if (updated) onChanged(updated);
  }

  async function remove() {
    if (!window.confirm(`Delete the endpoint ${endpointTarget(endpoint)}? Its subscriptions go with it.`)) return;
    const done = await action.run(async () => {
      await api.delete(`/v1/endpoints/${endpoint.id}`);
      return true;
    });
    if (done) navigate(href(["endpoints"]));
  }

  return (
    <section className="card" aria-label="Endpoint summary">
      <div className="row-between">
        <div>
          <p className="url big" data-testid="endpoint-url">
            {endpointTarget(endpoint)}
          </p>
          <div className="row-meta">
            <StatusBadge status={endpoint.status} />
            {endpoint.disabled_reason && <span className="muted">disabled: {endpoint.disabled_reason.replaceAll("_", " ")}</span>}
            <span className="muted">owner {endpoint.owner_id}</span>
            <code className="muted">{endpoint.id}</code>
          </div>
          {endpoint.description && <p>{endpoint.description}</p>}
          {(endpoint.consecutive_failures ?? 0) > 0 && (
            <p className="warn-text">
              {plural(endpoint.consecutive_failures ?? 0, "consecutive failed attempt")}
              {endpoint.last_status_code !== undefined && (
                <>
                  {" "}
                  · last <HttpStatus code={endpoint.last_status_code} />
                </>
              )}
              {endpoint.last_error && ` · ${endpoint.last_error}`}
            </p>
          )}
        </div>
        <Writable>
          <div className="actions">
            <button type="button" className="button" onClick={setEnabled} disabled={action.pending}>
              {toggle === "disable" ? "Disable" : "Enable"}
            </button>
            <button type="button" className="button danger" onClick={remove} disabled={action.pending}>
              Delete
            </button>
          </div>
        </Writable>
      </div>
      {action.error && <ProblemView error={action.error} />}
    </section>
  );
}

function EndpointDeliveries({ endpointId }: { endpointId: string }) {
  const { api } = useApp();
  const { resource, reload } = useResource(() => api.list<Delivery>("/v1/deliveries", { endpoint_id: endpointId, limit: 20 }), [api, endpointId]);
  return (
    <section className="card" aria-labelledby="ep-deliveries-title">
      <div className="card-head">
        <h2 id="ep-deliveries-title">Recent deliveries</h2>
        <button type="button" className="button small ghost" onClick={reload}>
          Refresh
        </button>
      </div>
      <AsyncView resource={resource} onRetry={reload} isEmpty={(p) => p.data.length === 0} empty="No deliveries to this endpoint yet.">
        {(page) => <DeliveryTable rows={page.data} />}
      </AsyncView>
    </section>
  );
}
