// Manual retries (single, event replay, batch): each delivery starts a new run of its endpoint's policy now
// (attempts_in_run = 0; the attempt number keeps counting) and goes back to its EndpointDO.
import { getDb } from "../db/client";
import { loadDeliveryWork, resetForRetryStatements } from "../db/repos/deliveries";
import type { Env } from "../env";
import type { DeliveryWork } from "./contracts";
import { enqueueWork } from "./endpoint-client";

export interface RetryOutcome {
  /** Deliveries reset and handed to their endpoint's object. */
  retried: string[];
  /** Ids with no delivery (or whose event was pruned): nothing to retry. */
  missing: string[];
}

/**
 * Resets the deliveries to `pending` in D1 first, then enqueues them. If an enqueue fails after the reset,
 * the stuck-delivery sweep hands the `pending` row to its object later, so a retry is never lost.
 * Held deliveries are released by this; on a still-disabled endpoint the object records them `held` again.
 */
export async function retryDeliveries(env: Env, deliveryIds: string[], now: number = Date.now()): Promise<RetryOutcome> {
  const ids = [...new Set(deliveryIds)];
  const db = getDb(env.DB);
  const loaded = await loadDeliveryWork(db, ids);
  const found = ids.filter((id) => loaded.has(id));
  const missing = ids.filter((id) => !loaded.has(id));
  if (found.length === 0) return { retried: [], missing };

  const statements = resetForRetryStatements(db, found, now);
  await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);

  const byEndpoint = new Map<string, DeliveryWork[]>();
  for (const id of found) {
    const { work } = loaded.get(id)!;
    const list = byEndpoint.get(work.endpoint_id) ?? [];
    list.push({ ...work, attempts_in_run: 0, manual: true });
    byEndpoint.set(work.endpoint_id, list);
  }
  const results = await Promise.allSettled([...byEndpoint].map(([endpointId, work]) => enqueueWork(env, endpointId, work)));
  for (const r of results) {
    if (r.status === "rejected") {
      console.error(JSON.stringify({ level: "error", msg: "manual retry: enqueue failed; the sweep will pick it up", error: String(r.reason) }));
    }
  }
  return { retried: found, missing };
}
