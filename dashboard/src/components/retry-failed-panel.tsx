// "Retry failed": re-runs every failed or held delivery of one endpoint in a time window, as a job.
import { useState, type FormEvent } from "react";
import type { JobStarted } from "../api/types";
import { useApp } from "../lib/app-context";
import { localInputToIso } from "../lib/format";
import { useAction } from "../lib/use-resource";
import { Field } from "./field";
import { JobProgress } from "./job-progress";
import { ProblemView } from "./problem-view";

export function RetryFailedPanel({ endpointId }: { endpointId: string }) {
  const { api } = useApp();
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [started, setStarted] = useState<JobStarted | null>(null);
  const action = useAction();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, string> = {};
    const s = localInputToIso(since);
    const u = localInputToIso(until);
    if (s) body.since = s;
    if (u) body.until = u;
    const job = await action.run(() => api.post<JobStarted>(`/v1/endpoints/${endpointId}/retry-failed`, body));
    if (job) setStarted(job);
  }

  return (
    <section className="card" aria-labelledby="retry-title">
      <h2 id="retry-title">Retry failed deliveries</h2>
      <p className="muted small">Every failed or held delivery whose event arrived in the window gets a fresh run of the retry policy. Leave both empty for all.</p>
      <form className="inline-form" onSubmit={submit}>
        <Field label="Since">{(id) => <input id={id} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />}</Field>
        <Field label="Until">{(id) => <input id={id} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />}</Field>
        <button type="submit" className="button" disabled={action.pending}>
          {action.pending ? "Starting…" : "Retry failed"}
        </button>
      </form>
      {action.error && <ProblemView error={action.error} />}
      {started && (
        <div className="job-started">
          <p>
            Retrying {started.count} {started.count === 1 ? "delivery" : "deliveries"}.
          </p>
          {started.count > 0 && <JobProgress jobId={started.job_id} />}
        </div>
      )}
    </section>
  );
}
