// Follows a background job (GET /v1/jobs/{id}) until it completes or fails, showing done/total.
import type { Job } from "../api/types";
import { useApp } from "../lib/app-context";
import { usePolling, useResource } from "../lib/use-resource";
import { ProblemView } from "./problem-view";
import { StatusBadge } from "./status-badge";

export function JobProgress({ jobId }: { jobId: string }) {
  const { api } = useApp();
  const { resource, reload } = useResource(() => api.get<Job>(`/v1/jobs/${encodeURIComponent(jobId)}`), [api, jobId]);
  const running = resource.state === "loading" || resource.data?.status === "running";
  // Poll only while running and the last answer was not an error; bounded to ~4 minutes.
  usePolling(reload, 1000, running && resource.state !== "error", 240);

  if (resource.state === "error") return <ProblemView error={resource.error} onRetry={reload} />;
  const job = resource.data;
  if (!job) return <p className="muted">Starting job {jobId}…</p>;
  const pct = job.total > 0 ? Math.round((job.done / job.total) * 100) : 100;
  return (
    <div className="job" data-testid="job-progress">
      <div className="row-meta">
        <StatusBadge status={job.status} />
        <span>
          {job.done} of {job.total} retried
        </span>
        <code className="muted">{job.id}</code>
      </div>
      <progress max={100} value={pct} aria-label="Job progress">
        {pct}%
      </progress>
      {job.error && <p className="error-text">{job.error}</p>}
    </div>
  );
}
