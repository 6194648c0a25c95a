// Fixtures for delivery tests inside workerd: endpoint rows written straight to D1 and events straight to history (so these
// tests do not depend on the endpoints or ingest routes), and a client for the real Node receiver
// started by receiver-global-setup.ts.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { getDb } from "../../src/db/client";
import { endpoints } from "../../src/db/schema";
import type { DeliveryWork } from "../../src/delivery/contracts";
import { findDeliveryViews } from "../../src/delivery/delivery-views";
import { encryptSecret } from "../../src/domain/crypto";
import { deliveryId, newEventId, newId } from "../../src/domain/ids";
import type { Env } from "../../src/env";
import { writeEvents } from "../../src/history/event-history";
import type { EventRecord } from "../../src/history/records";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../../src/domain/schemas";
import { pollUntil } from "../support/poll";

const testEnv = env as unknown as { TEST_RECEIVER_URL: string; ENCRYPTION_KEY: string };
const RECEIVER = testEnv.TEST_RECEIVER_URL;
export const db = getDb(env.DB);

export interface Scripted {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delay_ms?: number;
  stall_body_ms?: number;
  /** Stream a body of this many bytes as fast as the client reads it. */
  flood_bytes?: number;
}

export interface Received {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export function uniqueKey(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}`;
}

export function receiverUrl(key: string): string {
  return `${RECEIVER}/${key}`;
}

/** Scripts the receiver's answers for `key` in order; the last one repeats. */
export async function script(key: string, responses: Scripted[]): Promise<void> {
  const res = await fetch(`${RECEIVER}/__script/${key}`, { method: "PUT", body: JSON.stringify({ responses }) });
  if (res.status !== 204) throw new Error(`scripting the receiver failed: ${res.status}`);
}

/** What the receiver wrote for `key`'s flood_bytes answers before each connection closed. */
export async function flooded(key: string): Promise<Array<{ written: number; finished: boolean; cutOff: boolean }>> {
  const res = await fetch(`${RECEIVER}/__flooded/${key}`);
  return (await res.json()) as Array<{ written: number; finished: boolean; cutOff: boolean }>;
}

export async function received(key: string): Promise<Received[]> {
  const res = await fetch(`${RECEIVER}/__received/${key}`);
  return (await res.json()) as Received[];
}

export interface SeedEndpoint {
  ownerId?: string;
  url: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  rateLimit?: { requests: number; per_seconds: number } | null;
  maxInFlight?: number;
  auth?: unknown;
  secret?: string;
  previousSecret?: string;
  previousSecretExpiresAt?: number;
  status?: "active" | "disabled";
  kind?: "http" | "relay";
}

export const TEST_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

export async function seedEndpoint(opts: SeedEndpoint): Promise<{ id: string; ownerId: string; secret: string }> {
  const id = newId("ep");
  const now = Date.now();
  const secret = opts.secret ?? TEST_SECRET;
  const ownerId = opts.ownerId ?? "acme";
  await db.insert(endpoints).values({
    id,
    ownerId,
    kind: opts.kind ?? "http",
    url: opts.url,
    description: null,
    secretEnc: await encryptSecret(secret, testEnv.ENCRYPTION_KEY),
    previousSecretEnc: opts.previousSecret ? await encryptSecret(opts.previousSecret, testEnv.ENCRYPTION_KEY) : null,
    previousSecretExpiresAt: opts.previousSecretExpiresAt ?? null,
    timeoutMs: opts.timeoutMs ?? 5000,
    rateLimit: opts.rateLimit ? JSON.stringify(opts.rateLimit) : null,
    maxInFlight: opts.maxInFlight ?? 4,
    authEnc: opts.auth ? await encryptSecret(JSON.stringify(opts.auth), testEnv.ENCRYPTION_KEY) : null,
    retry: JSON.stringify(opts.retry ?? DEFAULT_RETRY_POLICY),
    metadata: "{}",
    status: opts.status ?? "active",
    createdAt: now,
    updatedAt: now,
  });
  return { id, ownerId, secret };
}

/** Stores an event routed to the endpoint in history and returns its delivery's work, to enqueue. */
export async function seedDelivery(
  endpoint: { id: string; ownerId: string },
  payload: unknown = { hello: "world" },
  eventType = "order.created",
): Promise<DeliveryWork> {
  const [work] = await seedEvents(endpoint, [{ payload, eventType }]);
  return work!;
}

/** Many deliveries at once (events stored in history in one write per shard), for throughput measurements. */
export async function seedDeliveries(endpoint: { id: string; ownerId: string }, count: number): Promise<DeliveryWork[]> {
  return seedEvents(endpoint, Array.from({ length: count }, (_, i) => ({ payload: { seq: i }, eventType: "bench.test" })));
}

async function seedEvents(endpoint: { id: string; ownerId: string }, items: { payload: unknown; eventType: string }[]): Promise<DeliveryWork[]> {
  const works: DeliveryWork[] = [];
  const records: EventRecord[] = [];
  for (const { payload, eventType } of items) {
    const now = Date.now();
    const eventId = newEventId(endpoint.ownerId, now);
    const body = JSON.stringify(payload);
    records.push({
      id: eventId, owner_id: endpoint.ownerId, event_type: eventType, payload: body, payload_size: body.length, source_id: null,
      idempotency_key: null, accepted_at: now, endpoints: [endpoint.id], filtered_out: 0,
    });
    works.push({
      delivery_id: await deliveryId(eventId, endpoint.id), event_id: eventId, endpoint_id: endpoint.id, owner_id: endpoint.ownerId,
      event_type: eventType, payload: body, accepted_at: now, attempts: 0, attempts_in_run: 0,
    });
  }
  await writeEvents(env as unknown as Env, records);
  return works;
}

/** A delivery as the API sees it (history merged with its EndpointDO), in the old row's field names. */
export async function deliveryRow(id: string) {
  const d = (await findDeliveryViews(env as unknown as Env, [id])).get(id);
  if (!d) return undefined;
  return {
    id: d.id, eventId: d.event_id, endpointId: d.endpoint_id, ownerId: d.owner_id, eventType: d.event_type, status: d.status,
    attempts: d.attempt_count, attemptsInRun: d.attempts_in_run, nextAttemptAt: d.next_attempt_at, lastStatusCode: d.last_status_code,
    lastError: d.last_error, lastDurationMs: d.last_duration_ms, eventAcceptedAt: d.event_accepted_at, createdAt: d.created_at,
    updatedAt: d.updated_at, completedAt: d.completed_at,
  };
}

export async function attemptRows(deliveryId: string) {
  const d = (await findDeliveryViews(env as unknown as Env, [deliveryId])).get(deliveryId);
  return (d?.attempts ?? []).map((a) => ({
    id: a.id, deliveryId, endpointId: d!.endpoint_id, attempt: a.attempt, startedAt: a.started_at, durationMs: a.duration_ms,
    statusCode: a.status_code, error: a.error, responseBody: a.response_body,
  }));
}

export async function endpointRow(id: string) {
  return db.select().from(endpoints).where(eq(endpoints.id, id)).get();
}

/** Polls until `check` returns a truthy value (bounded). */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, intervalMs = 50): Promise<T> {
  return pollUntil(check, timeoutMs, intervalMs);
}

export async function waitForStatus(deliveryId: string, status: string, timeoutMs = 15_000) {
  return waitFor(async () => {
    const row = await deliveryRow(deliveryId);
    return row?.status === status ? row : undefined;
  }, timeoutMs);
}
