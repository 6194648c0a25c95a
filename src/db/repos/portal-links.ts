// Portal links: only the token's SHA-256 is stored; a link is usable while not revoked and not expired.
import { and, desc, eq, isNull, lt } from "drizzle-orm";
import type { Db } from "../client";
import { portalLinks } from "../schema";

export type PortalLinkRow = typeof portalLinks.$inferSelect;

export async function insertPortalLink(db: Db, row: PortalLinkRow): Promise<void> {
  await db.insert(portalLinks).values(row);
}

export async function findPortalLinkByHash(db: Db, tokenHash: string): Promise<PortalLinkRow | undefined> {
  return db.select().from(portalLinks).where(eq(portalLinks.tokenHash, tokenHash)).get();
}

export async function getPortalLink(db: Db, id: string): Promise<PortalLinkRow | undefined> {
  return db.select().from(portalLinks).where(eq(portalLinks.id, id)).get();
}

export async function listPortalLinks(
  db: Db,
  opts: { ownerId?: string; beforeId?: string; limit: number },
): Promise<PortalLinkRow[]> {
  const filters = [];
  if (opts.ownerId) filters.push(eq(portalLinks.ownerId, opts.ownerId));
  if (opts.beforeId) filters.push(lt(portalLinks.id, opts.beforeId));
  return db
    .select()
    .from(portalLinks)
    .where(and(...filters))
    .orderBy(desc(portalLinks.id))
    .limit(opts.limit)
    .all();
}

/** Revokes once: the first revocation time is kept (a second DELETE changes nothing). */
export async function revokePortalLink(db: Db, id: string, at: number): Promise<void> {
  await db
    .update(portalLinks)
    .set({ revokedAt: at })
    .where(and(eq(portalLinks.id, id), isNull(portalLinks.revokedAt)));
}

/**
 * Drops one owner's links that stopped working before `before` (expired). Called when the owner gets a new
 * link, so the table stays bounded by how many links are made per retention window without a cron step.
 */
export async function pruneExpiredPortalLinks(db: Db, ownerId: string, before: number): Promise<void> {
  await db.delete(portalLinks).where(and(eq(portalLinks.ownerId, ownerId), lt(portalLinks.expiresAt, before)));
}
