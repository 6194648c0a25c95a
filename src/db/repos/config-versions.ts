// Per-owner config versions: bumped in the same batch as any write that changes routing or endpoint
// delivery config, read by caches (fanout routing, Redis) to drop stale entries.
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { configVersions } from "../schema";
import { idChunks } from "../id-chunks";

/** A statement to include in the same db.batch() as the write it accompanies. */
export function bumpConfigVersion(db: Db, ownerId: string) {
  return db
    .insert(configVersions)
    .values({ ownerId, version: 1 })
    .onConflictDoUpdate({ target: configVersions.ownerId, set: { version: sql`${configVersions.version} + 1` } });
}

export async function readConfigVersions(db: Db, ownerIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (ownerIds.length === 0) return out;
  for (const chunk of idChunks(ownerIds)) {
    const rows = await db
      .select()
      .from(configVersions)
      .where(inArray(configVersions.ownerId, chunk))
      .all();
    for (const row of rows) out.set(row.ownerId, row.version);
  }
  return out;
}
