// Per-endpoint numbers over a time window for GET /v1/endpoints/{id}/stats: deliveries by status (created in
// the window) and attempts (started in the window) with nearest-rank latency percentiles. Read only.
import { and, count, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { attempts, deliveries } from "../schema";
import { DELIVERY_STATUSES, type DeliveryStatus } from "./deliveries";

export interface AttemptStats {
  total: number;
  succeeded: number;
  failed: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export async function deliveryCountsByStatus(db: Db, endpointId: string, since: number, until: number): Promise<Record<DeliveryStatus, number>> {
  const rows = await db
    .select({ status: deliveries.status, n: count() })
    .from(deliveries)
    .where(and(eq(deliveries.endpointId, endpointId), gte(deliveries.createdAt, since), lt(deliveries.createdAt, until)))
    .groupBy(deliveries.status)
    .all();
  const out = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
  for (const r of rows) out[r.status] = r.n;
  return out;
}

/** Nearest-rank percentile: the value at rank ceil(p·n) in ascending order (1-based). */
export function percentileOffset(p: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(p * n))) - 1;
}

export async function attemptStats(db: Db, endpointId: string, since: number, until: number): Promise<AttemptStats> {
  const window = and(eq(attempts.endpointId, endpointId), gte(attempts.startedAt, since), lt(attempts.startedAt, until));
  // A success is what classify.ts calls one: a 2xx whose whole response arrived (no error such as a timeout).
  const [totals] = await db
    .select({
      total: count(),
      succeeded: sql<number>`coalesce(sum(case when ${attempts.statusCode} between 200 and 299 and ${attempts.error} is null then 1 else 0 end), 0)`,
    })
    .from(attempts)
    .where(window)
    .all();
  const total = totals?.total ?? 0;
  const succeeded = Number(totals?.succeeded ?? 0);
  const at = async (p: number) => {
    if (total === 0) return null;
    const row = await db
      .select({ d: attempts.durationMs })
      .from(attempts)
      .where(window)
      .orderBy(attempts.durationMs)
      .limit(1)
      .offset(percentileOffset(p, total))
      .get();
    return row?.d ?? null;
  };
  return { total, succeeded, failed: total - succeeded, p50Ms: await at(0.5), p99Ms: await at(0.99) };
}
