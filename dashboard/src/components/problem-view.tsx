// Shows an API problem+json readably: title, detail, which fields were wrong, and the request id to quote.
import type { ApiError } from "../api/client";

export function ProblemView({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const p = error.problem;
  const notBuilt = p.status === 404 && p.code === "not_found" && p.detail?.startsWith("No route for");
  return (
    <div className="problem" role="alert">
      <p className="problem-title">
        <strong>{p.title}</strong>
        {p.status > 0 && <span className="muted"> · HTTP {p.status}{p.code ? ` · ${p.code}` : ""}</span>}
      </p>
      {p.detail && <p className="problem-detail">{p.detail}</p>}
      {notBuilt && <p className="muted">This server does not offer this route yet.</p>}
      {p.errors && p.errors.length > 0 && !detailSaysItAll(p.detail, p.errors) && (
        <ul className="problem-errors">
          {p.errors.map((e, i) => (
            <li key={i}>
              <FieldMessage path={e.path} message={e.message} />
            </li>
          ))}
        </ul>
      )}
      {(p.request_id || onRetry) && (
        <p className="problem-foot">
          {p.request_id && <span className="muted">Request id <code>{p.request_id}</code></span>}
          {onRetry && (
            <button type="button" className="button small" onClick={onRetry}>
              Try again
            </button>
          )}
        </p>
      )}
    </div>
  );
}

/** The server's detail already repeats a lone field error ("owner_id is required: a string."): list nothing more. */
function detailSaysItAll(detail: string | undefined, errors: { message: string }[]): boolean {
  return errors.length === 1 && detail?.replace(/\.$/, "") === errors[0]!.message;
}

/** Messages name their field ("timeout_ms must be at least 1000"): set the name as code rather than repeat it. */
function FieldMessage({ path, message }: { path: string; message: string }) {
  if (message.startsWith(`${path} `)) {
    return (
      <>
        <code>{path}</code>
        {message.slice(path.length)}
      </>
    );
  }
  return (
    <>
      <code>{path}</code>: {message}
    </>
  );
}
