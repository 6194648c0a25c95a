// The D1 directory of history shards: one row per shard (kind, key, day, part), written once when a shard
// first stores something. Lists read it to visit only the shards that exist, newest day first; retention
// reads it to drop whole days. Metadata: rows grow with keys × days, never with events or deliveries.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { historyShards } from "../db/schema";
import type { ShardKind, ShardRef } from "./shards";

export async function registerShard(db: Db, ref: ShardRef, now: number): Promise<void> {
  await db.insert(historyShards).values({ kind: ref.kind, key: ref.key, day: ref.day, part: ref.part, createdAt: now }).onConflictDoNothing();
}

/** The days a key has shards for, newest first, each with its parts; at most `maxDays` days, before `beforeDay`. */
export async function shardDays(db: Db, kind: ShardKind, key: string, opts: { beforeDay?: string; fromDay?: string; maxDays: number }): Promise<{ day: string; parts: number[] }[]> {
  const filters = [eq(historyShards.kind, kind), eq(historyShards.key, key)];
  if (opts.beforeDay !== undefined) filters.push(sql`${historyShards.day} <= ${opts.beforeDay}`);
  if (opts.fromDay !== undefined) filters.push(sql`${historyShards.day} >= ${opts.fromDay}`);
  const rows = await db
    .select({ day: historyShards.day, part: historyShards.part })
    .from(historyShards)
    .where(and(...filters))
    .orderBy(desc(historyShards.day), historyShards.part)
    .limit(opts.maxDays * 64)
    .all();
  const out: { day: string; parts: number[] }[] = [];
  for (const row of rows) {
    const last = out[out.length - 1];
    if (last?.day === row.day) last.parts.push(row.part);
    else if (out.length < opts.maxDays) out.push({ day: row.day, parts: [row.part] });
  }
  return out;
}

/** The parts one day of a key has (none: nothing was stored that day). */
export async function shardParts(db: Db, kind: ShardKind, key: string, day: string): Promise<number[]> {
  const rows = await db
    .select({ part: historyShards.part })
    .from(historyShards)
    .where(and(eq(historyShards.kind, kind), eq(historyShards.key, key), eq(historyShards.day, day)))
    .all();
  return rows.map((r) => r.part);
}

/** Shards of days before `day`, oldest first: what retention drops. */
export async function shardsBefore(db: Db, day: string, limit: number): Promise<ShardRef[]> {
  const rows = await db.select().from(historyShards).where(lt(historyShards.day, day)).orderBy(historyShards.day).limit(limit).all();
  return rows.map((r) => ({ kind: r.kind as ShardKind, key: r.key, day: r.day, part: r.part }));
}

export async function forgetShard(db: Db, ref: ShardRef): Promise<void> {
  await db
    .delete(historyShards)
    .where(and(eq(historyShards.kind, ref.kind), eq(historyShards.key, ref.key), eq(historyShards.day, ref.day), eq(historyShards.part, ref.part)));
}
