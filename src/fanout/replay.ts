// Event replay: deliver a stored event again to every endpoint that matches it now. Existing deliveries go
// through the manual retry path; endpoints without one get new deliveries through the normal fanout path.
import { getDb } from "../db/client";
import { listDeliveriesOfEvent, type EventRow } from "../db/repos/events";
import type { EventsQueueMessage } from "../delivery/contracts";
import { retryDeliveries } from "../delivery/manual-retry";
import { matchEndpoints } from "../domain/event-matching";
import type { Env } from "../env";
import { sharedCache } from "../cache/cache";
import { routingFor } from "./router";

const SLICE_SIZE = 100;

export async function replayEvent(env: Env, event: EventRow): Promise<{ retried: number; created: number }> {
  const db = getDb(env.DB);
  const routing = await routingFor(db, [event.ownerId], sharedCache(env));
  // Filters apply as in the fanout: a replay goes to the endpoints that would receive the event now.
  const { targets: matching } = matchEndpoints(routing.get(event.ownerId)!, { eventType: event.eventType, ownerId: event.ownerId, payload: event.payload });
  const existing = new Map((await listDeliveriesOfEvent(db, event.id)).map((d) => [d.endpointId, d.id]));

  const retry = matching.filter((e) => existing.has(e.endpointId)).map((e) => existing.get(e.endpointId)!);
  const create = matching.filter((e) => !existing.has(e.endpointId)).map((e) => e.endpointId);

  // New deliveries first: `fanout` slices are handled by the events consumer exactly like split-off fanouts.
  const slices: { body: EventsQueueMessage; contentType: "json" }[] = [];
  for (let i = 0; i < create.length; i += SLICE_SIZE) {
    slices.push({ body: { kind: "fanout", event_id: event.id, endpoint_ids: create.slice(i, i + SLICE_SIZE) }, contentType: "json" });
  }
  if (slices.length > 0) await env.EVENTS_QUEUE.sendBatch(slices);
  if (retry.length > 0) await retryDeliveries(env, retry);
  return { retried: retry.length, created: create.length };
}
