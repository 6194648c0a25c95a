// A delivery's attempts, oldest first: when, what came back, how long it took, and the response body.
import type { Attempt } from "../api/types";
import { formatDuration, formatTime } from "../lib/format";
import { BodyView } from "./json-view";
import { HttpStatus } from "./status-badge";

function succeeded(a: Attempt): boolean {
  return a.status_code !== null && a.status_code >= 200 && a.status_code < 300 && !a.error;
}

export function AttemptTimeline({ attempts }: { attempts: Attempt[] }) {
  if (attempts.length === 0) return <p className="muted">No attempts yet.</p>;
  return (
    <ol className="timeline" aria-label="Attempts">
      {attempts.map((a) => (
        <li key={a.id} className={succeeded(a) ? "ok" : "fail"} data-testid="attempt">
          <div className="row-meta">
            <strong>Attempt {a.attempt}</strong>
            <HttpStatus code={a.status_code} />
            <span>{formatDuration(a.duration_ms)}</span>
            <span className="muted">{formatTime(a.started_at)}</span>
            {a.error && <span className="error-text">{a.error}</span>}
          </div>
          <details>
            <summary>Response body</summary>
            <BodyView body={a.response_body} label="Response body" />
          </details>
        </li>
      ))}
    </ol>
  );
}
