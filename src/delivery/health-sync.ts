// The endpoint's failure counters live in its EndpointDO; D1's copy (read by the cron notifier and the API)
// is written only when it matters — an episode starts, the warning threshold is crossed, the endpoint is
// disabled or recovers — and at most once a minute while failing, never once per attempt.
import { and, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { bumpConfigVersion } from "../db/repos/config-versions";
import { endpoints } from "../db/schema";
import type { Env } from "../env";
import type { DisableReason, FailureCounters } from "./failure-tracker";

/** While an endpoint keeps failing, D1 sees its counters at least this often. */
export const HEALTH_REFRESH_MS = 60_000;

export interface HealthSync {
  counters: FailureCounters;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: number;
  disable: { reason: DisableReason; at: number } | null;
}

export function healthWriteDue(prev: FailureCounters, next: FailureCounters, warnAfter: number, lastWrittenAt: number, now: number): boolean {
  if (next.failureEpisode !== prev.failureEpisode) return true;
  if (prev.consecutiveFailures > 0 && next.consecutiveFailures === 0) return true;
  if (prev.consecutiveFailures < warnAfter && next.consecutiveFailures >= warnAfter) return true;
  return next.consecutiveFailures > 0 && now - lastWrittenAt >= HEALTH_REFRESH_MS;
}

/** Writes the counters (absolute values: a repeat changes nothing) and a disable, in one D1 batch. */
export async function writeHealth(env: Env, endpointId: string, ownerId: string, sync: HealthSync): Promise<void> {
  const db = getDb(env.DB);
  const counters = db
    .update(endpoints)
    .set({ ...sync.counters, lastStatusCode: sync.lastStatusCode, lastError: sync.lastError, lastAttemptAt: sync.lastAttemptAt })
    .where(eq(endpoints.id, endpointId));
  if (!sync.disable) {
    await counters;
    return;
  }
  await db.batch([
    counters,
    // Only an active endpoint is disabled: a manual disable that came first keeps its own reason.
    db
      .update(endpoints)
      .set({ status: "disabled", disabledReason: sync.disable.reason, disabledAt: sync.disable.at, updatedAt: sync.disable.at })
      .where(and(eq(endpoints.id, endpointId), eq(endpoints.status, "active"))),
    // Routing caches must see the endpoint as disabled so new deliveries are recorded `held`. No settle wait
    // (config-versions.ts): nobody waits for this write, and work routed within the trust window still reaches
    // this EndpointDO, which holds it itself while its endpoint is disabled.
    bumpConfigVersion(db, ownerId),
  ]);
}
