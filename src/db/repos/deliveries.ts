// Deliveries as the delivery path and the API read and change them (the fanout's creation lives in
// deliveries-write.ts). Status writes from the EndpointDO arrive here as batch statements.
import { and, asc, desc, eq, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import type { DeliveryWork } from "../../delivery/contracts";
import type { Db } from "../client";
import { deliveries, events } from "../schema";
import { idChunks } from "../id-chunks";

export type DeliveryRow = typeof deliveries.$inferSelect;
export type DeliveryStatus = DeliveryRow["status"];
export const DELIVERY_STATUSES: DeliveryStatus[] = ["pending", "retrying", "succeeded", "failed", "held"];
export type DeliveryChanges = Partial<
  Pick<
    DeliveryRow,
    | "status"
    | "attempts"
    | "attemptsInRun"
    | "nextAttemptAt"
    | "lastStatusCode"
    | "lastError"
    | "lastDurationMs"
    | "updatedAt"
    | "completedAt"
  >
>;

export async function getDelivery(db: Db, id: string): Promise<DeliveryRow | undefined> {
  return db.select().from(deliveries).where(eq(deliveries.id, id)).get();
}

export interface DeliveryListFilter {
  ownerId?: string;
  endpointId?: string;
  eventId?: string;
  status?: DeliveryStatus;
  beforeId?: string;
  limit: number;
}

/** Newest first (ids sort by time). */
export async function listDeliveries(db: Db, f: DeliveryListFilter): Promise<DeliveryRow[]> {
  const filters: SQL[] = [];
  if (f.ownerId !== undefined) filters.push(eq(deliveries.ownerId, f.ownerId));
  if (f.endpointId !== undefined) filters.push(eq(deliveries.endpointId, f.endpointId));
  if (f.eventId !== undefined) filters.push(eq(deliveries.eventId, f.eventId));
  if (f.beforeId !== undefined) filters.push(lt(deliveries.id, f.beforeId));
  if (f.endpointId !== undefined && f.status === undefined && f.eventId === undefined) {
    // No (endpoint_id, id) index (it would cost a row written per delivery): deliveries_endpoint_status
    // serves each status in id order.
    return mergeByStatus(db, DELIVERY_STATUSES, (status) => and(...filters, eq(deliveries.status, status)), "newest", f.limit);
  }
  if (f.status !== undefined) filters.push(eq(deliveries.status, f.status));
  return db
    .select()
    .from(deliveries)
    .where(and(...filters))
    .orderBy(desc(deliveries.id))
    .limit(f.limit)
    .all();
}

/**
 * The first `limit` deliveries in id order (newest or oldest first) among those matching `where(status)` for
 * any of `statuses`: one query per status, in one batch, merged. Each is served in id order by an index that
 * has status before id, where `status IN (…)` would read every match to sort them.
 */
export async function mergeByStatus(
  db: Db,
  statuses: DeliveryStatus[],
  where: (status: DeliveryStatus) => SQL | undefined,
  first: "newest" | "oldest",
  limit: number,
): Promise<DeliveryRow[]> {
  const order = first === "newest" ? desc(deliveries.id) : asc(deliveries.id);
  const queries = statuses.map((status) => db.select().from(deliveries).where(where(status)).orderBy(order).limit(limit));
  if (queries.length === 0) return [];
  const results = await db.batch(queries as [(typeof queries)[number], ...(typeof queries)[number][]]);
  const sign = first === "newest" ? -1 : 1;
  return results
    .flat()
    .sort((a, b) => (a.id < b.id ? -sign : sign))
    .slice(0, limit);
}

/** One UPDATE for a batch: used by the EndpointDO's outbox flush. */
export function updateDeliveryStatement(db: Db, id: string, changes: DeliveryChanges) {
  return db.update(deliveries).set(changes).where(eq(deliveries.id, id));
}

/**
 * The work items (with payloads) for deliveries, as EndpointDO.enqueue takes them. Deliveries whose event
 * row is gone (pruned) are left out. Chunked to stay under D1's 100 bound parameters.
 */
export async function loadDeliveryWork(db: Db, ids: string[]): Promise<Map<string, { work: DeliveryWork; status: DeliveryStatus }>> {
  const out = new Map<string, { work: DeliveryWork; status: DeliveryStatus }>();
  for (const chunk of idChunks(ids)) {
    const rows = await db
      .select({
        id: deliveries.id,
        eventId: deliveries.eventId,
        endpointId: deliveries.endpointId,
        ownerId: deliveries.ownerId,
        eventType: deliveries.eventType,
        status: deliveries.status,
        attempts: deliveries.attempts,
        attemptsInRun: deliveries.attemptsInRun,
        acceptedAt: deliveries.eventAcceptedAt,
        payload: events.payload,
      })
      .from(deliveries)
      .innerJoin(events, eq(events.id, deliveries.eventId))
      .where(inArray(deliveries.id, chunk))
      .all();
    for (const r of rows) {
      out.set(r.id, {
        status: r.status,
        work: {
          delivery_id: r.id,
          event_id: r.eventId,
          endpoint_id: r.endpointId,
          owner_id: r.ownerId,
          event_type: r.eventType,
          payload: r.payload,
          accepted_at: r.acceptedAt,
          attempts: r.attempts,
          attempts_in_run: r.attemptsInRun,
        },
      });
    }
  }
  return out;
}

/** Statements resetting deliveries for a manual retry: a new run of the policy, counted from zero. */
export function resetForRetryStatements(db: Db, ids: string[], now: number) {
  const statements = [];
  for (const chunk of idChunks(ids)) {
    statements.push(
      db
        .update(deliveries)
        .set({ status: "pending", attemptsInRun: 0, nextAttemptAt: now, completedAt: null, updatedAt: now })
        .where(inArray(deliveries.id, chunk)),
    );
  }
  return statements;
}

/**
 * Deliveries that should be progressing but have not moved since `cutoff`: pending/retrying whose
 * next_attempt_at (or, without one, updated_at) is older. Oldest first, bounded.
 */
export async function findStuckDeliveryIds(db: Db, cutoff: number, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(
      or(
        and(eq(deliveries.status, "pending"), lt(sql`coalesce(${deliveries.nextAttemptAt}, ${deliveries.updatedAt})`, cutoff)),
        and(eq(deliveries.status, "retrying"), lt(sql`coalesce(${deliveries.nextAttemptAt}, ${deliveries.updatedAt})`, cutoff)),
      ),
    )
    .orderBy(asc(deliveries.updatedAt))
    .limit(limit)
    .all();
  return rows.map((r) => r.id);
}

/** Marks swept deliveries as handed back now, so the next sweep waits another full period for them. */
export function touchSweptStatements(db: Db, ids: string[], now: number) {
  const statements = [];
  for (const chunk of idChunks(ids)) {
    statements.push(
      db
        .update(deliveries)
        .set({ nextAttemptAt: now, updatedAt: now })
        // Only rows still waiting: one the object finished meanwhile keeps its own times.
        .where(and(inArray(deliveries.id, chunk), inArray(deliveries.status, ["pending", "retrying"]))),
    );
  }
  return statements;
}
