// An endpoint's delivery settings (timeout, rate limit, auth, retry policy): a summary, and the form to change them.
import { useState } from "react";
import type { Endpoint } from "../api/types";
import { useApp } from "../lib/app-context";
import { Writable } from "../portal/permissions";
import { endpointFormFrom, endpointPatchBody } from "../lib/endpoint-form-state";
import { formatDuration, formatSeconds, formatTime, plural } from "../lib/format";
import { useAction } from "../lib/use-resource";
import { EndpointForm } from "./endpoint-form";

export function EndpointSettingsPanel({ endpoint, onSaved }: { endpoint: Endpoint; onSaved: (e: Endpoint) => void }) {
  const { api } = useApp();
  const [editing, setEditing] = useState(false);
  const action = useAction();

  return (
    <section className="card" aria-labelledby="settings-title">
      <div className="card-head">
        <h2 id="settings-title">Settings</h2>
        {!editing && (
          <Writable>
            <button type="button" className="button" onClick={() => setEditing(true)}>
              Edit settings
            </button>
          </Writable>
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
      <dd>{formatDuration(endpoint.timeout_ms)}</dd>
      <dt>Rate limit</dt>
      <dd>{endpoint.rate_limit ? `${endpoint.rate_limit.requests} per ${endpoint.rate_limit.per_seconds === 1 ? "second" : formatSeconds(endpoint.rate_limit.per_seconds)}` : "unlimited"}</dd>
      <dt>Authentication</dt>
      <dd>{endpoint.auth ? String(endpoint.auth.type ?? "configured") : "none"}</dd>
      <dt>Retry policy</dt>
      <dd>
        {r.strategy === "exponential"
          ? `exponential, ${plural(r.max_attempts, "attempt")}, ${formatSeconds(r.base_delay_s)} × ${r.multiplier} up to ${formatSeconds(r.max_delay_s)}`
          : `constant, ${plural(r.max_attempts, "attempt")}, every ${formatSeconds(r.delay_s)}`}
        {r.jitter ? ", with jitter" : ""}
      </dd>
      <dt>Created</dt>
      <dd>{formatTime(endpoint.created_at)}</dd>
      <dt>Updated</dt>
      <dd>{formatTime(endpoint.updated_at)}</dd>
    </dl>
  );
}
