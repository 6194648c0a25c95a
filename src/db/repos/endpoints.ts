// Endpoints: the delivery targets. Every write that changes routing or delivery config bumps the owner's
// config version in the same batch (one D1 transaction), so caches never see the write without the bump.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";
import type { Db } from "../client";
import { endpoints, subscriptions } from "../schema";
import { commitRoutingChange } from "./config-versions";

export type EndpointRow = typeof endpoints.$inferSelect;
export type EndpointStatus = EndpointRow["status"];

/** Columns the management API may change directly (status changes go through enable/disable). */
export type EndpointChanges = Partial<
  Pick<EndpointRow, "url" | "description" | "timeoutMs" | "rateLimit" | "maxInFlight" | "authEnc" | "retry" | "metadata">
>;

export async function insertEndpoint(db: Db, row: EndpointRow): Promise<void> {
  await commitRoutingChange(db, row.ownerId, [db.insert(endpoints).values(row)]);
}

/** Ids of an owner's relay endpoints (`hookrelay listen`), at most `limit`: whose listeners a revoked key must lose. */
export async function relayEndpointIdsOf(db: Db, ownerId: string, limit = 100): Promise<string[]> {
  const rows = await db
    .select({ id: endpoints.id })
    .from(endpoints)
    .where(and(eq(endpoints.ownerId, ownerId), eq(endpoints.kind, "relay")))
    .limit(limit)
    .all();
  return rows.map((r) => r.id);
}

export async function getEndpoint(db: Db, id: string): Promise<EndpointRow | undefined> {
  return db.select().from(endpoints).where(eq(endpoints.id, id)).get();
}

export async function listEndpoints(
  db: Db,
  opts: { ownerId?: string; status?: EndpointStatus; beforeId?: string; limit: number },
): Promise<EndpointRow[]> {
  const filters = [];
  if (opts.ownerId) filters.push(eq(endpoints.ownerId, opts.ownerId));
  if (opts.status) filters.push(eq(endpoints.status, opts.status));
  if (opts.beforeId) filters.push(lt(endpoints.id, opts.beforeId));
  return db
    .select()
    .from(endpoints)
    .where(and(...filters))
    .orderBy(desc(endpoints.id))
    .limit(opts.limit)
    .all();
}

/** Applies a change and bumps the config version atomically; undefined when the endpoint is gone. */
async function writeEndpoint(
  db: Db,
  endpoint: Pick<EndpointRow, "id" | "ownerId">,
  set: SQLiteUpdateSetSource<typeof endpoints>,
): Promise<EndpointRow | undefined> {
  const [updated] = await commitRoutingChange(db, endpoint.ownerId, [
    db.update(endpoints).set(set).where(eq(endpoints.id, endpoint.id)).returning(),
  ]);
  return updated[0];
}

export function updateEndpoint(db: Db, endpoint: EndpointRow, changes: EndpointChanges, now = Date.now()) {
  return writeEndpoint(db, endpoint, { ...changes, updatedAt: now });
}

export function disableEndpointManually(db: Db, endpoint: EndpointRow, now = Date.now()) {
  return writeEndpoint(db, endpoint, { status: "disabled", disabledReason: "manual", disabledAt: now, updatedAt: now });
}

/**
 * Re-enables an endpoint. The failure counter and episode start are cleared so that the next failure
 * begins a new episode (with fresh warning/disable notices) instead of re-disabling at once.
 */
export function enableEndpoint(db: Db, endpoint: EndpointRow, now = Date.now()) {
  return writeEndpoint(db, endpoint, {
    status: "active",
    disabledReason: null,
    disabledAt: null,
    consecutiveFailures: 0,
    failingSince: null,
    updatedAt: now,
  });
}

/**
 * Makes `newSecretEnc` the signing secret and keeps the one it replaces signing until `previousExpiresAt`.
 * The current secret is copied inside the UPDATE itself, so two concurrent rotations cannot lose one.
 */
export function rotateEndpointSecret(
  db: Db,
  endpoint: EndpointRow,
  newSecretEnc: string,
  previousExpiresAt: number,
  now = Date.now(),
) {
  return writeEndpoint(db, endpoint, {
    previousSecretEnc: sql`${endpoints.secretEnc}`,
    previousSecretExpiresAt: previousExpiresAt,
    secretEnc: newSecretEnc,
    updatedAt: now,
  });
}

/** Deletes an endpoint with its subscriptions (its delivery history stays for the retention window). */
export async function deleteEndpoint(db: Db, endpoint: Pick<EndpointRow, "id" | "ownerId">): Promise<boolean> {
  const [, removed] = await commitRoutingChange(db, endpoint.ownerId, [
    db.delete(subscriptions).where(eq(subscriptions.endpointId, endpoint.id)),
    db.delete(endpoints).where(eq(endpoints.id, endpoint.id)).returning({ id: endpoints.id }),
  ]);
  return removed.length > 0;
}
