// The log of notifications sent (or failed and retried by cron), newest first.
import type { NotificationRecord } from "../api/types";
import { useApp } from "../lib/app-context";
import { formatTime } from "../lib/format";
import { href } from "../lib/router";
import { usePagedList } from "../lib/use-paged-list";
import { AsyncView } from "./async-view";
import { LoadMore } from "./load-more";
import { ProblemView } from "./problem-view";
import { StatusBadge } from "./status-badge";

export function NotificationLog() {
  const { api } = useApp();
  const log = usePagedList((cursor) => api.list<NotificationRecord>("/v1/notifications", { cursor }), [api]);
  return (
    <section className="card" aria-labelledby="log-title">
      <div className="card-head">
        <h2 id="log-title">Notification log</h2>
        <button type="button" className="button small ghost" onClick={log.reload}>
          Refresh
        </button>
      </div>
      <AsyncView resource={log.resource} onRetry={log.reload} isEmpty={(rows) => rows.length === 0} empty="No notifications sent yet.">
        {(rows) => (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Sent</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((n) => (
                  <tr key={n.id}>
                    <td data-label="Kind">{n.kind}</td>
                    <td data-label="Status">
                      <StatusBadge status={n.status} />
                    </td>
                    <td data-label="Endpoint">{n.endpoint_id ? <a href={href(["endpoints", n.endpoint_id])}>{n.endpoint_id}</a> : "—"}</td>
                    <td data-label="Sent">{formatTime(n.sent_at)}</td>
                    <td data-label="Error">{n.error ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncView>
      {log.moreError && <ProblemView error={log.moreError} />}
      <LoadMore cursor={log.nextCursor} loading={log.loadingMore} onLoad={log.loadMore} />
    </section>
  );
}
