// Portal links (Settings, admin and owner keys): make a link that opens this dashboard as one owner for a while,
// optionally read-only and themed; its url is shown once. List the links and revoke them.
import { useState, type FormEvent } from "react";
import { AsyncView } from "../components/async-view";
import { Field } from "../components/field";
import { LoadMore } from "../components/load-more";
import { ProblemView } from "../components/problem-view";
import { SecretReveal } from "../components/secret-reveal";
import { StatusBadge } from "../components/status-badge";
import { useApp, useBoundOwner } from "../lib/app-context";
import { formatRelative, formatTime } from "../lib/format";
import { usePagedList } from "../lib/use-paged-list";
import { useAction } from "../lib/use-resource";
import type { PortalTheme } from "./portal-session";

interface PortalLink {
  id: string;
  owner_id: string;
  owner_name: string | null;
  read_only: boolean;
  theme: PortalTheme | null;
  status: "active" | "expired" | "revoked";
  expires_at: string;
  revoked_at: string | null;
  created_at: string;
}

const TTL_CHOICES = [
  { seconds: 3_600, label: "1 hour" },
  { seconds: 86_400, label: "1 day" },
  { seconds: 604_800, label: "7 days" },
  { seconds: 900, label: "15 minutes" },
];

export function PortalLinksPanel() {
  const { api } = useApp();
  const links = usePagedList((cursor) => api.list<PortalLink>("/v1/portal-links", { cursor }), [api]);
  const [createdUrl, setCreatedUrl] = useState<string | null>(null);

  return (
    <section className="card" aria-labelledby="portal-links-title">
      <h2 id="portal-links-title">Portal links</h2>
      <p className="muted small">
        A link opens this dashboard for one owner's customers — their endpoints, deliveries and channels only — until it expires or is revoked.
      </p>
      {createdUrl && <SecretReveal label="Portal link" value={createdUrl} onDismiss={() => setCreatedUrl(null)} />}
      <AsyncView resource={links.resource} onRetry={links.reload} isEmpty={(rows) => rows.length === 0} empty="No portal links yet.">
        {(rows) => (
          <ul className="plain-list" data-testid="portal-links">
            {rows.map((link) => (
              <PortalLinkRow key={link.id} link={link} onRevoked={links.reload} />
            ))}
          </ul>
        )}
      </AsyncView>
      {links.moreError && <ProblemView error={links.moreError} />}
      <LoadMore cursor={links.nextCursor} loading={links.loadingMore} onLoad={links.loadMore} />
      <NewPortalLinkForm
        onCreated={(url) => {
          setCreatedUrl(url);
          links.reload();
        }}
      />
    </section>
  );
}

function PortalLinkRow({ link, onRevoked }: { link: PortalLink; onRevoked: () => void }) {
  const { api } = useApp();
  const action = useAction();

  async function revoke() {
    if (!window.confirm(`Revoke this portal link for ${link.owner_name ?? link.owner_id}? Anyone using it is signed out at once.`)) return;
    const ok = await action.run(async () => {
      await api.delete(`/v1/portal-links/${link.id}`);
      return true;
    });
    if (ok) onRevoked();
  }

  return (
    <li data-link-id={link.id}>
      <div className="row-between">
        <div>
          <strong>{link.owner_name ?? link.owner_id}</strong> <StatusBadge status={link.status} />
          {link.read_only && <span className="badge badge-neutral">read-only</span>}
          <div className="muted small">
            owner {link.owner_id} · created {formatRelative(link.created_at)} ·{" "}
            {link.status === "revoked" && link.revoked_at ? `revoked ${formatRelative(link.revoked_at)}` : `expires ${formatTime(link.expires_at)}`}
          </div>
        </div>
        {link.status === "active" && (
          <button type="button" className="button small danger" onClick={revoke} disabled={action.pending}>
            Revoke
          </button>
        )}
      </div>
      {action.error && <ProblemView error={action.error} />}
    </li>
  );
}

function NewPortalLinkForm({ onCreated }: { onCreated: (url: string) => void }) {
  const { api } = useApp();
  const bound = useBoundOwner();
  const action = useAction();
  const [owner, setOwner] = useState(bound ?? "");
  const [ownerName, setOwnerName] = useState("");
  const [ttl, setTtl] = useState(TTL_CHOICES[0]!.seconds);
  const [readOnly, setReadOnly] = useState(false);
  const [color, setColor] = useState("");
  const [logoUrl, setLogoUrl] = useState("");

  async function submit(e: FormEvent) {
    e.preventDefault();
    const theme: PortalTheme = {};
    if (color) theme.primary_color = color;
    if (logoUrl.trim()) theme.logo_url = logoUrl.trim();
    const body: Record<string, unknown> = { owner_id: owner.trim(), ttl_seconds: ttl, read_only: readOnly };
    if (ownerName.trim()) body.owner_name = ownerName.trim();
    if (Object.keys(theme).length > 0) body.theme = theme;
    const created = await action.run(() => api.post<PortalLink & { url: string }>("/v1/portal-links", body));
    if (created) onCreated(created.url);
  }

  return (
    <form className="form" onSubmit={submit} aria-label="Create portal link">
      <h3>New portal link</h3>
      <div className="inline-fields">
        <Field label="Link owner">{(id) => <input id={id} required value={owner} readOnly={Boolean(bound)} onChange={(e) => setOwner(e.target.value)} />}</Field>
        <Field label="Name shown" hint="Optional; default: the owner id.">
          {(id) => <input id={id} value={ownerName} maxLength={200} onChange={(e) => setOwnerName(e.target.value)} />}
        </Field>
        <Field label="Valid for">
          {(id) => (
            <select id={id} value={ttl} onChange={(e) => setTtl(Number(e.target.value))}>
              {TTL_CHOICES.map((c) => (
                <option key={c.seconds} value={c.seconds}>
                  {c.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Accent colour" hint="Optional, #rrggbb.">
          {(id) => <input id={id} value={color} placeholder="#0a7d4f" pattern="#[0-9a-fA-F]{6}" onChange={(e) => setColor(e.target.value)} />}
        </Field>
        <Field label="Logo URL" hint="Optional, https.">
          {(id) => <input id={id} type="url" value={logoUrl} placeholder="https://…/logo.png" onChange={(e) => setLogoUrl(e.target.value)} />}
        </Field>
      </div>
      <label className="check">
        <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} /> Read-only (look, but change nothing)
      </label>
      {action.error && <ProblemView error={action.error} />}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={action.pending}>
          {action.pending ? "Creating…" : "Create portal link"}
        </button>
      </div>
    </form>
  );
}
