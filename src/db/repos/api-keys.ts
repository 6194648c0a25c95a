// API keys: only SHA-256 hashes are stored; the key itself is shown once at creation.
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../client";
import { apiKeys } from "../schema";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export async function insertApiKey(db: Db, row: ApiKeyRow): Promise<void> {
  await db.insert(apiKeys).values(row);
}

export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | undefined> {
  return db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).get();
}

export async function getApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  return db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
}

export async function listApiKeys(
  db: Db,
  opts: { ownerId?: string; beforeId?: string; limit: number },
): Promise<ApiKeyRow[]> {
  const filters = [];
  if (opts.ownerId) filters.push(eq(apiKeys.ownerId, opts.ownerId));
  if (opts.beforeId) filters.push(lt(apiKeys.id, opts.beforeId));
  return db
    .select()
    .from(apiKeys)
    .where(and(...filters))
    .orderBy(desc(apiKeys.id))
    .limit(opts.limit)
    .all();
}

export async function deleteApiKey(db: Db, id: string): Promise<void> {
  await db.delete(apiKeys).where(eq(apiKeys.id, id));
}
