// How the rest of the Worker reaches a history shard, and the paging they share: a newest-first page that
// visits a key's days newest first and, within a day, merges its parts by id.
import type { Env } from "../env";
import { shardName, type ShardRef } from "./shards";

export function logShard(env: Env, ref: ShardRef) {
  return env.LOG_SHARD.get(env.LOG_SHARD.idFromName(shardName(ref)));
}

/** Parts new shards are split into (HISTORY_SHARD_PARTS, default 1): set it above 1 for keys too hot for one object. */
export function configuredParts(env: Env): number {
  const n = Number(env.HISTORY_SHARD_PARTS ?? 1);
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : 1;
}

/** Days to look back at most, whatever the directory holds: one page costs at most this many directory days. */
export const MAX_DAYS_PER_PAGE = 62;

/**
 * Collects up to `want` rows newest first across days (disjoint id ranges, newest first) and, within a day,
 * across its parts (overlapping ranges, merged). Stops as soon as a day fills the page.
 */
export async function pageAcrossDays<Row extends { id: string }>(
  days: { day: string; parts: number[] }[],
  want: number,
  readPart: (day: string, part: number, want: number) => Promise<Row[]>,
): Promise<Row[]> {
  const out: Row[] = [];
  for (const { day, parts } of days) {
    const remaining = want - out.length;
    const rows = (await Promise.all(parts.map((part) => readPart(day, part, remaining)))).flat();
    rows.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    out.push(...rows.slice(0, remaining));
    if (out.length >= want) break;
  }
  return out;
}
