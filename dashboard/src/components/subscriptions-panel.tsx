// An endpoint's subscriptions: which event types reach it, and which of those events by filter. List, add,
// edit patterns, edit or remove the filter (FilterEditor), delete.
import { useState, type FormEvent } from "react";
import type { Subscription } from "../api/types";
import { useApp } from "../lib/app-context";
import { Writable } from "../portal/permissions";
import { useAction, useResource } from "../lib/use-resource";
import { AsyncView } from "./async-view";
import { Field } from "./field";
import { FilterEditor } from "./filter-editor";
import { ProblemView } from "./problem-view";

/** "order.created, invoice.*" → ["order.created", "invoice.*"]; commas or whitespace separate. */
function parsePatterns(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

export function SubscriptionsPanel({ endpointId }: { endpointId: string }) {
  const { api } = useApp();
  const { resource, reload } = useResource(() => api.list<Subscription>("/v1/subscriptions", { endpoint_id: endpointId, limit: 500 }), [api, endpointId]);

  return (
    <section className="card" aria-labelledby="subs-title">
      <h2 id="subs-title">Subscriptions</h2>
      <p className="muted small">
        Event types this endpoint receives: exact (<code>order.created</code>), a prefix (<code>invoice.*</code>) or everything (<code>*</code>),
        optionally narrowed by a filter on the event's payload.
      </p>
      <AsyncView resource={resource} onRetry={reload} isEmpty={(p) => p.data.length === 0} empty="No subscriptions: this endpoint receives no events yet.">
        {(page) => (
          <ul className="plain-list" data-testid="subscriptions">
            {page.data.map((s) => (
              <SubscriptionRow key={s.id} sub={s} onChanged={reload} />
            ))}
          </ul>
        )}
      </AsyncView>
      <Writable>
        <AddSubscription endpointId={endpointId} onAdded={reload} />
      </Writable>
    </section>
  );
}

function SubscriptionRow({ sub, onChanged }: { sub: Subscription; onChanged: () => void }) {
  const { api } = useApp();
  const [editing, setEditing] = useState(false);
  const [editingFilter, setEditingFilter] = useState(false);
  const [text, setText] = useState(sub.event_types.join(", "));
  const action = useAction();

  async function save(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(() => api.patch(`/v1/subscriptions/${sub.id}`, { event_types: parsePatterns(text) }));
    if (ok !== undefined) {
      setEditing(false);
      onChanged();
    }
  }

  async function remove() {
    if (!window.confirm(`Delete the subscription to ${sub.event_types.join(", ")}?`)) return;
    await action.run(() => api.delete(`/v1/subscriptions/${sub.id}`));
    onChanged();
  }

  return (
    <li>
      {editing ? (
        <form className="inline-form" onSubmit={save}>
          <Field label="Event types">{(id) => <input id={id} value={text} onChange={(e) => setText(e.target.value)} />}</Field>
          <button type="submit" className="button small primary" disabled={action.pending}>
            Save
          </button>
          <button type="button" className="button small" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="row-between">
          <span className="chips">
            {sub.event_types.map((t) => (
              <code key={t} className="chip">
                {t}
              </code>
            ))}
          </span>
          <Writable>
            <span className="actions">
              <button type="button" className="button small ghost" onClick={() => setEditing(true)}>
                Edit
              </button>
              <button type="button" className="button small ghost" onClick={() => setEditingFilter((v) => !v)} aria-expanded={editingFilter}>
                {sub.filter ? "Edit filter" : "Add filter"}
              </button>
              <button type="button" className="button small danger" onClick={remove} disabled={action.pending}>
                Delete
              </button>
            </span>
          </Writable>
        </div>
      )}
      {sub.filter && !editingFilter && (
        <p className="small">
          <span className="muted">Filter </span>
          <code className="chip" data-testid="filter-summary">
            {JSON.stringify(sub.filter)}
          </code>
        </p>
      )}
      {editingFilter && (
        <FilterEditor
          sub={sub}
          onCancel={() => setEditingFilter(false)}
          onSaved={() => {
            setEditingFilter(false);
            onChanged();
          }}
        />
      )}
      {action.error && <ProblemView error={action.error} />}
    </li>
  );
}

function AddSubscription({ endpointId, onAdded }: { endpointId: string; onAdded: () => void }) {
  const { api } = useApp();
  const [text, setText] = useState("");
  const action = useAction();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const created = await action.run(() => api.post<Subscription>("/v1/subscriptions", { endpoint_id: endpointId, event_types: parsePatterns(text) }));
    if (created) {
      setText("");
      onAdded();
    }
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add subscription">
      <Field label="New subscription (event types)" hint="Separate several with commas.">
        {(id) => <input id={id} value={text} onChange={(e) => setText(e.target.value)} placeholder="order.created, invoice.*" required />}
      </Field>
      <button type="submit" className="button primary" disabled={action.pending}>
        {action.pending ? "Adding…" : "Add subscription"}
      </button>
      {action.error && <ProblemView error={action.error} />}
    </form>
  );
}
