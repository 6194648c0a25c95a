// Owner-scoped API keys: who may use the API and dashboard for one owner. A new key is shown once.
import { useState, type FormEvent } from "react";
import type { ApiKey, ApiKeyCreated } from "../api/types";
import { useApp, useBoundOwner } from "../lib/app-context";
import { formatRelative } from "../lib/format";
import { usePagedList } from "../lib/use-paged-list";
import { useAction } from "../lib/use-resource";
import { AsyncView } from "./async-view";
import { Field } from "./field";
import { LoadMore } from "./load-more";
import { ProblemView } from "./problem-view";
import { SecretReveal } from "./secret-reveal";

export function ApiKeysPanel() {
  const { api } = useApp();
  const keys = usePagedList((cursor) => api.list<ApiKey>("/v1/api-keys", { cursor }), [api]);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);

  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p className="muted small">Owner keys (hr_…) see and change only their owner's data. The admin key is a deployment secret and is not listed.</p>
      {created && <SecretReveal label={`API key ${created.name}`} value={created.key} onDismiss={() => setCreated(null)} />}
      <AsyncView resource={keys.resource} onRetry={keys.reload} isEmpty={(rows) => rows.length === 0} empty="No owner keys yet.">
        {(rows) => (
          <ul className="plain-list" data-testid="api-keys">
            {rows.map((k) => (
              <ApiKeyRow
                key={k.id}
                apiKey={k}
                onDeleted={() => {
                  // A revoked key is worthless: stop offering it for copying.
                  if (created?.id === k.id) setCreated(null);
                  keys.reload();
                }}
              />
            ))}
          </ul>
        )}
      </AsyncView>
      {keys.moreError && <ProblemView error={keys.moreError} />}
      <LoadMore cursor={keys.nextCursor} loading={keys.loadingMore} onLoad={keys.loadMore} />
      <NewApiKeyForm
        onCreated={(k) => {
          setCreated(k);
          keys.reload();
        }}
      />
    </section>
  );
}

function ApiKeyRow({ apiKey, onDeleted }: { apiKey: ApiKey; onDeleted: () => void }) {
  const { api } = useApp();
  const action = useAction();

  async function revoke() {
    if (!window.confirm(`Revoke the key ${apiKey.name} (${apiKey.key_prefix}…)? Anything using it stops working.`)) return;
    const ok = await action.run(async () => {
      await api.delete(`/v1/api-keys/${apiKey.id}`);
      return true;
    });
    if (ok) onDeleted();
  }

  return (
    <li>
      <div className="row-between">
        <div>
          <strong>{apiKey.name}</strong> <code className="muted">{apiKey.key_prefix}…</code>
          <div className="muted small">
            owner {apiKey.owner_id} · created {formatRelative(apiKey.created_at)} · last used {apiKey.last_used_at ? formatRelative(apiKey.last_used_at) : "never"}
          </div>
        </div>
        <button type="button" className="button small danger" onClick={revoke} disabled={action.pending}>
          Revoke
        </button>
      </div>
      {action.error && <ProblemView error={action.error} />}
    </li>
  );
}

function NewApiKeyForm({ onCreated }: { onCreated: (k: ApiKeyCreated) => void }) {
  const { api } = useApp();
  const bound = useBoundOwner();
  const action = useAction();
  const [name, setName] = useState("");
  const [owner, setOwner] = useState(bound ?? "");

  async function submit(e: FormEvent) {
    e.preventDefault();
    const created = await action.run(() => api.post<ApiKeyCreated>("/v1/api-keys", { name, owner_id: owner.trim() }));
    if (created) {
      setName("");
      onCreated(created);
    }
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Create API key">
      <Field label="Key name">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} placeholder="ci-deploys" />}</Field>
      <Field label="Key owner">{(id) => <input id={id} required value={owner} readOnly={Boolean(bound)} onChange={(e) => setOwner(e.target.value)} />}</Field>
      <button type="submit" className="button primary" disabled={action.pending}>
        {action.pending ? "Creating…" : "Create key"}
      </button>
      {action.error && <ProblemView error={action.error} />}
    </form>
  );
}
