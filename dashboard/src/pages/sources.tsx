// Sources: SNS subscriptions (ingest URL, confirmation status) and WebSocket ingest (URL, token rotation).
import { useState, type FormEvent } from "react";
import type { Source } from "../api/types";
import { AsyncView } from "../components/async-view";
import { CopyButton } from "../components/copy-button";
import { Field } from "../components/field";
import { LoadMore } from "../components/load-more";
import { PageHeader } from "../components/page-header";
import { ProblemView } from "../components/problem-view";
import { SecretReveal } from "../components/secret-reveal";
import { StatusBadge } from "../components/status-badge";
import { useApp, useBoundOwner } from "../lib/app-context";
import { formatRelative } from "../lib/format";
import { usePagedList } from "../lib/use-paged-list";
import { useAction } from "../lib/use-resource";

/** ingest_url may be a path (/ingest/…) or absolute; SNS and WebSocket clients need the full URL. */
function absoluteIngestUrl(source: Source): string {
  const url = new URL(source.ingest_url, window.location.origin);
  if (source.type === "websocket") url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export function SourcesPage() {
  const { api } = useApp();
  const list = usePagedList((cursor) => api.list<Source>("/v1/sources", { cursor }), [api]);
  // The token of a just-created WebSocket source, shown once.
  const [created, setCreated] = useState<Source | null>(null);

  return (
    <>
      <PageHeader title="Sources" subtitle="Ingest from AWS SNS subscriptions and WebSocket clients." />
      {created?.token && <SecretReveal label={`Token for ${created.name}`} value={created.token} onDismiss={() => setCreated(null)} />}
      <AsyncView resource={list.resource} onRetry={list.reload} isEmpty={(rows) => rows.length === 0} empty="No sources yet. Events can also be sent with POST /v1/events.">
        {(rows) => (
          <div className="cards">
            {rows.map((s) => (
              <SourceCard key={s.id} source={s} onChanged={list.reload} />
            ))}
          </div>
        )}
      </AsyncView>
      {list.moreError && <ProblemView error={list.moreError} />}
      <LoadMore cursor={list.nextCursor} loading={list.loadingMore} onLoad={list.loadMore} />
      <NewSourceForm
        onCreated={(s) => {
          setCreated(s);
          list.reload();
        }}
      />
    </>
  );
}

function SourceCard({ source, onChanged }: { source: Source; onChanged: () => void }) {
  const { api } = useApp();
  const action = useAction();
  const [token, setToken] = useState<string | null>(null);
  const url = absoluteIngestUrl(source);

  async function rotate() {
    if (!window.confirm(`Rotate the token of ${source.name}? Clients using the old token must reconnect with the new one.`)) return;
    const res = await action.run(() => api.post<{ token: string }>(`/v1/sources/${source.id}/rotate-token`, {}));
    if (res) setToken(res.token);
  }

  async function remove() {
    if (!window.confirm(`Delete the source ${source.name}?`)) return;
    const ok = await action.run(async () => {
      await api.delete(`/v1/sources/${source.id}`);
      return true;
    });
    if (ok) onChanged();
  }

  return (
    <article className="card" aria-label={`Source ${source.name}`}>
      <div className="row-between">
        <div>
          <h2>{source.name}</h2>
          <div className="row-meta">
            <span className="badge badge-neutral">{source.type === "sns" ? "AWS SNS" : "WebSocket"}</span>
            <StatusBadge status={source.status} />
            <span className="muted">owner {source.owner_id}</span>
            {source.event_type && <span className="muted">event type {source.event_type}</span>}
            <span className="muted">created {formatRelative(source.created_at)}</span>
          </div>
        </div>
        <div className="actions">
          {source.type === "websocket" && (
            <button type="button" className="button" onClick={rotate} disabled={action.pending}>
              Rotate token
            </button>
          )}
          <button type="button" className="button danger" onClick={remove} disabled={action.pending}>
            Delete
          </button>
        </div>
      </div>
      <div className="secret-row">
        <span className="muted">{source.type === "sns" ? "Subscription endpoint (HTTPS)" : "Connect to"}</span>
        <code className="url">{url}</code>
        <CopyButton text={url} label="Copy ingest URL" />
      </div>
      {source.type === "sns" && source.status === "pending_confirmation" && (
        <p className="muted small">Waiting for SNS to send its SubscriptionConfirmation; it is confirmed automatically.</p>
      )}
      {source.type === "websocket" && <p className="muted small">Authenticate with the source token as a Bearer header or ?token=.</p>}
      {token && <SecretReveal label="New token" value={token} onDismiss={() => setToken(null)} />}
      {action.error && <ProblemView error={action.error} />}
    </article>
  );
}

function NewSourceForm({ onCreated }: { onCreated: (s: Source) => void }) {
  const { api } = useApp();
  const bound = useBoundOwner();
  const action = useAction();
  const [type, setType] = useState<"sns" | "websocket">("sns");
  const [name, setName] = useState("");
  const [owner, setOwner] = useState(bound ?? "");
  const [eventType, setEventType] = useState("");
  const [attribute, setAttribute] = useState("");

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, string> = { type, name, owner_id: owner };
    if (eventType) body.event_type = eventType;
    if (type === "sns" && attribute) body.event_type_attribute = attribute;
    const created = await action.run(() => api.post<Source>("/v1/sources", body));
    if (created) {
      setName("");
      onCreated(created);
    }
  }

  return (
    <section className="card" aria-labelledby="new-source-title">
      <h2 id="new-source-title">New source</h2>
      <form className="form" onSubmit={submit}>
        <div className="inline-fields">
          <Field label="Type">
            {(id) => (
              <select id={id} value={type} onChange={(e) => setType(e.target.value as "sns" | "websocket")}>
                <option value="sns">AWS SNS</option>
                <option value="websocket">WebSocket</option>
              </select>
            )}
          </Field>
          <Field label="Name">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          <Field label="Owner">{(id) => <input id={id} required value={owner} readOnly={Boolean(bound)} onChange={(e) => setOwner(e.target.value)} />}</Field>
        </div>
        <div className="inline-fields">
          <Field label="Default event type" hint="Used when a message names none.">
            {(id) => <input id={id} value={eventType} onChange={(e) => setEventType(e.target.value)} />}
          </Field>
          {type === "sns" && (
            <Field label="Event type attribute" hint="SNS message attribute holding the event type.">
              {(id) => <input id={id} value={attribute} onChange={(e) => setAttribute(e.target.value)} />}
            </Field>
          )}
        </div>
        {action.error && <ProblemView error={action.error} />}
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={action.pending}>
            {action.pending ? "Creating…" : "Create source"}
          </button>
        </div>
      </form>
    </section>
  );
}
