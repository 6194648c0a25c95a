// Events: written only by the fanout consumer (batched INSERT OR IGNORE), read by the events API.
import { and, asc, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { eventIdTimeBounds, idAtTime } from "../../domain/ids";
import { deliveries, events } from "../schema";
import { idChunks } from "../id-chunks";

export type EventRow = typeof events.$inferSelect;
export type NewEventRow = Omit<EventRow, "createdAt">;

/** D1 allows 100 bound parameters per statement; an event row binds 8 (created_at is inlined). */
const EVENTS_PER_STATEMENT = Math.floor(100 / 8);

/**
 * Statements (for one db.batch) inserting events, ignoring ids already present: queues deliver at least
 * once, so the same event may arrive again and must not fail or change the stored bytes.
 */
export function insertEventsIgnoringDuplicates(db: Db, rows: NewEventRow[], now: number) {
  const createdAt = sql.raw(String(Math.trunc(now)));
  const statements = [];
  for (let i = 0; i < rows.length; i += EVENTS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + EVENTS_PER_STATEMENT).map((row) => ({ ...row, createdAt }));
    statements.push(db.insert(events).values(chunk).onConflictDoNothing());
  }
  return statements;
}

export async function getEvent(db: Db, id: string): Promise<EventRow | undefined> {
  return db.select().from(events).where(eq(events.id, id)).get();
}

export async function getEventsByIds(db: Db, ids: string[]): Promise<Map<string, EventRow>> {
  const out = new Map<string, EventRow>();
  for (const chunk of idChunks(ids)) {
    const rows = await db.select().from(events).where(inArray(events.id, chunk)).all();
    for (const row of rows) out.set(row.id, row);
  }
  return out;
}

export type EventSummary = Omit<EventRow, "payload">;

export async function listEvents(
  db: Db,
  opts: { ownerId?: string; eventType?: string; after?: number; before?: number; beforeId?: string; limit: number },
): Promise<EventSummary[]> {
  const filters = [];
  if (opts.ownerId !== undefined) filters.push(eq(events.ownerId, opts.ownerId));
  if (opts.eventType !== undefined) filters.push(eq(events.eventType, opts.eventType));
  // The id bounds let the owner/type/id indexes serve the time filters; the accepted_at terms keep them exact.
  const bounds = eventIdTimeBounds(opts.after, opts.before);
  if (opts.after !== undefined) filters.push(gt(events.acceptedAt, opts.after), gt(events.id, idAtTime("evt", bounds.from!)));
  if (opts.before !== undefined) filters.push(lt(events.acceptedAt, opts.before), lt(events.id, idAtTime("evt", bounds.before!)));
  if (opts.beforeId !== undefined) filters.push(lt(events.id, opts.beforeId));
  // Lists leave the payload out: it can be 256 KB per event; GET /v1/events/{id} returns it.
  return db
    .select({
      id: events.id,
      ownerId: events.ownerId,
      eventType: events.eventType,
      payloadSize: events.payloadSize,
      sourceId: events.sourceId,
      idempotencyKey: events.idempotencyKey,
      acceptedAt: events.acceptedAt,
      createdAt: events.createdAt,
    })
    .from(events)
    .where(and(...filters))
    .orderBy(desc(events.id))
    .limit(opts.limit)
    .all();
}

export type EventDeliveryRow = Pick<
  typeof deliveries.$inferSelect,
  "id" | "endpointId" | "status" | "attempts" | "lastStatusCode" | "lastError" | "nextAttemptAt" | "createdAt" | "updatedAt"
>;

/** The deliveries of one event (one per matched endpoint), oldest first. */
export async function listDeliveriesOfEvent(db: Db, eventId: string): Promise<EventDeliveryRow[]> {
  return db
    .select({
      id: deliveries.id,
      endpointId: deliveries.endpointId,
      status: deliveries.status,
      attempts: deliveries.attempts,
      lastStatusCode: deliveries.lastStatusCode,
      lastError: deliveries.lastError,
      nextAttemptAt: deliveries.nextAttemptAt,
      createdAt: deliveries.createdAt,
      updatedAt: deliveries.updatedAt,
    })
    .from(deliveries)
    .where(eq(deliveries.eventId, eventId))
    .orderBy(asc(deliveries.endpointId))
    .limit(10_000)
    .all();
}
