// Fixtures for delivery tests inside workerd: endpoint/event/delivery rows written straight to D1 (so these
// tests do not depend on the endpoints or ingest routes), and a client for the real Node receiver
// started by receiver-global-setup.ts.
import { env } from "cloudflare:workers";
import { asc, eq } from "drizzle-orm";
import { getDb } from "../../src/db/client";
import { attempts, deliveries, endpoints, events } from "../../src/db/schema";
import type { DeliveryWork } from "../../src/delivery/contracts";
import { encryptSecret } from "../../src/domain/crypto";
import { derivedId, newId } from "../../src/domain/ids";
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

/** Inserts an event and its delivery to the endpoint (status pending) and returns the work to enqueue. */
export async function seedDelivery(
  endpoint: { id: string; ownerId: string },
  payload: unknown = { hello: "world" },
  eventType = "order.created",
): Promise<DeliveryWork> {
  const now = Date.now();
  const eventId = newId("evt", now);
  const deliveryId = await derivedId("dlv", eventId, endpoint.id);
  const body = JSON.stringify(payload);
  await db.batch([
    db.insert(events).values({
      id: eventId,
      ownerId: endpoint.ownerId,
      eventType,
      payload: body,
      payloadSize: body.length,
      sourceId: null,
      idempotencyKey: null,
      acceptedAt: now,
      createdAt: now,
    }),
    db.insert(deliveries).values({
      id: deliveryId,
      eventId,
      endpointId: endpoint.id,
      ownerId: endpoint.ownerId,
      eventType,
      status: "pending",
      eventAcceptedAt: now,
      createdAt: now,
      updatedAt: now,
    }),
  ]);
  return {
    delivery_id: deliveryId,
    event_id: eventId,
    endpoint_id: endpoint.id,
    owner_id: endpoint.ownerId,
    event_type: eventType,
    payload: body,
    accepted_at: now,
    attempts: 0,
    attempts_in_run: 0,
  };
}

/** Many deliveries at once (rows written in D1 batches), for throughput measurements. */
export async function seedDeliveries(endpoint: { id: string; ownerId: string }, count: number): Promise<DeliveryWork[]> {
  const works: DeliveryWork[] = [];
  const statements = [];
  for (let i = 0; i < count; i++) {
    const now = Date.now();
    const eventId = newId("evt", now);
    const deliveryId = await derivedId("dlv", eventId, endpoint.id);
    const body = JSON.stringify({ seq: i });
    statements.push(
      db.insert(events).values({ id: eventId, ownerId: endpoint.ownerId, eventType: "bench.test", payload: body, payloadSize: body.length, sourceId: null, idempotencyKey: null, acceptedAt: now, createdAt: now }),
      db.insert(deliveries).values({ id: deliveryId, eventId, endpointId: endpoint.id, ownerId: endpoint.ownerId, eventType: "bench.test", status: "pending", eventAcceptedAt: now, createdAt: now, updatedAt: now }),
    );
    works.push({ delivery_id: deliveryId, event_id: eventId, endpoint_id: endpoint.id, owner_id: endpoint.ownerId, event_type: "bench.test", payload: body, accepted_at: now, attempts: 0, attempts_in_run: 0 });
  }
  for (let i = 0; i < statements.length; i += 100) {
    const chunk = statements.slice(i, i + 100);
    await db.batch(chunk as [(typeof chunk)[number], ...(typeof chunk)[number][]]);
  }
  return works;
}

export async function deliveryRow(id: string) {
  return db.select().from(deliveries).where(eq(deliveries.id, id)).get();
}

export async function attemptRows(deliveryId: string) {
  return db.select().from(attempts).where(eq(attempts.deliveryId, deliveryId)).orderBy(asc(attempts.attempt)).all();
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
