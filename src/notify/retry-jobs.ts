// Batch-retry jobs: count the failed/held deliveries in a selection, then walk it in chunks calling
// retryDeliveries. The request starts the walk (waitUntil); the cron resumes any job left stale.
import { getDb } from "../db/client";
import {
  advanceJob,
  getJob,
  insertJob,
  staleRunningJobs,
  type JobRow,
  type RetrySelection,
} from "../db/repos/jobs";
import { countSelection, selectionChunk } from "../delivery/retry-selection";
import { newId } from "../domain/ids";
import type { Clock } from "../domain/time";
import type { Env } from "../env";

/** Releases deliveries back into their EndpointDOs (delivery/manual-retry.ts), injected for tests. */
export type RetryFn = (env: Env, deliveryIds: string[]) => Promise<unknown>;

export type RetryJobKind = "endpoint.retry_failed" | "deliveries.retry";

interface JobParams {
  selection: RetrySelection;
  /** Where the walk stands (retry-selection.ts); it continues after the last chunk handed to retryDeliveries. */
  cursor: string | null;
  retried: number;
  /** Consecutive chunk failures; the job fails after MAX_CHUNK_FAILURES. */
  failures: number;
  last_error?: string;
  /** Deliveries counted at the start that had left the selection (retried elsewhere, pruned) by the end. */
  skipped?: number;
}

const CHUNK = 100;
const MAX_CHUNK_FAILURES = 3;
/** A running job whose row has not moved for this long has lost its runner; the cron takes it over. */
export const JOB_STALE_MS = 60_000;

export async function startRetryJob(
  env: Env,
  input: { kind: RetryJobKind; ownerId: string | null; selection: Omit<RetrySelection, "asOf"> },
  clock: Clock,
): Promise<JobRow> {
  const db = getDb(env.DB);
  const now = clock.now();
  const selection: RetrySelection = { ...input.selection, asOf: now };
  const total = await countSelection(env, selection);
  const params: JobParams = { selection, cursor: null, retried: 0, failures: 0 };
  const row: JobRow = {
    id: newId("job", now),
    kind: input.kind,
    ownerId: input.ownerId,
    status: total === 0 ? "completed" : "running",
    total,
    done: 0,
    error: null,
    params: JSON.stringify(params),
    createdAt: now,
    updatedAt: now,
  };
  await insertJob(db, row);
  return row;
}

/**
 * Walks a job until it completes, fails, another runner takes it, or `budgetMs` of wall time is spent.
 * Every step is a compare-and-set on the job row, so two runners never advance the same job twice, and the
 * walk's cursor only moves forward, so resuming after a crash never retries a chunk that was handed over.
 */
export async function runRetryJob(
  env: Env,
  jobId: string,
  retry: RetryFn,
  clock: Clock,
  limits: { budgetMs?: number; maxChunks?: number } = {},
): Promise<JobRow | undefined> {
  const db = getDb(env.DB);
  const deadline = Date.now() + (limits.budgetMs ?? 25_000);
  const maxSteps = limits.maxChunks ?? 10_000;
  for (let step = 0; step < maxSteps && Date.now() < deadline; step++) {
    const job = await getJob(db, jobId);
    if (!job || job.status !== "running") return job;
    const params = JSON.parse(job.params) as JobParams;
    const { ids, cursor } = await selectionChunk(env, params.selection, params.cursor, CHUNK);
    if (ids.length === 0) {
      const finished: JobParams = { ...params, skipped: Math.max(0, job.total - params.retried) };
      await advanceJob(db, job, { status: "completed", done: job.total, params: JSON.stringify(finished), updatedAt: clock.now() });
      return getJob(db, jobId);
    }
    // Lease: touching updated_at tells the cron this job has a live runner.
    const leased = { ...job, updatedAt: Math.max(clock.now(), job.updatedAt) };
    if (!(await advanceJob(db, job, { updatedAt: leased.updatedAt }))) return getJob(db, jobId);
    try {
      await retry(env, ids);
    } catch (err) {
      const failures = params.failures + 1;
      const message = err instanceof Error ? err.message : String(err);
      const next: JobParams = { ...params, failures, last_error: message };
      const giveUp = failures >= MAX_CHUNK_FAILURES;
      console.error(JSON.stringify({ level: "error", msg: "batch retry chunk failed", job_id: jobId, failures, error: message }));
      await advanceJob(db, leased, {
        params: JSON.stringify(next),
        updatedAt: clock.now(),
        ...(giveUp ? { status: "failed" as const, error: `retrying deliveries failed ${failures} times: ${message}` } : {}),
      });
      if (giveUp) return getJob(db, jobId);
      continue;
    }
    const next: JobParams = { ...params, cursor, retried: params.retried + ids.length, failures: 0 };
    const done = Math.min(job.total, next.retried);
    if (!(await advanceJob(db, leased, { params: JSON.stringify(next), done, updatedAt: clock.now() }))) return getJob(db, jobId);
  }
  return getJob(db, jobId);
}

/** Cron step: takes over running jobs whose runner stopped (isolate evicted, waitUntil budget spent). */
export async function resumeStaleJobs(env: Env, retry: RetryFn, clock: Clock, budgetMs = 20_000): Promise<number> {
  const db = getDb(env.DB);
  const deadline = Date.now() + budgetMs;
  const stale = await staleRunningJobs(db, clock.now() - JOB_STALE_MS, 10);
  let resumed = 0;
  for (const job of stale) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await runRetryJob(env, job.id, retry, clock, { budgetMs: remaining });
    resumed++;
  }
  return resumed;
}
