// One dead letter: what it was, when it died, why, its message body, and a redrive with confirmation.
import { useState } from "react";
import type { DeadLetter } from "../api/types";
import { useApp } from "../lib/app-context";
import { canRedrive, summarizeDeadLetter } from "../lib/dead-letter-summary";
import { formatRelative, formatTime } from "../lib/format";
import { href } from "../lib/router";
import { useAction } from "../lib/use-resource";
import { JsonView } from "./json-view";
import { ProblemView } from "./problem-view";
import { StatusBadge } from "./status-badge";

/** The confirmation asked before a redrive: where the message goes, and why a second redrive is safe. */
function redriveQuestion(deadLetter: DeadLetter): string {
  const again = deadLetter.redriven_at ? " It was redriven before; consumers are idempotent, so nothing already done is done twice." : "";
  return `Send this message back to ${deadLetter.queue}?${again}`;
}

/**
 * The card shows the redrive's answer at once (reloading the list would drop loaded-more pages), until a
 * list refresh brings a newer redrive of the same message (from another tab, say).
 */
function laterRedrive(listed: DeadLetter, redriven: DeadLetter | null): DeadLetter {
  if (!redriven?.redriven_at) return listed;
  return listed.redriven_at && Date.parse(listed.redriven_at) > Date.parse(redriven.redriven_at) ? listed : redriven;
}

export function DeadLetterCard({ deadLetter }: { deadLetter: DeadLetter }) {
  const { api } = useApp();
  const action = useAction();
  const [redriven, setRedriven] = useState<DeadLetter | null>(null);
  const current = laterRedrive(deadLetter, redriven);
  const summary = summarizeDeadLetter(current);
  const status = current.redriven_at ? "redriven" : "dead";
  const titleId = `${current.id}-title`;

  async function redrive() {
    if (!window.confirm(redriveQuestion(current))) return;
    const updated = await action.run(() => api.post<DeadLetter>(`/v1/dead-letters/${encodeURIComponent(current.id)}/redrive`));
    if (updated) setRedriven(updated);
  }

  return (
    <article className="card dead-letter" data-testid="dead-letter" data-id={current.id} data-status={status} aria-labelledby={titleId}>
      <div className="row-between">
        <div>
          <h2 id={titleId}>
            {summary.kind}
            {summary.subject && <code className="dead-letter-subject">{summary.subject}</code>}
          </h2>
          <div className="row-meta">
            <StatusBadge status={status} />
            <span className="badge badge-neutral">{current.queue}</span>
            <span>
              dead-lettered <time dateTime={current.created_at}>{formatTime(current.created_at)}</time>{" "}
              <span className="muted">({formatRelative(current.created_at)})</span>
            </span>
            {current.redriven_at && (
              <span>
                last redriven <time dateTime={current.redriven_at}>{formatTime(current.redriven_at)}</time>
              </span>
            )}
          </div>
        </div>
        {canRedrive(current) ? (
          <button type="button" className="button" onClick={redrive} disabled={action.pending}>
            {action.pending ? "Redriving…" : current.redriven_at ? "Redrive again" : "Redrive"}
          </button>
        ) : (
          <p className="muted small">Cannot be redriven: its origin queue is unknown.</p>
        )}
      </div>
      {action.error && <ProblemView error={action.error} />}
      {/* A live region that exists before the redrive, so the result is announced when it appears. */}
      <p role="status" className="ok-text small" data-testid="redrive-result">
        {redriven?.redriven_at && `Sent back to ${redriven.queue} at ${formatTime(redriven.redriven_at)}; its consumer processes it again.`}
      </p>
      <div className="row-meta dead-letter-facts">
        {summary.facts.map((f) => (
          <span key={f.label}>
            <span className="muted">{f.label}</span> <code>{f.value}</code>
          </span>
        ))}
        <span>
          <span className="muted">Dead letter</span> <code>{current.id}</code>
        </span>
        {summary.link && <a href={href(summary.link.parts)}>{summary.link.label}</a>}
      </div>
      <p className="small">{summary.why}</p>
      <details>
        <summary>Message body</summary>
        {summary.payload !== undefined && <JsonView value={summary.payload} label="Event payload" />}
        <JsonView value={current.body} label="Queue message" />
      </details>
    </article>
  );
}
