// The cron's stuck-delivery sweep: deliveries that should be moving (pending/retrying) but have not for
// STUCK_DELIVERY_SECONDS go back to their EndpointDO. Enqueue is idempotent, so a sweep never duplicates.
import { loadConfig } from "../config";
import { getDb } from "../db/client";
import { findStuckDeliveryIds, loadDeliveryWork, touchSweptStatements } from "../db/repos/deliveries";
import type { Env } from "../env";
import type { DeliveryWork } from "./contracts";
import { enqueueWork } from "./endpoint-client";

/** Bounded per cron run; a larger backlog drains over the following minutes. */
const SWEEP_LIMIT = 500;

export async function sweepStuckDeliveries(env: Env, now: number = Date.now()): Promise<{ swept: number; failedEndpoints: number }> {
  const db = getDb(env.DB);
  const cutoff = now - loadConfig(env).stuckDeliverySeconds * 1000;
  const ids = await findStuckDeliveryIds(db, cutoff, SWEEP_LIMIT);
  if (ids.length === 0) return { swept: 0, failedEndpoints: 0 };
  const loaded = await loadDeliveryWork(db, ids);

  const byEndpoint = new Map<string, { ids: string[]; work: DeliveryWork[] }>();
  for (const { work } of loaded.values()) {
    const group = byEndpoint.get(work.endpoint_id) ?? { ids: [], work: [] };
    group.ids.push(work.delivery_id);
    group.work.push(work);
    byEndpoint.set(work.endpoint_id, group);
  }
  let failedEndpoints = 0;
  const handedBack: string[] = [];
  await Promise.all(
    [...byEndpoint].map(async ([endpointId, group]) => {
      try {
        await enqueueWork(env, endpointId, group.work);
        handedBack.push(...group.ids);
      } catch (err) {
        failedEndpoints++;
        console.error(JSON.stringify({ level: "error", msg: "stuck sweep: enqueue failed", endpoint_id: endpointId, error: String(err) }));
      }
    }),
  );
  // Touched only once handed back, so a failed hand-back is tried again on the next run.
  if (handedBack.length > 0) {
    const statements = touchSweptStatements(db, handedBack, now);
    await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  }
  return { swept: handedBack.length, failedEndpoints };
}
