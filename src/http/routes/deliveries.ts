// /v1/deliveries — list and read deliveries (with their attempts) and retry one. Batch retry (/retry) and
// jobs live in their own modules.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { listAttemptsOfDelivery, type AttemptRow } from "../../db/repos/attempts";
import { getDelivery, listDeliveries, type DeliveryRow } from "../../db/repos/deliveries";
import { retryDeliveries } from "../../delivery/manual-retry";
import { isIdOf } from "../../domain/ids";
import { ListQuery, listOf, OwnerId, Timestamp } from "../../domain/schemas";
import { toIso } from "../../domain/time";
import type { Principal } from "../middleware/auth";
import { AppError } from "../errors";
import { assertOwns, scopedOwner } from "../middleware/auth";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";
import type { Db } from "../../db/client";

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

function present(row: DeliveryRow) {
  return {
    id: row.id,
    event_id: row.eventId,
    endpoint_id: row.endpointId,
    owner_id: row.ownerId,
    event_type: row.eventType,
    status: row.status,
    attempt_count: row.attempts,
    attempts_in_run: row.attemptsInRun,
    next_attempt_at: toIso(row.nextAttemptAt),
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    last_duration_ms: row.lastDurationMs,
    event_accepted_at: toIso(row.eventAcceptedAt),
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
    completed_at: toIso(row.completedAt),
  };
}

function presentAttempt(row: AttemptRow) {
  return {
    id: row.id,
    attempt: row.attempt,
    started_at: toIso(row.startedAt),
    duration_ms: row.durationMs,
    status_code: row.statusCode,
    error: row.error,
    response_body: row.responseBody,
  };
}

/** The delivery, or 404 for unknown ids and for another owner's (indistinguishable on purpose). */
async function findOwnedDelivery(db: Db, principal: Principal, id: string): Promise<DeliveryRow> {
  const row = isIdOf("dlv", id) ? await getDelivery(db, id) : undefined;
  if (!row) throw new AppError("not_found", "Delivery not found.");
  assertOwns(principal, row.ownerId, "Delivery");
  return row;
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
    const ownerId = scopedOwner(c.get("principal"), query.owner_id);
    const limit = query.limit ?? 50;
    const rows = await listDeliveries(getDb(c.env.DB), {
      ownerId,
      endpointId: query.endpoint_id,
      eventId: query.event_id,
      status: query.status,
      beforeId: decodeCursor(query.cursor),
      limit: limit + 1,
    });
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
    const db = getDb(c.env.DB);
    const row = await findOwnedDelivery(db, c.get("principal"), id);
    const attempts = await listAttemptsOfDelivery(db, id);
    return c.json({ ...present(row), attempts: attempts.map(presentAttempt) }, 200);
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
    const db = getDb(c.env.DB);
    await findOwnedDelivery(db, c.get("principal"), id);
    const outcome = await retryDeliveries(c.env, [id]);
    if (outcome.retried.length === 0) throw new AppError("not_found", "Delivery not found (its event was pruned).");
    const row = await getDelivery(db, id);
    return c.json(present(row!), 202);
  },
);
