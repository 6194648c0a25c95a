// The events-queue consumer: stores a batch of events in D1, matches them to endpoints, creates their
// deliveries (pending, or held for disabled endpoints) and hands each endpoint its work with one RPC.
// Every step is idempotent, so a message processed twice (queues deliver at least once) changes nothing.
import { getDb, type Db } from "../db/client";
import { insertDeliveriesIgnoringDuplicates, selectDeliveryProgress, type DeliveryProgress, type NewDelivery } from "../db/repos/deliveries-write";
import { getEventsByIds, insertEventsIgnoringDuplicates, type NewEventRow } from "../db/repos/events";
import { deleteLargePayloadsStatements, loadLargePayloads } from "../db/repos/large-payloads";
import { loadEndpointStatuses } from "../db/repos/routing";
import type { DeliveryWork, EventsQueueMessage } from "../delivery/contracts";
import { matchEndpoints, type RoutedEndpoint } from "../domain/event-matching";
import { derivedId } from "../domain/ids";
import type { Env } from "../env";
import { sharedCache, type SharedCache } from "../cache/cache";
import { packSendBatches, messageBytes } from "../ingest/queue-messages";
import { handOver } from "./handoff";
import { DEFAULT_FANOUT_LIMITS, planFanout, type FanoutCandidate, type FanoutLimits } from "./plan";
import { routingFor } from "./router";

type EventMessage = Extract<EventsQueueMessage, { kind: "event" }>;
type SliceMessage = Extract<EventsQueueMessage, { kind: "fanout" }>;

/** An event ready to fan out: its payload in hand and the endpoints it goes to. */
interface FanoutEvent {
  message: number;
  id: string;
  ownerId: string;
  eventType: string;
  payload: string;
  acceptedAt: number;
  targets: RoutedEndpoint[];
  /** The D1 row to store, for events arriving for the first time (not for slices of stored events). */
  row?: NewEventRow;
}

function isEventMessage(body: unknown): body is EventMessage {
  const b = body as EventMessage | null;
  return (
    typeof b === "object" && b !== null && b.kind === "event" && typeof b.id === "string" && typeof b.owner_id === "string" &&
    typeof b.event_type === "string" && (typeof b.payload === "string" || b.payload === null) && typeof b.accepted_at === "number"
  );
}

function isSliceMessage(body: unknown): body is SliceMessage {
  const b = body as SliceMessage | null;
  return typeof b === "object" && b !== null && b.kind === "fanout" && typeof b.event_id === "string" && Array.isArray(b.endpoint_ids);
}

function log(msg: string, fields: Record<string, unknown>) {
  console.error(JSON.stringify({ level: "error", msg, ...fields }));
}

/** Payloads that travelled by reference: from large_payloads, or from the event row if a previous run stored it. */
async function resolvePayloads(db: Db, messages: EventMessage[]): Promise<Map<string, string>> {
  const missing = messages.filter((m) => m.payload === null).map((m) => m.id);
  if (missing.length === 0) return new Map();
  const found = await loadLargePayloads(db, missing);
  const stillMissing = missing.filter((id) => !found.has(id));
  if (stillMissing.length > 0) {
    for (const [id, row] of await getEventsByIds(db, stillMissing)) found.set(id, row.payload);
  }
  return found;
}

/**
 * Test events (POST /v1/endpoints/{id}/test) skip subscriptions and filters: their one target is the named
 * endpoint, only while it exists and belongs to the event's owner. One D1 read, and only when a batch has any.
 */
async function testEventTargets(db: Db, bodies: EventMessage[]): Promise<Map<string, RoutedEndpoint[]>> {
  const tests = bodies.filter((b) => typeof b.only_endpoint_id === "string");
  const out = new Map<string, RoutedEndpoint[]>();
  if (tests.length === 0) return out;
  const endpoints = await loadEndpointStatuses(db, [...new Set(tests.map((b) => b.only_endpoint_id!))]);
  for (const body of tests) {
    const endpoint = endpoints.get(body.only_endpoint_id!);
    out.set(body.id, endpoint && endpoint.ownerId === body.owner_id ? [{ endpointId: endpoint.id, status: endpoint.status }] : []);
  }
  return out;
}

/** Events from `kind: "event"` messages, routed through the subscription cache. */
async function routeNewEvents(db: Db, messages: { index: number; body: EventMessage }[], retry: Set<number>, shared: SharedCache): Promise<FanoutEvent[]> {
  const payloads = await resolvePayloads(db, messages.map((m) => m.body));
  const routing = await routingFor(db, messages.map((m) => m.body.owner_id), shared);
  const testTargets = await testEventTargets(db, messages.map((m) => m.body));
  const out: FanoutEvent[] = [];
  for (const { index, body } of messages) {
    const payload = body.payload ?? payloads.get(body.id);
    if (payload === undefined) {
      // Its large payload is not readable (yet): retrying ends in the dead-letter queue if it never is.
      log("event payload missing", { event_id: body.id });
      retry.add(index);
      continue;
    }
    out.push({
      message: index,
      id: body.id,
      ownerId: body.owner_id,
      eventType: body.event_type,
      payload,
      acceptedAt: body.accepted_at,
      // `.filteredOut` (subscriptions whose filter refused the event) is left for the event record (issue 16).
      targets:
        body.only_endpoint_id === undefined
          ? matchEndpoints(routing.get(body.owner_id)!, { eventType: body.event_type, ownerId: body.owner_id, payload }).targets
          : (testTargets.get(body.id) ?? []),
      row: {
        id: body.id,
        ownerId: body.owner_id,
        eventType: body.event_type,
        payload,
        payloadSize: body.payload_size,
        sourceId: body.source_id ?? null,
        idempotencyKey: body.idempotency_key ?? null,
        acceptedAt: body.accepted_at,
      },
    });
  }
  return out;
}

/** Events from `kind: "fanout"` slices (split-off large fanouts, replays): stored events, explicit endpoints. */
async function routeSlices(db: Db, messages: { index: number; body: SliceMessage }[]): Promise<FanoutEvent[]> {
  if (messages.length === 0) return [];
  const stored = await getEventsByIds(db, messages.map((m) => m.body.event_id));
  const endpoints = await loadEndpointStatuses(db, [...new Set(messages.flatMap((m) => m.body.endpoint_ids))]);
  const out: FanoutEvent[] = [];
  for (const { index, body } of messages) {
    const event = stored.get(body.event_id);
    if (!event) {
      // Pruned by retention (or never stored): there is nothing left to deliver.
      log("fanout slice for unknown event", { event_id: body.event_id });
      continue;
    }
    const targets = body.endpoint_ids
      .map((id) => endpoints.get(id))
      // Deleted endpoints get nothing, and an endpoint of another owner never receives this owner's event.
      .filter((e) => e !== undefined && e.ownerId === event.ownerId)
      .map((e) => ({ endpointId: e!.id, status: e!.status }));
    out.push({ message: index, id: event.id, ownerId: event.ownerId, eventType: event.eventType, payload: event.payload, acceptedAt: event.acceptedAt, targets });
  }
  return out;
}

interface SortedBatch {
  events: { index: number; body: EventMessage }[];
  slices: { index: number; body: SliceMessage }[];
  /** Messages to retry whatever happens (malformed, payload not readable, slices not sent, handoff failed). */
  retry: Set<number>;
  /** A repeat of an event already in this batch → the message carrying it first; the repeat shares its fate. */
  twinOf: Map<number, number>;
}

function sortMessages(batch: MessageBatch<unknown>): SortedBatch {
  const sorted: SortedBatch = { events: [], slices: [], retry: new Set(), twinOf: new Map() };
  const firstCarrier = new Map<string, number>();
  batch.messages.forEach((message, index) => {
    const body = message.body;
    if (isEventMessage(body)) {
      const twin = firstCarrier.get(body.id);
      if (twin !== undefined) sorted.twinOf.set(index, twin);
      else {
        firstCarrier.set(body.id, index);
        sorted.events.push({ index, body });
      }
    } else if (isSliceMessage(body)) {
      sorted.slices.push({ index, body });
    } else {
      // Retried, never dropped: after max_retries it lands in the dead-letter queue, visible and redrivable.
      log("malformed events-queue message", { message_id: message.id });
      sorted.retry.add(index);
    }
  });
  return sorted;
}

/** A delivery planned for this invocation, with what is needed to hand it over. */
interface PlannedDelivery {
  message: number;
  row: NewDelivery;
  payload: string;
}

async function planDeliveries(events: FanoutEvent[], limits: FanoutLimits) {
  const targets = new Map<string, { event: FanoutEvent; target: RoutedEndpoint }>();
  const key = (eventId: string, endpointId: string) => `${eventId}\u0000${endpointId}`;
  const candidates: FanoutCandidate[] = events.map((event) => {
    for (const target of event.targets) targets.set(key(event.id, target.endpointId), { event, target });
    return { message: event.message, eventId: event.id, endpointIds: event.targets.map((t) => t.endpointId) };
  });
  const plan = planFanout(candidates, limits);
  const now: PlannedDelivery[] = await Promise.all(
    plan.now.map(async ({ message, eventId, endpointId }) => {
      const { event, target } = targets.get(key(eventId, endpointId))!;
      return {
        message,
        payload: event.payload,
        row: {
          // Derived from (event, endpoint): a re-run computes the same id and INSERT OR IGNORE keeps one row.
          id: await derivedId("dlv", eventId, endpointId),
          eventId,
          endpointId,
          ownerId: event.ownerId,
          eventType: event.eventType,
          status: target.status === "active" ? "pending" : "held",
          eventAcceptedAt: event.acceptedAt,
        },
      };
    }),
  );
  return { now, later: plan.later };
}

/**
 * One D1 batch (one transaction): new events, planned deliveries, the cleanup of payloads that travelled by
 * reference, and a read-back of every planned delivery's state — so a re-run hands over only deliveries
 * that are still pending, with their true attempt counts.
 */
async function storeBatch(db: Db, events: NewEventRow[], planned: PlannedDelivery[], byReference: string[], now: number) {
  const writes = [...insertEventsIgnoringDuplicates(db, events, now), ...insertDeliveriesIgnoringDuplicates(db, planned.map((p) => p.row), now)];
  const reads = selectDeliveryProgress(db, planned.map((p) => p.row.id));
  const cleanup = deleteLargePayloadsStatements(db, byReference);
  const statements = [...writes, ...reads, ...cleanup];
  const progress = new Map<string, DeliveryProgress>();
  if (statements.length === 0) return progress;
  const results = (await db.batch(statements as [(typeof statements)[number], ...typeof statements])) as unknown[];
  for (const rows of results.slice(writes.length, writes.length + reads.length) as DeliveryProgress[][]) {
    for (const row of rows) progress.set(row.id, row);
  }
  return progress;
}

/** Groups pending deliveries by endpoint (one RPC each) and records which messages depend on which endpoint. */
function collectWork(planned: PlannedDelivery[], progress: Map<string, DeliveryProgress>) {
  const workByEndpoint = new Map<string, DeliveryWork[]>();
  const endpointsOfMessage = new Map<number, Set<string>>();
  for (const { message, row, payload } of planned) {
    const state = progress.get(row.id);
    // Held deliveries are never attempted; settled or retrying ones already belong to their EndpointDO.
    if (state?.status !== "pending") continue;
    const list = workByEndpoint.get(row.endpointId) ?? [];
    list.push({
      delivery_id: row.id,
      event_id: row.eventId,
      endpoint_id: row.endpointId,
      owner_id: row.ownerId,
      event_type: row.eventType,
      payload,
      accepted_at: row.eventAcceptedAt,
      attempts: state.attempts,
      attempts_in_run: state.attemptsInRun,
    });
    workByEndpoint.set(row.endpointId, list);
    const endpoints = endpointsOfMessage.get(message) ?? new Set<string>();
    endpoints.add(row.endpointId);
    endpointsOfMessage.set(message, endpoints);
  }
  return { workByEndpoint, endpointsOfMessage };
}

export async function handleEventsBatch(batch: MessageBatch<unknown>, env: Env, limits: FanoutLimits = DEFAULT_FANOUT_LIMITS): Promise<void> {
  const db = getDb(env.DB);
  const now = Date.now();
  const sorted = sortMessages(batch);
  const fresh = await routeNewEvents(db, sorted.events, sorted.retry, sharedCache(env));
  const slices = await routeSlices(db, sorted.slices);
  const planned = await planDeliveries([...fresh, ...slices], limits);

  const byReference = sorted.events.filter((m) => m.body.payload === null && !sorted.retry.has(m.index)).map((m) => m.body.id);
  // A failure here throws before any ack: the platform redelivers the whole batch, and every write is idempotent.
  const progress = await storeBatch(db, fresh.map((e) => e.row!), planned.now, byReference, now);

  // Split-off parts of large fanouts go back to the queue before their message is acked.
  for (const message of await sendSlices(env, planned.later)) sorted.retry.add(message);

  const { workByEndpoint, endpointsOfMessage } = collectWork(planned.now, progress);
  const failedEndpoints = await handOver(env, workByEndpoint);
  batch.messages.forEach((message, index) => {
    // A repeated event is acked or retried with the message that carried it first, never acked alone.
    const carrier = sorted.twinOf.get(index) ?? index;
    const dependsOnFailed = [...(endpointsOfMessage.get(carrier) ?? [])].some((id) => failedEndpoints.has(id));
    if (sorted.retry.has(carrier) || dependsOnFailed) message.retry();
    else message.ack();
  });
}

/** Sends split-off fanout slices; returns the messages whose slices could not be sent. */
async function sendSlices(env: Env, later: { message: number; eventId: string; endpointIds: string[] }[]): Promise<Set<number>> {
  const failed = new Set<number>();
  if (later.length === 0) return failed;
  const outgoing = later.map((slice) => {
    const body: SliceMessage = { kind: "fanout", event_id: slice.eventId, endpoint_ids: slice.endpointIds };
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
