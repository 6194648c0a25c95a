// Manual retries (single, event replay, batch): each delivery starts a new run of its endpoint's policy now
// (attempts_in_run = 0; the attempt number keeps counting) and goes back to its EndpointDO, its payload read
// from the event's history shard.
import type { Env } from "../env";
import { findEventsOfOwners } from "../history/event-history";
import type { DeliveryWork } from "./contracts";
import { findDeliveryViews } from "./delivery-views";
import { enqueueWork } from "./endpoint-client";

export interface RetryOutcome {
  /** Deliveries handed back to their endpoint's object. */
  retried: string[];
  /** Ids with no delivery (or whose event was pruned): nothing to retry. */
  missing: string[];
}

/**
 * Held deliveries are released by this; on a still-disabled endpoint the object records them `held` again.
 * An enqueue that fails is reported as thrown: the caller (an API request, a batch job) retries the call.
 */
export async function retryDeliveries(env: Env, deliveryIds: string[]): Promise<RetryOutcome> {
  const ids = [...new Set(deliveryIds)];
  const views = await findDeliveryViews(env, ids);
  const events = await findEventsOfOwners(env, [...views.values()].map((d) => ({ ownerId: d.owner_id, id: d.event_id })));

  const byEndpoint = new Map<string, DeliveryWork[]>();
  const retried: string[] = [];
  for (const id of ids) {
    const d = views.get(id);
    const event = d ? events.get(d.event_id) : undefined;
    if (!d || !event) continue;
    const work: DeliveryWork = {
      delivery_id: d.id,
      event_id: d.event_id,
      endpoint_id: d.endpoint_id,
      owner_id: d.owner_id,
      event_type: d.event_type,
      payload: event.payload,
      accepted_at: d.event_accepted_at,
      attempts: d.attempt_count,
      attempts_in_run: 0,
      manual: true,
    };
    byEndpoint.set(d.endpoint_id, [...(byEndpoint.get(d.endpoint_id) ?? []), work]);
    retried.push(id);
  }
  await Promise.all([...byEndpoint].map(([endpointId, work]) => enqueueWork(env, endpointId, work)));
  return { retried, missing: ids.filter((id) => !retried.includes(id)) };
}
