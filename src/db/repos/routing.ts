// Reads the fanout router needs: owners' subscriptions (patterns and filters) joined with their endpoints' status, and endpoint
// status by id (for explicit fanout slices).
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../client";
import { endpoints, subscriptions } from "../schema";
import { idChunks } from "../id-chunks";

export interface SubscriptionRouteRow {
  ownerId: string;
  endpointId: string;
  status: "active" | "disabled";
  eventTypes: string;
  /** JSON text of the subscription's filter, or null. */
  filter: string | null;
}

/** Every subscription of the given owners with its endpoint's status; one query per 90 owners. */
export async function loadSubscriptionRoutes(db: Db, ownerIds: string[]): Promise<SubscriptionRouteRow[]> {
  const out: SubscriptionRouteRow[] = [];
  for (const chunk of idChunks(ownerIds)) {
    const rows = await db
      .select({
        ownerId: subscriptions.ownerId,
        endpointId: subscriptions.endpointId,
        status: endpoints.status,
        eventTypes: subscriptions.eventTypes,
        filter: subscriptions.filter,
      })
      .from(subscriptions)
      // Owner equality in the join: a subscription only ever routes to an endpoint of the same owner.
      .innerJoin(endpoints, and(eq(endpoints.id, subscriptions.endpointId), eq(endpoints.ownerId, subscriptions.ownerId)))
      .where(inArray(subscriptions.ownerId, chunk))
      .all();
    out.push(...rows);
  }
  return out;
}

export interface EndpointStatusRow {
  id: string;
  ownerId: string;
  status: "active" | "disabled";
}

export async function loadEndpointStatuses(db: Db, endpointIds: string[]): Promise<Map<string, EndpointStatusRow>> {
  const out = new Map<string, EndpointStatusRow>();
  for (const chunk of idChunks(endpointIds)) {
    const rows = await db
      .select({ id: endpoints.id, ownerId: endpoints.ownerId, status: endpoints.status })
      .from(endpoints)
      .where(inArray(endpoints.id, chunk))
      .all();
    for (const row of rows) out.set(row.id, row);
  }
  return out;
}
