// The events-queue consumer: matches a batch of events to endpoints, appends the events to their owners'
// history shards (one RPC per shard), and hands each endpoint its deliveries with one RPC to its EndpointDO.
// Every step is idempotent, so a message processed twice (queues deliver at least once) changes nothing:
// history keeps one row per event, and deliveries of an event routed before are checked against history.
import { loadEndpointStatuses } from "../db/repos/routing";
import { getDb } from "../db/client";
import type { DeliveryWork } from "../delivery/contracts";
import { matchEndpoints, type RoutedEndpoint } from "../domain/event-matching";
import { deliveryId } from "../domain/ids";
import type { Env } from "../env";
import { sharedCache } from "../cache/cache";
import { findEventsOfOwners, rememberOwners, writeEvents } from "../history/event-history";
import type { EventRecord } from "../history/records";
import { packSendBatches, messageBytes, type EventMessage } from "../ingest/queue-messages";
import { handOver } from "./handoff";
import { DEFAULT_FANOUT_LIMITS, planFanout, type FanoutCandidate, type FanoutLimits } from "./plan";
import { routingFor } from "./router";
import { overBudget, resend } from "./defer";
import { sortMessages, type SliceMessage } from "./unpack";

/** An event ready to fan out: its record in hand and the endpoints it goes to. */
interface FanoutEvent {
  message: number;
  record: EventRecord;
  targets: RoutedEndpoint[];
  /** Routed before (a redelivery, or a slice of a stored event): its deliveries may exist already. */
  maybeSeen: boolean;
}

function log(msg: string, fields: Record<string, unknown>) {
  console.error(JSON.stringify({ level: "error", msg, ...fields }));
}

/**
 * Test events (POST /v1/endpoints/{id}/test) skip subscriptions and filters: their one target is the named
 * endpoint, only while it exists and belongs to the event's owner. One D1 read, and only when a batch has any.
 */
async function testEventTargets(env: Env, bodies: EventMessage[]): Promise<Map<string, RoutedEndpoint[]>> {
  const tests = bodies.filter((b) => typeof b.only_endpoint_id === "string");
  const out = new Map<string, RoutedEndpoint[]>();
  if (tests.length === 0) return out;
  const endpoints = await loadEndpointStatuses(getDb(env.DB), [...new Set(tests.map((b) => b.only_endpoint_id!))]);
  for (const body of tests) {
    const endpoint = endpoints.get(body.only_endpoint_id!);
    out.set(body.id, endpoint && endpoint.ownerId === body.owner_id ? [{ endpointId: endpoint.id, status: endpoint.status }] : []);
  }
  return out;
}

/** Events from `kind: "event"` and packed `kind: "events"` messages, routed through the subscription cache (and their filters). */
async function routeNewEvents(env: Env, messages: { index: number; body: EventMessage }[], retry: Set<number>): Promise<FanoutEvent[]> {
  const byReference = messages.filter((m) => m.body.payload === null).map((m) => ({ ownerId: m.body.owner_id, id: m.body.id }));
  const stored = byReference.length ? await findEventsOfOwners(env, byReference) : new Map<string, EventRecord>();
  const routing = await routingFor(getDb(env.DB), messages.map((m) => m.body.owner_id), sharedCache(env));
  const testTargets = await testEventTargets(env, messages.map((m) => m.body));
  const out: FanoutEvent[] = [];
  for (const { index, body } of messages) {
    const payload = body.payload ?? stored.get(body.id)?.payload;
    if (payload === undefined) {
      // Its large payload is not readable (yet): retrying ends in the dead-letter queue if it never is.
      log("event payload missing", { event_id: body.id });
      retry.add(index);
      continue;
    }
    const match =
      body.only_endpoint_id === undefined
        ? matchEndpoints(routing.get(body.owner_id)!, { eventType: body.event_type, ownerId: body.owner_id, payload })
        : { targets: testTargets.get(body.id) ?? [], filteredOut: 0 };
    const targets = match.targets;
    out.push({
      message: index,
      targets,
      maybeSeen: false,
      record: {
        id: body.id,
        owner_id: body.owner_id,
        event_type: body.event_type,
        payload,
        payload_size: body.payload_size,
        source_id: body.source_id ?? null,
        idempotency_key: body.idempotency_key ?? null,
        accepted_at: body.accepted_at,
        endpoints: targets.map((t) => t.endpointId),
        filtered_out: match.filteredOut,
      },
    });
  }
  return out;
}

/** Events from `kind: "fanout"` slices (split-off large fanouts, replays): stored events, explicit endpoints. */
async function routeSlices(env: Env, messages: { index: number; body: SliceMessage }[]): Promise<FanoutEvent[]> {
  if (messages.length === 0) return [];
  const stored = await findEventsOfOwners(env, messages.map((m) => ({ ownerId: m.body.owner_id, id: m.body.event_id })));
  const endpoints = await loadEndpointStatuses(getDb(env.DB), [...new Set(messages.flatMap((m) => m.body.endpoint_ids))]);
  const out: FanoutEvent[] = [];
  for (const { index, body } of messages) {
    const record = stored.get(body.event_id);
    if (!record) {
      // Pruned by retention (or never stored): there is nothing left to deliver.
      log("fanout slice for unknown event", { event_id: body.event_id });
      continue;
    }
    const targets = body.endpoint_ids
      .map((id) => endpoints.get(id))
      // Deleted endpoints get nothing, and an endpoint of another owner never receives this owner's event.
      .filter((e) => e !== undefined && e.ownerId === record.owner_id)
      .map((e) => ({ endpointId: e!.id, status: e!.status }));
    out.push({ message: index, record, targets, maybeSeen: true });
  }
  return out;
}

/** The deliveries planned for this invocation, grouped by endpoint, and which messages depend on which endpoint. */
async function planWork(events: FanoutEvent[], limits: FanoutLimits) {
  const byKey = new Map<string, { event: FanoutEvent; target: RoutedEndpoint }>();
  const key = (eventId: string, endpointId: string) => `${eventId}\u0000${endpointId}`;
  const candidates: FanoutCandidate[] = events.map((event) => {
    for (const target of event.targets) byKey.set(key(event.record.id, target.endpointId), { event, target });
    return { message: event.message, eventId: event.record.id, endpointIds: event.targets.map((t) => t.endpointId) };
  });
  const plan = planFanout(candidates, limits);
  const workByEndpoint = new Map<string, DeliveryWork[]>();
  const endpointsOfMessage = new Map<number, Set<string>>();
  for (const { message, eventId, endpointId } of plan.now) {
    const { event, target } = byKey.get(key(eventId, endpointId))!;
    const work: DeliveryWork = {
      delivery_id: await deliveryId(eventId, endpointId),
      event_id: eventId,
      endpoint_id: endpointId,
      owner_id: event.record.owner_id,
      event_type: event.record.event_type,
      payload: event.record.payload,
      accepted_at: event.record.accepted_at,
      attempts: 0,
      attempts_in_run: 0,
      ...(target.status === "active" ? {} : { held: true }),
      ...(event.maybeSeen ? { maybe_seen: true } : {}),
    };
    const works = workByEndpoint.get(endpointId);
    if (works) works.push(work);
    else workByEndpoint.set(endpointId, [work]);
    endpointsOfMessage.set(message, (endpointsOfMessage.get(message) ?? new Set()).add(endpointId));
  }
  const ownerOf = new Map(events.map((e) => [e.record.id, e.record.owner_id]));
  return { workByEndpoint, endpointsOfMessage, later: plan.later.map((l) => ({ ...l, ownerId: ownerOf.get(l.eventId)! })) };
}

export async function handleEventsBatch(batch: MessageBatch<unknown>, env: Env, limits: FanoutLimits = DEFAULT_FANOUT_LIMITS): Promise<void> {
  const sorted = sortMessages(batch);
  const routed = await routeNewEvents(env, sorted.events, sorted.retry);
  // Packed messages past this invocation's budget go back to the queue whole (defer.ts), before any write.
  const deferred = overBudget(routed, sorted.packed, limits);
  for (const index of sorted.retry) deferred.delete(index);
  const fresh = routed.filter((e) => !deferred.has(e.message));
  for (const index of await resend(env, new Map([...deferred].map((i) => [i, batch.messages[i]!.body])))) sorted.retry.add(index);
  const slices = await routeSlices(env, sorted.slices);

  // A failure here throws before any ack: the platform redelivers the whole batch, and every write is idempotent.
  await rememberOwners(env, fresh.map((e) => e.record.owner_id));
  const seen = await writeEvents(env, fresh.map((e) => e.record));
  for (const event of fresh) event.maybeSeen = seen.has(event.record.id);

  const { workByEndpoint, endpointsOfMessage, later } = await planWork([...fresh, ...slices], limits);
  // Split-off parts of large fanouts go back to the queue before their message is acked.
  for (const message of await sendSlices(env, later)) sorted.retry.add(message);

  const failedEndpoints = await handOver(env, workByEndpoint);
  const mustRetry = (index: number) =>
    sorted.retry.has(index) || [...(endpointsOfMessage.get(index) ?? [])].some((id) => failedEndpoints.has(id));
  batch.messages.forEach((message, index) => {
    // Per message: a packed message is retried whole when any of its events must be (the others come back
    // maybe_seen and change nothing), and a repeated event is acked only with the message that carried it first.
    const carriers = [index, ...(sorted.twinOf.get(index) ?? [])];
    if (carriers.some(mustRetry)) message.retry();
    else message.ack();
  });
}

/** Sends split-off fanout slices; returns the messages whose slices could not be sent. */
async function sendSlices(env: Env, later: { message: number; eventId: string; ownerId: string; endpointIds: string[] }[]): Promise<Set<number>> {
  const failed = new Set<number>();
  if (later.length === 0) return failed;
  const outgoing = later.map((slice) => {
    const body: SliceMessage = { kind: "fanout", event_id: slice.eventId, owner_id: slice.ownerId, endpoint_ids: slice.endpointIds };
    return { body, bytes: messageBytes(body), message: slice.message };
  });
  await Promise.all(
    packSendBatches(outgoing).map(async (group) => {
      try {
        await env.EVENTS_QUEUE.sendBatch(group.map((m) => ({ body: m.body, contentType: "json" as const })));
      } catch (err) {
        log("fanout slice send failed", { error: String(err) });
        for (const m of group) failed.add(m.message);
      }
    }),
  );
  return failed;
}
