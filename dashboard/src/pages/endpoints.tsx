// Endpoints: every endpoint the key can see, filterable by owner and status.
import { useState } from "react";
import type { Endpoint } from "../api/types";
import { AsyncView } from "../components/async-view";
import { Field } from "../components/field";
import { LoadMore } from "../components/load-more";
import { OwnerFilter } from "../components/owner-filter";
import { PageHeader } from "../components/page-header";
import { ProblemView } from "../components/problem-view";
import { HttpStatus, StatusBadge } from "../components/status-badge";
import { useApp } from "../lib/app-context";
import { Writable } from "../portal/permissions";
import { endpointTarget, formatRelative, plural } from "../lib/format";
import { href } from "../lib/router";
import { useDebounced } from "../lib/use-debounced";
import { usePagedList } from "../lib/use-paged-list";

export function EndpointsPage() {
  const { api } = useApp();
  const [owner, setOwner] = useState("");
  const [status, setStatus] = useState("");
  const ownerFilter = useDebounced(owner, 300);
  const list = usePagedList(
    (cursor) => api.list<Endpoint>("/v1/endpoints", { owner_id: ownerFilter, status, cursor }),
    [api, ownerFilter, status],
  );

  return (
    <>
      <PageHeader
        title="Endpoints"
        subtitle="Where events are delivered."
        actions={
          <Writable>
            <a className="button primary" href={href(["endpoints", "new"])}>
              New endpoint
            </a>
          </Writable>
        }
      />
      <div className="filters">
        <OwnerFilter value={owner} onChange={setOwner} />
        <Field label="Status">
          {(id) => (
            <select id={id} value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">any</option>
              <option value="active">active</option>
              <option value="disabled">disabled</option>
            </select>
          )}
        </Field>
      </div>
      <AsyncView
        resource={list.resource}
        onRetry={list.reload}
        isEmpty={(rows) => rows.length === 0}
        empty={
          <>
            <p>No endpoints yet.</p>
            <Writable>
              <a href={href(["endpoints", "new"])}>Create the first one</a>
            </Writable>
          </>
        }
      >
        {(rows) => <EndpointTable rows={rows} />}
      </AsyncView>
      {list.moreError && <ProblemView error={list.moreError} />}
      <LoadMore cursor={list.nextCursor} loading={list.loadingMore} onLoad={list.loadMore} />
    </>
  );
}

function EndpointTable({ rows }: { rows: Endpoint[] }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">URL</th>
            <th scope="col">Owner</th>
            <th scope="col">Status</th>
            <th scope="col">Last attempt</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.id}>
              <td data-label="URL">
                <a href={href(["endpoints", e.id])} className="url">
                  {endpointTarget(e)}
                </a>
                {e.description && <div className="muted small">{e.description}</div>}
              </td>
              <td data-label="Owner">{e.owner_id}</td>
              <td data-label="Status">
                <StatusBadge status={e.status} />
              </td>
              <td data-label="Last attempt">
                <LastAttempt endpoint={e} />
              </td>
              <td data-label="Created">{formatRelative(e.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The endpoint's latest outcome and its failure streak, when the API reports them. */
function LastAttempt({ endpoint }: { endpoint: Endpoint }) {
  if (!endpoint.last_attempt_at) return <span className="muted">never</span>;
  const failures = endpoint.consecutive_failures ?? 0;
  return (
    <span className="row-meta">
      <HttpStatus code={endpoint.last_status_code} />
      <span className="muted">{formatRelative(endpoint.last_attempt_at)}</span>
      {failures > 0 && <span className="warn-text">{plural(failures, "failure")} in a row</span>}
    </span>
  );
}
