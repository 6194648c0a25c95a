// Notification channels (email, Slack) told about failing and disabled endpoints: list, add, test, delete.
import { useState, type FormEvent } from "react";
import type { NotificationChannel } from "../api/types";
import { useApp, useBoundOwner } from "../lib/app-context";
import { Writable } from "../portal/permissions";
import { usePagedList } from "../lib/use-paged-list";
import { useAction } from "../lib/use-resource";
import { AsyncView } from "./async-view";
import { Field } from "./field";
import { LoadMore } from "./load-more";
import { ProblemView } from "./problem-view";

export function NotificationChannelsPanel() {
  const { api } = useApp();
  const channels = usePagedList((cursor) => api.list<NotificationChannel>("/v1/notification-channels", { cursor }), [api]);
  return (
    <section className="card" aria-labelledby="channels-title">
      <h2 id="channels-title">Notification channels</h2>
      <AsyncView resource={channels.resource} onRetry={channels.reload} isEmpty={(rows) => rows.length === 0} empty="No channels: nobody is told when an endpoint fails.">
        {(rows) => (
          <ul className="plain-list">
            {rows.map((c) => (
              <ChannelRow key={c.id} channel={c} onDeleted={channels.reload} />
            ))}
          </ul>
        )}
      </AsyncView>
      {channels.moreError && <ProblemView error={channels.moreError} />}
      <LoadMore cursor={channels.nextCursor} loading={channels.loadingMore} onLoad={channels.loadMore} />
      <Writable>
        <NewChannelForm onCreated={channels.reload} />
      </Writable>
    </section>
  );
}

function channelTarget(c: NotificationChannel): string {
  if (c.type === "email") return c.to?.join(", ") ?? "email";
  return c.webhook_url ?? "Slack webhook";
}

function ChannelRow({ channel, onDeleted }: { channel: NotificationChannel; onDeleted: () => void }) {
  const { api } = useApp();
  const action = useAction();
  const [tested, setTested] = useState(false);

  async function test() {
    setTested(false);
    const ok = await action.run(async () => {
      await api.post(`/v1/notification-channels/${channel.id}/test`, {});
      return true;
    });
    if (ok) setTested(true);
  }

  async function remove() {
    if (!window.confirm(`Delete the ${channel.type} channel ${channelTarget(channel)}?`)) return;
    const ok = await action.run(async () => {
      await api.delete(`/v1/notification-channels/${channel.id}`);
      return true;
    });
    if (ok) onDeleted();
  }

  return (
    <li>
      <div className="row-between">
        <div>
          <span className="badge badge-neutral">{channel.type === "email" ? "Email" : "Slack"}</span> <span className="url">{channelTarget(channel)}</span>
          <div className="muted small">{channel.owner_id ? `owner ${channel.owner_id}` : "all owners"}</div>
        </div>
        <Writable>
          <div className="actions">
            <button type="button" className="button small" onClick={test} disabled={action.pending}>
              Send test
            </button>
            <button type="button" className="button small danger" onClick={remove} disabled={action.pending}>
              Delete
            </button>
          </div>
        </Writable>
      </div>
      {tested && <p className="ok-text">Test message sent; it appears in the log below.</p>}
      {action.error && <ProblemView error={action.error} />}
    </li>
  );
}

function NewChannelForm({ onCreated }: { onCreated: () => void }) {
  const { api } = useApp();
  const bound = useBoundOwner();
  const action = useAction();
  const [type, setType] = useState<"email" | "slack">("email");
  const [to, setTo] = useState("");
  const [webhookUrl, setWebhookUrl] = useState("");
  const [owner, setOwner] = useState(bound ?? "");

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, unknown> =
      type === "email" ? { type, to: to.split(/[\s,]+/).filter(Boolean) } : { type, webhook_url: webhookUrl.trim() };
    // Admin without an owner = a channel for all owners; an owner key always names its own owner.
    if (owner.trim()) body.owner_id = owner.trim();
    const created = await action.run(() => api.post<NotificationChannel>("/v1/notification-channels", body));
    if (created) {
      setTo("");
      setWebhookUrl("");
      onCreated();
    }
  }

  return (
    <form className="form" onSubmit={submit} aria-label="Add notification channel">
      <h3>Add a channel</h3>
      <div className="inline-fields">
        <Field label="Type">
          {(id) => (
            <select id={id} value={type} onChange={(e) => setType(e.target.value as "email" | "slack")}>
              <option value="email">Email</option>
              <option value="slack">Slack</option>
            </select>
          )}
        </Field>
        {type === "email" ? (
          <Field label="Recipients" hint="Comma-separated addresses.">
            {(id) => <input id={id} required value={to} onChange={(e) => setTo(e.target.value)} placeholder="ops@example.com" />}
          </Field>
        ) : (
          <Field label="Slack webhook URL">
            {(id) => <input id={id} type="url" required value={webhookUrl} onChange={(e) => setWebhookUrl(e.target.value)} placeholder="https://hooks.slack.com/…" />}
          </Field>
        )}
        <Field label="Owner" hint={bound ? "Your key's owner." : "Empty: all owners."}>
          {(id) => <input id={id} value={owner} readOnly={Boolean(bound)} onChange={(e) => setOwner(e.target.value)} />}
        </Field>
      </div>
      {action.error && <ProblemView error={action.error} />}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={action.pending}>
          {action.pending ? "Adding…" : "Add channel"}
        </button>
      </div>
    </form>
  );
}
