// Helpers for ingest/fanout tests inside workerd: endpoints and subscriptions through the real API, the events
// consumer driven through the Worker's own queue handler, reads of history (log shards) and bounded polling.
import { createExecutionContext, createMessageBatch, getQueueResult, type QueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { EventsQueueMessage } from "../../src/delivery/contracts";
import { findDeliveryViews, listEndpointDeliveries } from "../../src/delivery/delivery-views";
import type { Env } from "../../src/env";
import { deliveryId, newEventId } from "../../src/domain/ids";
import { findEvent, findOwnerEvents, listEvents } from "../../src/history/event-history";
import type { DeliveryRecord, EventRecord, EventSummaryRecord } from "../../src/history/records";
import worker from "../../src/index";
import { pollUntil } from "../support/poll";
import { call } from "./helpers";

export const testEnv = env as unknown as Env;

export async function createEndpoint(owner: string, url = "http://127.0.0.1:9/hook"): Promise<string> {
  const res = await call("POST", "/v1/endpoints", { body: { url, owner_id: owner } });
  if (res.status !== 201) throw new Error(`create endpoint failed: ${res.text}`);
  return res.json.id as string;
}

export async function subscribe(endpointId: string, eventTypes: string[]): Promise<string> {
  const res = await call("POST", "/v1/subscriptions", { body: { endpoint_id: endpointId, event_types: eventTypes } });
  if (res.status !== 201) throw new Error(`subscribe failed: ${res.text}`);
  return res.json.id as string;
}

export function eventMessage(owner: string, eventType: string, payload: unknown, id = newEventId(owner)): Extract<EventsQueueMessage, { kind: "event" }> {
  const json = JSON.stringify(payload);
  return {
    kind: "event",
    id,
    owner_id: owner,
    event_type: eventType,
    payload: json,
    payload_size: new TextEncoder().encode(json).byteLength,
    accepted_at: Date.now(),
    source_id: null,
    idempotency_key: null,
  };
}

let messageSeq = 0;

/** Runs the events consumer on `bodies` through the Worker's queue handler; returns what it acked and retried. */
export async function runQueue(
  queue: string,
  bodies: unknown[],
  runEnv: Env = testEnv,
  /** Fix the queue's message ids and send time, as a redelivery of the same messages would have them. */
  same?: { ids: string[]; sentAt: Date },
): Promise<QueueResult & { ids: string[] }> {
  const sentAt = same?.sentAt ?? new Date();
  const messages = bodies.map((body, i) => ({ id: same?.ids[i] ?? `msg-${++messageSeq}`, timestamp: sentAt, attempts: 1, body }));
  const batch = createMessageBatch(queue, messages);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, runEnv, ctx);
  return { ...(await getQueueResult(batch, ctx)), ids: messages.map((m) => m.id) };
}

export const runEvents = (bodies: unknown[], runEnv?: Env) => runQueue("hookrelay-events", bodies, runEnv);

/** An event as history holds it: found through its id's owner tag, or in `ownerId`'s shards when given. */
export async function storedEvent(eventId: string, ownerId?: string): Promise<EventRecord | undefined> {
  if (ownerId !== undefined) return (await findOwnerEvents(testEnv, ownerId, [eventId])).get(eventId);
  return findEvent(testEnv, eventId);
}

/** Every event of an owner in history, newest first (all its day shards). */
export async function ownerEvents(ownerId: string): Promise<EventSummaryRecord[]> {
  return listEvents(testEnv, { ownerId, want: 100_000 });
}

/**
 * The deliveries an event has (in flight in their EndpointDOs or finished in history), by endpoint id: every
 * endpoint it was routed to and every endpoint its owner has now (a replay creates deliveries beyond its first
 * routing) is asked. A routed endpoint that has not been handed its delivery yet has none.
 */
export async function deliveriesOf(eventId: string): Promise<{ id: string; endpoint_id: string; status: string }[]> {
  const event = await storedEvent(eventId);
  if (!event) return [];
  const { results } = await env.DB.prepare("SELECT id FROM endpoints WHERE owner_id = ?").bind(event.owner_id).all<{ id: string }>();
  const endpointIds = new Set([...(event.endpoints ?? []), ...results.map((r) => r.id)]);
  const ids = await Promise.all([...endpointIds].map((endpointId) => deliveryId(eventId, endpointId)));
  const views = await findDeliveryViews(testEnv, ids);
  return [...views.values()]
    .map((d) => ({ id: d.id, endpoint_id: d.endpoint_id, status: d.status }))
    .sort((a, b) => (a.endpoint_id < b.endpoint_id ? -1 : a.endpoint_id > b.endpoint_id ? 1 : 0));
}

/** One endpoint's deliveries (in flight and finished), newest first. */
export async function endpointDeliveries(endpointId: string): Promise<DeliveryRecord[]> {
  return listEndpointDeliveries(testEnv, { endpointId, want: 100_000 });
}

/** Counts rows of the D1 tables that remain (metadata: endpoints, subscriptions, dead letters, directory). */
export async function countRows(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql).bind(...params).first<{ n: number }>();
  return row?.n ?? 0;
}

/** Polls until `check` returns a truthy value (bounded: never longer than timeoutMs). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  return pollUntil(check, timeoutMs, 100);
}
