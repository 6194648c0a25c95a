// Event replay: deliver a stored event again to every endpoint that matches it now. Existing deliveries go
// through the manual retry path; endpoints without one get new deliveries through the normal fanout path.
import { getDb } from "../db/client";
import { sharedCache } from "../cache/cache";
import type { EventsQueueMessage } from "../delivery/contracts";
import { findDeliveryViews } from "../delivery/delivery-views";
import { retryDeliveries } from "../delivery/manual-retry";
import { matchEndpoints } from "../domain/event-matching";
import { deliveryId } from "../domain/ids";
import type { Env } from "../env";
import { addEventEndpoints } from "../history/event-history";
import type { EventRecord } from "../history/records";
import { routingFor } from "./router";

const SLICE_SIZE = 100;

export async function replayEvent(env: Env, event: EventRecord): Promise<{ retried: number; created: number }> {
  const routing = await routingFor(getDb(env.DB), [event.owner_id], sharedCache(env));
  // Filters apply as in the fanout: a replay goes to the endpoints that would receive the event now.
  const { targets: matching } = matchEndpoints(routing.get(event.owner_id)!, { eventType: event.event_type, ownerId: event.owner_id, payload: event.payload });
  const ids = new Map(await Promise.all(matching.map(async (e) => [e.endpointId, await deliveryId(event.id, e.endpointId)] as const)));
  const existing = await findDeliveryViews(env, [...ids.values()]);

  const retry = matching.filter((e) => existing.has(ids.get(e.endpointId)!)).map((e) => ids.get(e.endpointId)!);
  const create = matching.filter((e) => !existing.has(ids.get(e.endpointId)!)).map((e) => e.endpointId);

  // New deliveries first: `fanout` slices are handled by the events consumer exactly like split-off fanouts.
  const slices: { body: EventsQueueMessage; contentType: "json" }[] = [];
  for (let i = 0; i < create.length; i += SLICE_SIZE) {
    slices.push({ body: { kind: "fanout", event_id: event.id, owner_id: event.owner_id, endpoint_ids: create.slice(i, i + SLICE_SIZE) }, contentType: "json" });
  }
  if (create.length > 0) await addEventEndpoints(env, event, create);
  if (slices.length > 0) await env.EVENTS_QUEUE.sendBatch(slices);
  if (retry.length > 0) await retryDeliveries(env, retry);
  return { retried: retry.length, created: create.length };
}
