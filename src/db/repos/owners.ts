// The owners HookRelay knows: from ingest (the owners table) and from endpoints, keys and sources — for
// pickers such as the dashboard's owner selector. Read only; the owners table is written by history.
import { sql } from "drizzle-orm";
import type { Db } from "../client";

export interface OwnerSummary {
  owner_id: string;
  endpoints: number;
  created_at: number;
}

/** Owners in id order after `afterOwner`, each with its endpoint count and the earliest time it was seen. */
export async function listOwners(db: Db, afterOwner: string | undefined, limit: number): Promise<OwnerSummary[]> {
  const rows = await db.all<{ owner_id: string; endpoints: number; created_at: number }>(sql`
    WITH known(owner_id, created_at) AS (
      SELECT owner_id, created_at FROM owners
      UNION ALL SELECT owner_id, created_at FROM endpoints
      UNION ALL SELECT owner_id, created_at FROM api_keys
      UNION ALL SELECT owner_id, created_at FROM sources
    )
    SELECT k.owner_id, min(k.created_at) AS created_at,
      (SELECT count(*) FROM endpoints e WHERE e.owner_id = k.owner_id) AS endpoints
    FROM known k
    WHERE ${afterOwner === undefined ? sql`1 = 1` : sql`k.owner_id > ${afterOwner}`}
    GROUP BY k.owner_id ORDER BY k.owner_id LIMIT ${limit}`);
  return rows;
}
