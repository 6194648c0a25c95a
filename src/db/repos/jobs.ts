// Background jobs (batch retries): the job row, and the shape of the delivery selection a batch retry walks.
import { and, asc, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../client";
import { endpoints, jobs } from "../schema";

export type JobRow = typeof jobs.$inferSelect;

/**
 * Which deliveries a batch retry releases (delivery/retry-selection.ts walks it newest first with a cursor,
 * so each delivery is retried at most once by a job, however often the walk is resumed). `asOf`: when the
 * job started.
 */
export interface RetrySelection {
  statuses: Array<"failed" | "held">;
  endpointId?: string;
  ownerId?: string;
  /** Window on the event's accepted time: since inclusive, until exclusive (epoch ms). */
  since?: number;
  until?: number;
  asOf: number;
}

export async function endpointOwner(db: Db, endpointId: string): Promise<string | undefined> {
  const row = await db.select({ ownerId: endpoints.ownerId }).from(endpoints).where(eq(endpoints.id, endpointId)).get();
  return row?.ownerId;
}

export async function insertJob(db: Db, row: JobRow): Promise<void> {
  await db.insert(jobs).values(row);
}

export async function getJob(db: Db, id: string): Promise<JobRow | undefined> {
  return db.select().from(jobs).where(eq(jobs.id, id)).get();
}

/**
 * Moves a running job forward only if it is still at the state the caller read (same params and
 * updated_at): the compare-and-set that keeps two runners from walking the same job at once.
 */
export async function advanceJob(
  db: Db,
  seen: Pick<JobRow, "id" | "params" | "updatedAt">,
  next: Partial<Pick<JobRow, "done" | "params" | "status" | "error" | "total">> & { updatedAt: number },
): Promise<boolean> {
  const result = await db
    .update(jobs)
    .set(next)
    .where(and(eq(jobs.id, seen.id), eq(jobs.status, "running"), eq(jobs.params, seen.params), eq(jobs.updatedAt, seen.updatedAt)))
    .run();
  return (result.meta?.changes ?? 0) > 0;
}

/** Running jobs nobody has advanced since `staleBefore`: their runner died (or never started). */
export async function staleRunningJobs(db: Db, staleBefore: number, limit: number): Promise<JobRow[]> {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.status, "running"), lt(jobs.updatedAt, staleBefore)))
    .orderBy(asc(jobs.updatedAt))
    .limit(limit)
    .all();
}

export async function listJobs(db: Db, opts: { ownerId?: string; beforeId?: string; limit: number }): Promise<JobRow[]> {
  const filters = [];
  if (opts.ownerId !== undefined) filters.push(eq(jobs.ownerId, opts.ownerId));
  if (opts.beforeId) filters.push(lt(jobs.id, opts.beforeId));
  return db
    .select()
    .from(jobs)
    .where(and(...filters))
    .orderBy(desc(jobs.id))
    .limit(opts.limit)
    .all();
}
