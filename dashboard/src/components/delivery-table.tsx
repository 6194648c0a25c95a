// A compact table of deliveries, linking each to its event's detail page.
import type { Delivery } from "../api/types";
import { formatRelative } from "../lib/format";
import { href } from "../lib/router";
import { HttpStatus, StatusBadge } from "./status-badge";

function attemptCount(d: Delivery): number | undefined {
  return d.attempt_count ?? (Array.isArray(d.attempts) ? d.attempts.length : d.attempts);
}

/** A delivery with no attempt yet has no response to show (null would otherwise read as "no response"). */
function wasAttempted(d: Delivery): boolean {
  return (attemptCount(d) ?? 0) > 0 || Boolean(d.last_error) || (d.last_status_code ?? null) !== null;
}

export function DeliveryTable({ rows }: { rows: Delivery[] }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col">Last response</th>
            <th scope="col">Attempts</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id}>
              <td data-label="Event">
                <a href={href(["events", d.event_id])}>{d.event_type ?? d.event_id}</a>
              </td>
              <td data-label="Status">
                <StatusBadge status={d.status} />
              </td>
              <td data-label="Last response">{wasAttempted(d) ? <HttpStatus code={d.last_status_code} /> : "—"}</td>
              <td data-label="Attempts">{attemptCount(d) ?? "—"}</td>
              <td data-label="Created">{formatRelative(d.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
