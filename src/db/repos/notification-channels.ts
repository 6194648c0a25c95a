// Notification channels (email recipients or a Slack incoming webhook). The target is stored encrypted.
import { and, desc, eq, inArray, isNull, lt, or } from "drizzle-orm";
import type { Db } from "../client";
import { notificationChannels } from "../schema";
import { idChunks } from "../id-chunks";

export type ChannelRow = typeof notificationChannels.$inferSelect;

export async function insertChannel(db: Db, row: ChannelRow): Promise<void> {
  await db.insert(notificationChannels).values(row);
}

export async function getChannel(db: Db, id: string): Promise<ChannelRow | undefined> {
  return db.select().from(notificationChannels).where(eq(notificationChannels.id, id)).get();
}

/** Newest first. `ownerId` undefined lists every channel, global ones included (admin). */
export async function listChannels(
  db: Db,
  opts: { ownerId?: string; beforeId?: string; limit: number },
): Promise<ChannelRow[]> {
  const filters = [];
  if (opts.ownerId !== undefined) filters.push(eq(notificationChannels.ownerId, opts.ownerId));
  if (opts.beforeId) filters.push(lt(notificationChannels.id, opts.beforeId));
  return db
    .select()
    .from(notificationChannels)
    .where(and(...filters))
    .orderBy(desc(notificationChannels.id))
    .limit(opts.limit)
    .all();
}

/** The channels that hear about an owner's endpoints: the owner's own plus the global ones. */
export async function channelsForOwner(db: Db, ownerId: string): Promise<ChannelRow[]> {
  return db
    .select()
    .from(notificationChannels)
    .where(or(eq(notificationChannels.ownerId, ownerId), isNull(notificationChannels.ownerId)))
    .all();
}

export async function getChannelsByIds(db: Db, ids: string[]): Promise<ChannelRow[]> {
  const out: ChannelRow[] = [];
  for (const chunk of idChunks(ids)) {
    out.push(...(await db.select().from(notificationChannels).where(inArray(notificationChannels.id, chunk)).all()));
  }
  return out;
}

export async function deleteChannel(db: Db, id: string): Promise<void> {
  await db.delete(notificationChannels).where(eq(notificationChannels.id, id));
}
