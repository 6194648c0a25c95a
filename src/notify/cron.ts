// The cron handler (every minute): failure notifications, the stuck-delivery sweep and retention pruning.
import type { Env } from "../env";

export async function runScheduled(_controller: ScheduledController, _env: Env, _ctx: ExecutionContext): Promise<void> {
  // Filled in by the failure-notification and delivery issues.
}
