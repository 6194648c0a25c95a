// One endpoint: status and actions, stats, signing secret, subscriptions, retry failed, recent deliveries, settings.
import { useState } from "react";
import type { Delivery, Endpoint } from "../api/types";
import { AsyncView } from "../components/async-view";
import { DeliveryTable } from "../components/delivery-table";
import { EndpointForm } from "../components/endpoint-form";
import { EndpointStatsPanel } from "../components/endpoint-stats-panel";
import { PageHeader } from "../components/page-header";
import { ProblemView } from "../components/problem-view";
import { RetryFailedPanel } from "../components/retry-failed-panel";
import { SecretReveal } from "../components/secret-reveal";
import { HttpStatus, StatusBadge } from "../components/status-badge";
import { SubscriptionsPanel } from "../components/subscriptions-panel";
import { useApp } from "../lib/app-context";
import { endpointFormFrom, endpointPatchBody } from "../lib/endpoint-form-state";
import { formatTime, plural } from "../lib/format";
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
            <SubscriptionsPanel endpointId={endpoint.id} />
            <RetryFailedPanel endpointId={endpoint.id} />
            <EndpointDeliveries endpointId={endpoint.id} />
            <EndpointSettings endpoint={endpoint} onSaved={set} />
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
    if (!window.confirm(`Delete the endpoint ${endpoint.url}? Its subscriptions go with it.`)) return;
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
            {endpoint.url}
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
        <div className="actions">
          <button type="button" className="button" onClick={setEnabled} disabled={action.pending}>
            {toggle === "disable" ? "Disable" : "Enable"}
          </button>
          <button type="button" className="button danger" onClick={remove} disabled={action.pending}>
            Delete
          </button>
        </div>
      </div>
      {action.error && <ProblemView error={action.error} />}
    </section>
  );
}

function SigningSecretPanel({ endpoint }: { endpoint: Endpoint }) {
  const { api } = useApp();
  const action = useAction();
  const [rotated, setRotated] = useState<string | null>(null);
  // Masked until asked for: dashboards get screen-shared.
  const [revealed, setRevealed] = useState(false);

  async function rotate() {
    if (!window.confirm("Rotate the signing secret? The old one keeps signing (as a second signature) for 24 hours.")) return;
    const res = await action.run(() => api.post<{ secret: string }>(`/v1/endpoints/${endpoint.id}/rotate-secret`, {}));
    if (res) setRotated(res.secret);
  }

  return (
    <section className="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p className="muted small">Receivers verify the Standard Webhooks signature with it.</p>
      {rotated ? (
        <SecretReveal label="New signing secret" value={rotated} onDismiss={() => setRotated(null)} />
      ) : (
        <div className="secret-row">
          <code className="secret-value" data-testid="endpoint-secret">
            {revealed ? endpoint.secret : `${endpoint.secret.slice(0, 10)}••••••••`}
          </code>
          <button type="button" className="button small ghost" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed}>
            {revealed ? "Hide" : "Show"}
          </button>
        </div>
      )}
      {endpoint.previous_secret_expires_at && !rotated && (
        <p className="muted small">The previous secret also signs until {formatTime(endpoint.previous_secret_expires_at)}.</p>
      )}
      <button type="button" className="button" onClick={rotate} disabled={action.pending}>
        {action.pending ? "Rotating…" : "Rotate secret"}
      </button>
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

function EndpointSettings({ endpoint, onSaved }: { endpoint: Endpoint; onSaved: (e: Endpoint) => void }) {
  const { api } = useApp();
  const [editing, setEditing] = useState(false);
  const action = useAction();

  return (
    <section className="card" aria-labelledby="settings-title">
      <div className="card-head">
        <h2 id="settings-title">Settings</h2>
        {!editing && (
          <button type="button" className="button" onClick={() => setEditing(true)}>
            Edit settings
          </button>
        )}
      </div>
      {editing ? (
        <EndpointForm
          initial={endpointFormFrom(endpoint)}
          mode="edit"
          ownerEditable={false}
          pending={action.pending}
          error={action.error}
          submitLabel="Save changes"
          onCancel={() => {
            action.clearError();
            setEditing(false);
          }}
          onSubmit={async (state) => {
            const saved = await action.run(() => api.patch<Endpoint>(`/v1/endpoints/${endpoint.id}`, endpointPatchBody(state)));
            if (saved) {
              onSaved(saved);
              setEditing(false);
            }
          }}
        />
      ) : (
        <EndpointSettingsSummary endpoint={endpoint} />
      )}
    </section>
  );
}

function EndpointSettingsSummary({ endpoint }: { endpoint: Endpoint }) {
  const r = endpoint.retry;
  return (
    <dl className="facts">
      <dt>Timeout</dt>
      <dd>{endpoint.timeout_ms} ms</dd>
      <dt>Rate limit</dt>
      <dd>{endpoint.rate_limit ? `${endpoint.rate_limit.requests} per ${endpoint.rate_limit.per_seconds} s` : "unlimited"}</dd>
      <dt>Authentication</dt>
      <dd>{endpoint.auth ? String(endpoint.auth.type ?? "configured") : "none"}</dd>
      <dt>Retry policy</dt>
      <dd>
        {r.strategy === "exponential"
          ? `exponential, ${plural(r.max_attempts, "attempt")}, ${r.base_delay_s} s × ${r.multiplier} up to ${r.max_delay_s} s`
          : `constant, ${plural(r.max_attempts, "attempt")}, every ${r.delay_s} s`}
        {r.jitter ? ", with jitter" : ""}
      </dd>
      <dt>Created</dt>
      <dd>{formatTime(endpoint.created_at)}</dd>
      <dt>Updated</dt>
      <dd>{formatTime(endpoint.updated_at)}</dd>
    </dl>
  );
}
