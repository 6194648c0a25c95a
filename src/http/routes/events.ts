// /v1/events — REST ingest (single and batch, through accept()), event lists, event detail with its
// deliveries, and replay. Ingest bodies have their own size limit, derived from MAX_PAYLOAD_BYTES.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findDeliveryViews } from "../../delivery/delivery-views";
import { deliveryId, isIdOf } from "../../domain/ids";
import { findEvent, listEvents } from "../../history/event-history";
import type { DeliveryRecord, EventRecord, EventSummaryRecord } from "../../history/records";
import { EventBatchInput, EventInput, EventType, ListQuery, listOf, OwnerId, ProblemSchema, Timestamp } from "../../domain/schemas";
import { fromIso, toIso } from "../../domain/time";
import type { AppEnv } from "../../env";
import { replayEvent } from "../../fanout/replay";
import { accept } from "../../ingest/accept";
import { AppError, validationError } from "../errors";
import { assertOwns, scopedOwner, type Principal } from "../middleware/auth";
import { limitBody } from "../middleware/body-limit";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";

/** Room for the envelope around a payload (owner_id, event_type, whitespace). */
const ENVELOPE_BYTES = 64 * 1024;
/** Bodies may escape non-ASCII as \uXXXX: up to 3× the UTF-8 bytes the payload is measured in. */
const ESCAPING_FACTOR = 3;
/** A batch body never exceeds this, whatever MAX_PAYLOAD_BYTES is: the Worker must parse it in memory. */
const MAX_BATCH_BODY_BYTES = 16 * 1024 * 1024;

export function singleBodyLimit(maxPayloadBytes: number): number {
  return ESCAPING_FACTOR * maxPayloadBytes + ENVELOPE_BYTES;
}

export function batchBodyLimit(maxPayloadBytes: number): number {
  return Math.min(100 * singleBodyLimit(maxPayloadBytes), MAX_BATCH_BODY_BYTES);
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_json", "The request body is not valid JSON.");
  }
}

function ownerScopeOf(principal: Principal): string | undefined {
  return principal.kind === "owner" ? principal.ownerId : undefined;
}

const EventSummarySchema = z
  .object({
    id: z.string(),
    owner_id: z.string(),
    event_type: z.string(),
    payload_size: z.number().int(),
    source_id: z.string().nullable(),
    idempotency_key: z.string().nullable(),
    accepted_at: Timestamp,
    created_at: Timestamp,
  })
  .openapi("EventSummary");

const EventDeliverySchema = z
  .object({
    id: z.string(),
    endpoint_id: z.string(),
    status: z.enum(["pending", "retrying", "succeeded", "failed", "held"]),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("EventDelivery");

const EventDetailSchema = EventSummarySchema.extend({
  payload: z.unknown(),
  deliveries: z.array(EventDeliverySchema),
  filtered_out: z.number().int().openapi({ description: "Subscriptions that matched the event's type but not their filter" }),
}).openapi("EventDetail");

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
const IdempotencyHeader = z.object({
  "idempotency-key": z.string().optional().openapi({ param: { name: "idempotency-key", in: "header" } }), // = the object key, or the generator throws
});

function presentSummary(row: EventSummaryRecord) {
  return {
    id: row.id,
    owner_id: row.owner_id,
    event_type: row.event_type,
    payload_size: row.payload_size,
    source_id: row.source_id,
    idempotency_key: row.idempotency_key,
    accepted_at: toIso(row.accepted_at),
    created_at: toIso(row.accepted_at),
  };
}

function presentDelivery(row: DeliveryRecord) {
  return {
    id: row.id,
    endpoint_id: row.endpoint_id,
    status: row.status,
    attempts: row.attempt_count,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    next_attempt_at: toIso(row.next_attempt_at),
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

/** The event's deliveries, one per endpoint it was routed to; one still being handed over shows as pending. */
async function deliveriesOf(c: Context<AppEnv>, event: EventRecord): Promise<DeliveryRecord[]> {
  const endpoints = event.endpoints ?? [];
  const ids = await Promise.all(endpoints.map((endpointId) => deliveryId(event.id, endpointId)));
  const views = await findDeliveryViews(c.env, ids);
  return ids.map((id, i) => views.get(id) ?? handingOver(event, id, endpoints[i]!));
}

function handingOver(event: EventRecord, id: string, endpointId: string): DeliveryRecord {
  return {
    id, event_id: event.id, endpoint_id: endpointId, owner_id: event.owner_id, event_type: event.event_type, status: "pending",
    attempt_count: 0, attempts_in_run: 0, next_attempt_at: null, last_status_code: null, last_error: null, last_duration_ms: null,
    event_accepted_at: event.accepted_at, created_at: event.accepted_at, updated_at: event.accepted_at, completed_at: null,
    attempts: [], attempts_dropped: 0,
  };
}

/** History is sharded by owner (API.md "Lists at scale"): the admin key must name the owner it lists. */
export function requiredOwner(principal: Principal, requested: string | undefined): string {
  const ownerId = scopedOwner(principal, requested);
  if (ownerId === undefined) {
    throw new AppError("validation_failed", "owner_id is required with the admin key: event history is kept per owner.", [
      { path: "owner_id", message: "owner_id is required with the admin key" },
    ]);
  }
  return ownerId;
}

export const eventsRoutes = createRouter();

// The ingest routes validate inside accept() (size before schema), so they are declared for the OpenAPI
// document here and handled by plain handlers below rather than by the zod validator.
eventsRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/",
  tags: ["Events"],
  summary: "Ingest one event",
  description: "Answers 202 once the event is durably queued. The same Idempotency-Key for the same owner within 24 h returns the same id.",
  security,
  request: { headers: IdempotencyHeader, body: jsonBody(EventInput) },
  responses: {
    202: jsonResponse(z.object({ id: z.string() }), "Accepted"),
    409: {
      description: "The Idempotency-Key was used for a request with a different number of events",
      content: { "application/problem+json": { schema: ProblemSchema } },
    },
    ...errorResponses,
  },
});
eventsRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/batch",
  tags: ["Events"],
  summary: "Ingest up to 100 events, all or nothing",
  security,
  request: {
    headers: IdempotencyHeader,
    body: jsonBody(z.object({ events: z.array(EventInput).min(1).max(100) }).openapi("EventBatchInput")),
  },
  responses: { 202: jsonResponse(z.object({ ids: z.array(z.string()) }), "Accepted"), ...errorResponses },
});

eventsRoutes.post(
  "/",
  (c, next) => limitBody(singleBodyLimit(c.get("config").maxPayloadBytes))(c, next),
  async (c) => {
    const body = await readJson(c);
    const result = await accept(c.env, {
      events: [body],
      batch: false,
      ownerScope: ownerScopeOf(c.get("principal")),
      idempotencyKey: c.req.header("idempotency-key"),
    });
    if (result.replayed) c.header("idempotent-replayed", "true");
    return c.json({ id: result.ids[0]! }, 202);
  },
);

eventsRoutes.post(
  "/batch",
  (c, next) => limitBody(batchBodyLimit(c.get("config").maxPayloadBytes))(c, next),
  async (c) => {
    const body = await readJson(c);
    const envelope = EventBatchInput.safeParse(body);
    if (!envelope.success) throw validationError(envelope.error);
    const result = await accept(c.env, {
      events: envelope.data.events,
      batch: true,
      ownerScope: ownerScopeOf(c.get("principal")),
      idempotencyKey: c.req.header("idempotency-key"),
    });
    if (result.replayed) c.header("idempotent-replayed", "true");
    return c.json({ ids: result.ids }, 202);
  },
);

eventsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Events"],
    summary: "List events, newest first",
    security,
    request: {
      query: ListQuery.extend({
        owner_id: OwnerId.optional(),
        event_type: EventType.optional(),
        after: Timestamp.optional(),
        before: Timestamp.optional(),
      }),
    },
    responses: { 200: jsonResponse(listOf(EventSummarySchema), "A page of events (payloads omitted)"), ...errorResponses },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const ownerId = requiredOwner(c.get("principal"), query.owner_id);
    const limit = query.limit ?? 50;
    const rows = await listEvents(c.env, {
      ownerId,
      eventType: query.event_type,
      acceptedFrom: query.after === undefined ? undefined : fromIso(query.after),
      acceptedBefore: query.before === undefined ? undefined : fromIso(query.before),
      beforeId: decodeCursor(query.cursor),
      want: limit + 1,
    });
    return c.json(page(rows, limit, presentSummary), 200);
  },
);

async function ownedEvent(c: Context<AppEnv>, id: string): Promise<EventRecord> {
  const principal = c.get("principal");
  const row = isIdOf("evt", id) ? await findEvent(c.env, id, principal.kind === "owner" ? principal.ownerId : undefined) : undefined;
  if (!row) throw new AppError("not_found", "Event not found.");
  assertOwns(principal, row.owner_id, "Event");
  return row;
}

eventsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags: ["Events"],
    summary: "Get an event with its payload and deliveries",
    security,
    request: { params: IdParam },
    responses: { 200: jsonResponse(EventDetailSchema, "The event"), ...errorResponses },
  }),
  async (c) => {
    const row = await ownedEvent(c, c.req.valid("param").id);
    const deliveries = await deliveriesOf(c, row);
    return c.json(
      { ...presentSummary(row), payload: JSON.parse(row.payload) as unknown, deliveries: deliveries.map(presentDelivery), filtered_out: row.filtered_out },
      200,
    );
  },
);

eventsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{id}/replay",
    tags: ["Events"],
    summary: "Deliver the event again to every endpoint that matches now",
    description:
      "Existing deliveries to endpoints that still match are retried afresh; endpoints that match now but had no delivery get a new one.",
    security,
    request: { params: IdParam },
    responses: {
      202: jsonResponse(
        z.object({ id: z.string(), retried: z.number().int(), created: z.number().int() }).openapi("EventReplay"),
        "Replay started",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const row = await ownedEvent(c, c.req.valid("param").id);
    const result = await replayEvent(c.env, row);
    return c.json({ id: row.id, retried: result.retried, created: result.created }, 202);
  },
);
