// /v1/deliveries — list and read deliveries (with their attempts) and retry one. Batch retry (/retry) and
// jobs live in their own modules.
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { getDb } from "../../db/client";
import { endpoints } from "../../db/schema";
import { findDeliveryViews, listDeliveriesOf, listEndpointDeliveries } from "../../delivery/delivery-views";
import { retryDeliveries } from "../../delivery/manual-retry";
import { deliveryId, isDeliveryId, isIdOf } from "../../domain/ids";
import { findEvent } from "../../history/event-history";
import type { AttemptRecord, DeliveryRecord } from "../../history/records";
import { ListQuery, listOf, OwnerId, Timestamp } from "../../domain/schemas";
import { toIso } from "../../domain/time";
import type { Principal } from "../middleware/auth";
import { AppError } from "../errors";
import { assertOwns, scopedOwner } from "../middleware/auth";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";
import type { Env } from "../../env";

const DeliveryStatus = z.enum(["pending", "retrying", "succeeded", "failed", "held"]);

const DeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    endpoint_id: z.string(),
    owner_id: z.string(),
    event_type: z.string(),
    status: DeliveryStatus,
    attempt_count: z.number().int().openapi({ description: "Attempts made so far, manual retries included." }),
    attempts_in_run: z.number().int().openapi({ description: "Attempts since the last manual retry." }),
    next_attempt_at: Timestamp.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_duration_ms: z.number().int().nullable(),
    event_accepted_at: Timestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
    completed_at: Timestamp.nullable(),
  })
  .openapi("Delivery");

const AttemptSchema = z
  .object({
    id: z.string(),
    attempt: z.number().int(),
    started_at: Timestamp,
    duration_ms: z.number().int(),
    status_code: z.number().int().nullable().openapi({ description: "null when no response came" }),
    error: z.string().nullable().openapi({ description: '"timeout", "network: …", "redirect", or null' }),
    response_body: z.string().nullable().openapi({ description: "The first 4 KiB of the response body" }),
  })
  .openapi("Attempt");

/** `attempts` is the list of attempts here (API.md); the number of attempts is `attempt_count` everywhere. */
const DeliveryDetail = DeliverySchema.extend({ attempts: z.array(AttemptSchema) }).openapi("DeliveryDetail");

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

function present(row: DeliveryRecord) {
  return {
    id: row.id,
    event_id: row.event_id,
    endpoint_id: row.endpoint_id,
    owner_id: row.owner_id,
    event_type: row.event_type,
    status: row.status,
    attempt_count: row.attempt_count,
    attempts_in_run: row.attempts_in_run,
    next_attempt_at: toIso(row.next_attempt_at),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    last_duration_ms: row.last_duration_ms,
    event_accepted_at: toIso(row.event_accepted_at),
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
    completed_at: toIso(row.completed_at),
  };
}

function presentAttempt(row: AttemptRecord) {
  return {
    id: row.id,
    attempt: row.attempt,
    started_at: toIso(row.started_at),
    duration_ms: row.duration_ms,
    status_code: row.status_code,
    error: row.error,
    response_body: row.response_body,
  };
}

/** The delivery, or 404 for unknown ids and for another owner's (indistinguishable on purpose). */
async function findOwnedDelivery(env: Env, principal: Principal, id: string): Promise<DeliveryRecord> {
  const row = isDeliveryId(id) ? (await findDeliveryViews(env, [id])).get(id) : undefined;
  if (!row) throw new AppError("not_found", "Delivery not found.");
  assertOwns(principal, row.owner_id, "Delivery");
  return row;
}

/** An endpoint's owner, or 404 for unknown ids and for another owner's endpoint. */
async function ownedEndpoint(env: Env, principal: Principal, endpointId: string): Promise<string> {
  const row = isIdOf("ep", endpointId)
    ? await getDb(env.DB).select({ ownerId: endpoints.ownerId }).from(endpoints).where(eq(endpoints.id, endpointId)).get()
    : undefined;
  if (!row) throw new AppError("not_found", "Endpoint not found.");
  assertOwns(principal, row.ownerId, "Endpoint");
  return row.ownerId;
}

export const deliveriesRoutes = createRouter();

deliveriesRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Deliveries"],
    summary: "List deliveries, newest first",
    security,
    request: {
      query: ListQuery.extend({
        owner_id: OwnerId.optional(),
        endpoint_id: z.string().max(100).optional(),
        event_id: z.string().max(100).optional(),
        status: DeliveryStatus.optional(),
      }),
    },
    responses: { 200: jsonResponse(listOf(DeliverySchema), "A page of deliveries"), ...errorResponses },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const principal = c.get("principal");
    const ownerId = scopedOwner(principal, query.owner_id);
    const limit = query.limit ?? 50;
    const filters = { status: query.status, eventId: query.event_id, beforeId: decodeCursor(query.cursor), want: limit + 1 };
    let rows: DeliveryRecord[];
    if (query.endpoint_id !== undefined) {
      const endpointOwner = await ownedEndpoint(c.env, principal, query.endpoint_id);
      rows = ownerId !== undefined && ownerId !== endpointOwner ? [] : await listEndpointDeliveries(c.env, { ...filters, endpointId: query.endpoint_id });
    } else if (query.event_id !== undefined) {
      rows = await deliveriesOfEvent(c.env, query.event_id, ownerId, filters);
    } else if (ownerId !== undefined) {
      const owned = await getDb(c.env.DB).select({ id: endpoints.id }).from(endpoints).where(eq(endpoints.ownerId, ownerId)).all();
      rows = await listDeliveriesOf(c.env, owned.map((e) => e.id), filters);
    } else {
      throw new AppError("validation_failed", "Name what to list: delivery history is kept per endpoint.", [
        { path: "endpoint_id", message: "endpoint_id, event_id or owner_id is required with the admin key" },
      ]);
    }
    return c.json(page(rows, limit, present), 200);
  },
);

deliveriesRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags: ["Deliveries"],
    summary: "A delivery with its attempts, oldest first",
    security,
    request: { params: IdParam },
    responses: { 200: jsonResponse(DeliveryDetail, "The delivery"), ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const row = await findOwnedDelivery(c.env, c.get("principal"), id);
    return c.json({ ...present(row), attempts: row.attempts.map(presentAttempt) }, 200);
  },
);

deliveriesRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{id}/retry",
    tags: ["Deliveries"],
    summary: "Retry a delivery now (a new run of the endpoint's policy)",
    security,
    request: { params: IdParam },
    responses: { 202: jsonResponse(DeliverySchema, "Accepted: the delivery is pending again"), ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    await findOwnedDelivery(c.env, c.get("principal"), id);
    const outcome = await retryDeliveries(c.env, [id]);
    if (outcome.retried.length === 0) throw new AppError("not_found", "Delivery not found (its event was pruned).");
    const row = (await findDeliveryViews(c.env, [id])).get(id)!;
    return c.json(present(row), 202);
  },
);

/** One event's deliveries (one per endpoint it was routed to), filtered and paged like any list. */
async function deliveriesOfEvent(
  env: Env,
  eventId: string,
  ownerId: string | undefined,
  q: { status?: string; beforeId?: string; want: number },
): Promise<DeliveryRecord[]> {
  const event = isIdOf("evt", eventId) ? await findEvent(env, eventId, ownerId) : undefined;
  if (!event || (ownerId !== undefined && event.owner_id !== ownerId)) return [];
  const ids = await Promise.all((event.endpoints ?? []).map((endpointId) => deliveryId(event.id, endpointId)));
  const views = await findDeliveryViews(env, ids);
  return [...views.values()]
    .filter((d) => (q.status === undefined || d.status === q.status) && (q.beforeId === undefined || d.id < q.beforeId))
    .sort((a, b) => (a.id < b.id ? 1 : -1))
    .slice(0, q.want);
}
