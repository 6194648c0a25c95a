// Helpers for ingest/fanout tests inside workerd: endpoints and subscriptions through the real API, the events
// consumer driven through the Worker's own queue handler, and bounded polling of D1.
import { createExecutionContext, createMessageBatch, getQueueResult, type QueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { EventsQueueMessage } from "../../src/delivery/contracts";
import type { Env } from "../../src/env";
import { newId } from "../../src/domain/ids";
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

export function eventMessage(owner: string, eventType: string, payload: unknown, id = newId("evt")): Extract<EventsQueueMessage, { kind: "event" }> {
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

export async function deliveriesOf(eventId: string): Promise<{ id: string; endpoint_id: string; status: string }[]> {
  const { results } = await env.DB.prepare("SELECT id, endpoint_id, status FROM deliveries WHERE event_id = ? ORDER BY endpoint_id")
    .bind(eventId)
    .all<{ id: string; endpoint_id: string; status: string }>();
  return results;
}

export async function countRows(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql).bind(...params).first<{ n: number }>();
  return row?.n ?? 0;
}

/** Polls until `check` returns a truthy value (bounded: never longer than timeoutMs). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  return pollUntil(check, timeoutMs, 100);
}
