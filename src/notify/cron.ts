// The cron handler (every minute): failure notifications, batch-retry jobs left stale, and retention (whole
// history shards past RETENTION_DAYS). Each step is isolated: one failing is logged and never stops the others.
import { loadConfig } from "../config";
import { systemClock, type Clock } from "../domain/time";
import type { Env } from "../env";
import { retryDeliveries } from "../delivery/manual-retry";
import { runNotifications } from "./notifier";
import { pruneOlderThan } from "./retention";
import { resumeStaleJobs } from "./retry-jobs";

export type StepOutcome = { ok: true; result: unknown } | { ok: false; error: string };

export async function runScheduled(_controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  await runCron(env, systemClock);
}

export async function runCron(env: Env, clock: Clock): Promise<Record<string, StepOutcome>> {
  const config = loadConfig(env);
  const steps: Array<[string, () => Promise<unknown>]> = [
    ["notifications", () => runNotifications(env, clock)],
    ["batch_retry_jobs", () => resumeStaleJobs(env, retryDeliveries, clock)],
    ["retention", () => pruneOlderThan(env, clock.now() - config.retentionDays * 86_400_000)],
  ];
  const outcomes: Record<string, StepOutcome> = {};
  for (const [name, step] of steps) {
    const started = Date.now();
    try {
      const result = await step();
      outcomes[name] = { ok: true, result };
      console.log(JSON.stringify({ level: "info", msg: "cron step done", step: name, ms: Date.now() - started, result }));
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      outcomes[name] = { ok: false, error };
      console.error(JSON.stringify({ level: "error", msg: "cron step failed", step: name, ms: Date.now() - started, error }));
    }
  }
  return outcomes;
}
