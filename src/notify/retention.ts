// Retention: history older than RETENTION_DAYS goes a whole shard (one key's day) at a time — the shard's
// object deletes its storage, then its directory row goes — instead of deleting rows one by one. A day is
// dropped once all of it is past the cutoff, so data is gone at most one day after it expired.
import { getDb } from "../db/client";
import type { Env } from "../env";
import { forgetShard, shardsBefore } from "../history/directory";
import { logShard } from "../history/shard-client";
import { dayOf } from "../history/shards";

export interface PruneResult {
  shards: number;
  /** True when the run stopped at its budget with more left for the next run. */
  more: boolean;
}

const SHARDS_PER_RUN = 500;

/** Drops every shard of a day before the cutoff's day (all of such a day is older than the cutoff). */
export async function pruneOlderThan(env: Env, cutoffMs: number, maxShards = SHARDS_PER_RUN): Promise<PruneResult> {
  const db = getDb(env.DB);
  const expired = await shardsBefore(db, dayOf(cutoffMs), maxShards);
  let shards = 0;
  for (const ref of expired) {
    // Storage first: a crash in between leaves a directory row for an empty shard, dropped again next run.
    await logShard(env, ref).drop();
    await forgetShard(db, ref);
    shards++;
  }
  return { shards, more: expired.length === maxShards };
}
