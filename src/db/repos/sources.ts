// Sources: where events come from besides the REST API (an SNS subscription or a WebSocket token).
// WebSocket tokens are stored only as SHA-256 hashes; token_version counts rotations so old sockets can be cut.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { sources } from "../schema";

export type SourceRow = typeof sources.$inferSelect;
export type SourceType = SourceRow["type"];
export type SourceStatus = "pending_confirmation" | "confirmed" | "unsubscribed" | "active";

export async function insertSource(db: Db, row: SourceRow): Promise<void> {
  await db.insert(sources).values(row);
}

export async function getSource(db: Db, id: string): Promise<SourceRow | undefined> {
  return db.select().from(sources).where(eq(sources.id, id)).get();
}

/**
 * The source a WebSocket token belongs to. Ingest normally knows the source id from its URL and should
 * compare hashes with getSource() instead; this lookup scans (sources are few, and token_hash is unindexed).
 */
export async function findSourceByTokenHash(db: Db, tokenHash: string): Promise<SourceRow | undefined> {
  return db
    .select()
    .from(sources)
    .where(and(eq(sources.tokenHash, tokenHash), eq(sources.type, "websocket")))
    .get();
}

export async function listSources(
  db: Db,
  opts: { ownerId?: string; type?: SourceType; beforeId?: string; limit: number },
): Promise<SourceRow[]> {
  const filters = [];
  if (opts.ownerId) filters.push(eq(sources.ownerId, opts.ownerId));
  if (opts.type) filters.push(eq(sources.type, opts.type));
  if (opts.beforeId) filters.push(lt(sources.id, opts.beforeId));
  return db
    .select()
    .from(sources)
    .where(and(...filters))
    .orderBy(desc(sources.id))
    .limit(opts.limit)
    .all();
}

export async function updateSource(
  db: Db,
  id: string,
  changes: Partial<Pick<SourceRow, "name" | "eventType" | "eventTypeAttribute" | "topicArn">>,
  now = Date.now(),
): Promise<SourceRow | undefined> {
  const [row] = await db
    .update(sources)
    .set({ ...changes, updatedAt: now })
    .where(eq(sources.id, id))
    .returning();
  return row;
}

/** Replaces a WebSocket source's token hash and increments token_version in one statement. */
export async function rotateSourceToken(db: Db, id: string, tokenHash: string, now = Date.now()): Promise<SourceRow | undefined> {
  const [row] = await db
    .update(sources)
    .set({ tokenHash, tokenVersion: sql`${sources.tokenVersion} + 1`, updatedAt: now })
    .where(and(eq(sources.id, id), eq(sources.type, "websocket")))
    .returning();
  return row;
}

export async function deleteSource(db: Db, id: string): Promise<boolean> {
  const removed = await db.delete(sources).where(eq(sources.id, id)).returning({ id: sources.id });
  return removed.length > 0;
}
