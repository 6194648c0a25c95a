// Subscriptions: which event types go to which endpoint, optionally narrowed by a filter on the event.
// owner_id is copied from the endpoint so routing and owner filters need no join. Every write (filter
// changes included) bumps the owner's config version in the same batch, so routing caches refresh.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { endpoints, subscriptions } from "../schema";
import { commitRoutingChange } from "./config-versions";

export type SubscriptionRow = typeof subscriptions.$inferSelect;

/**
 * Inserts the subscription only if its endpoint still exists (INSERT … SELECT in the same transaction as
 * the version bump), so a concurrent endpoint delete cannot leave an orphan. False when the endpoint is gone.
 */
export async function insertSubscription(db: Db, row: SubscriptionRow): Promise<boolean> {
  const [inserted] = await commitRoutingChange(db, row.ownerId, [
    db
      .insert(subscriptions)
      .select(
        db
          .select({
            id: sql<string>`${row.id}`.as("id"),
            endpointId: endpoints.id,
            ownerId: endpoints.ownerId,
            eventTypes: sql<string>`${row.eventTypes}`.as("event_types"),
            filter: sql<string | null>`${row.filter}`.as("filter"),
            description: sql<string | null>`${row.description}`.as("description"),
            createdAt: sql<number>`${row.createdAt}`.as("created_at"),
            updatedAt: sql<number>`${row.updatedAt}`.as("updated_at"),
          })
          .from(endpoints)
          .where(and(eq(endpoints.id, row.endpointId), eq(endpoints.ownerId, row.ownerId))),
      )
      .returning({ id: subscriptions.id }),
  ]);
  return inserted.length === 1;
}

export async function getSubscription(db: Db, id: string): Promise<SubscriptionRow | undefined> {
  return db.select().from(subscriptions).where(eq(subscriptions.id, id)).get();
}

export async function listSubscriptions(
  db: Db,
  opts: { ownerId?: string; endpointId?: string; beforeId?: string; limit: number },
): Promise<SubscriptionRow[]> {
  const filters = [];
  if (opts.ownerId) filters.push(eq(subscriptions.ownerId, opts.ownerId));
  if (opts.endpointId) filters.push(eq(subscriptions.endpointId, opts.endpointId));
  if (opts.beforeId) filters.push(lt(subscriptions.id, opts.beforeId));
  return db
    .select()
    .from(subscriptions)
    .where(and(...filters))
    .orderBy(desc(subscriptions.id))
    .limit(opts.limit)
    .all();
}

export async function updateSubscription(
  db: Db,
  sub: Pick<SubscriptionRow, "id" | "ownerId">,
  changes: Partial<Pick<SubscriptionRow, "eventTypes" | "filter" | "description">>,
  now = Date.now(),
): Promise<SubscriptionRow | undefined> {
  const [updated] = await commitRoutingChange(db, sub.ownerId, [
    db
      .update(subscriptions)
      .set({ ...changes, updatedAt: now })
      .where(eq(subscriptions.id, sub.id))
      .returning(),
  ]);
  return updated[0];
}

export async function deleteSubscription(db: Db, sub: Pick<SubscriptionRow, "id" | "ownerId">): Promise<boolean> {
  const [removed] = await commitRoutingChange(db, sub.ownerId, [
    db.delete(subscriptions).where(eq(subscriptions.id, sub.id)).returning({ id: subscriptions.id }),
  ]);
  return removed.length > 0;
}
