// /v1/subscriptions — which event types (exact, `prefix.*` or `*`) an endpoint receives, optionally narrowed
// by a filter on the event. A subscription belongs to its endpoint's owner; every write (filters included)
// bumps that owner's config version so routing caches refresh. `test-filter` evaluates a filter on an event.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getDb } from "../../db/client";
import { getEndpoint } from "../../db/repos/endpoints";
import {
  deleteSubscription,
  getSubscription,
  insertSubscription,
  listSubscriptions,
  updateSubscription,
  type SubscriptionRow,
} from "../../db/repos/subscriptions";
import { filterMatches } from "../../domain/filter-eval";
import { isIdOf, newId } from "../../domain/ids";
import {
  FilterTest,
  FilterTestResult,
  ListQuery,
  listOf,
  OwnerId,
  SubscriptionCreate,
  SubscriptionPatch,
  SubscriptionSchema,
} from "../../domain/schemas";
import { toIso } from "../../domain/time";
import type { AppEnv } from "../../env";
import { AppError } from "../errors";
import { assertOwns, scopedOwner } from "../middleware/auth";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "sub_01jd5m3x7q0000000000000000" }) });
const SubscriptionList = ListQuery.extend({ endpoint_id: z.string().max(100).optional(), owner_id: OwnerId.optional() });

type Ctx = Context<AppEnv>;

/** Duplicates add nothing to matching; keeping the first occurrence preserves the caller's order. */
function uniquePatterns(patterns: string[]): string[] {
  return [...new Set(patterns)];
}

/** The stored form of a validated filter: JSON text, or NULL for "no filter". */
function storedFilter(filter: Record<string, unknown> | null | undefined): string | null {
  return filter == null ? null : JSON.stringify(filter);
}

function present(row: SubscriptionRow) {
  return {
    id: row.id,
    endpoint_id: row.endpointId,
    owner_id: row.ownerId,
    event_types: JSON.parse(row.eventTypes) as string[],
    filter: row.filter === null ? null : (JSON.parse(row.filter) as Record<string, unknown>),
    description: row.description,
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
  };
}

async function loadSubscription(c: Ctx, id: string): Promise<SubscriptionRow> {
  const row = isIdOf("sub", id) ? await getSubscription(getDb(c.env.DB), id) : undefined;
  if (!row) throw new AppError("not_found", "Subscription not found.");
  assertOwns(c.get("principal"), row.ownerId, "Subscription");
  return row;
}

const tags = ["Subscriptions"];

export const subscriptionsRoutes = createRouter();

subscriptionsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    summary: "Subscribe an endpoint to event types",
    description: "The subscription takes its endpoint's owner. An endpoint of another owner answers 404, like an unknown one.",
    security,
    request: { body: jsonBody(SubscriptionCreate) },
    responses: { 201: jsonResponse(SubscriptionSchema, "The subscription"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const db = getDb(c.env.DB);
    const endpoint = isIdOf("ep", body.endpoint_id) ? await getEndpoint(db, body.endpoint_id) : undefined;
    if (!endpoint) throw new AppError("not_found", "Endpoint not found.");
    assertOwns(c.get("principal"), endpoint.ownerId, "Endpoint");
    const now = Date.now();
    const row: SubscriptionRow = {
      id: newId("sub", now),
      endpointId: endpoint.id,
      ownerId: endpoint.ownerId,
      eventTypes: JSON.stringify(uniquePatterns(body.event_types)),
      filter: storedFilter(body.filter),
      description: body.description ?? null,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await insertSubscription(db, row))) throw new AppError("not_found", "Endpoint not found.");
    return c.json(present(row), 201);
  },
);

// Registered before `/{id}` routes; being a POST it could not collide with them anyway.
subscriptionsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/test-filter",
    tags,
    summary: "Test a filter against an event",
    description: "Evaluates `filter` on `event` exactly as the fanout does; nothing is stored or delivered. A bad filter answers 422.",
    security,
    request: { body: jsonBody(FilterTest) },
    responses: { 200: jsonResponse(FilterTestResult, "Whether the event satisfies the filter"), ...errorResponses },
  }),
  async (c) => {
    const { filter, event } = c.req.valid("json");
    return c.json({ matches: filterMatches(filter, event) }, 200);
  },
);

subscriptionsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    summary: "List subscriptions",
    security,
    request: { query: SubscriptionList },
    responses: { 200: jsonResponse(listOf(SubscriptionSchema), "A page of subscriptions, newest first"), ...errorResponses },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const ownerId = scopedOwner(c.get("principal"), query.owner_id);
    const limit = query.limit ?? 50;
    const rows = await listSubscriptions(getDb(c.env.DB), {
      ownerId,
      endpointId: query.endpoint_id,
      beforeId: decodeCursor(query.cursor),
      limit: limit + 1,
    });
    return c.json(page(rows, limit, present), 200);
  },
);

subscriptionsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags,
    summary: "Get a subscription",
    security,
    request: { params: IdParam },
    responses: { 200: jsonResponse(SubscriptionSchema, "The subscription"), ...errorResponses },
  }),
  async (c) => c.json(present(await loadSubscription(c, c.req.valid("param").id)), 200),
);

subscriptionsRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    tags,
    summary: "Change a subscription's event types, filter or description",
    description: "`filter: null` removes the filter; an absent `filter` leaves it as it is.",
    security,
    request: { params: IdParam, body: jsonBody(SubscriptionPatch) },
    responses: { 200: jsonResponse(SubscriptionSchema, "The changed subscription"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const row = await loadSubscription(c, c.req.valid("param").id);
    const changes: Partial<Pick<SubscriptionRow, "eventTypes" | "filter" | "description">> = {};
    if (body.event_types !== undefined) changes.eventTypes = JSON.stringify(uniquePatterns(body.event_types));
    if (body.filter !== undefined) changes.filter = storedFilter(body.filter);
    if (body.description !== undefined) changes.description = body.description;
    if (Object.keys(changes).length === 0) return c.json(present(row), 200);
    const updated = await updateSubscription(getDb(c.env.DB), row, changes);
    if (!updated) throw new AppError("not_found", "Subscription not found.");
    return c.json(present(updated), 200);
  },
);

subscriptionsRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags,
    summary: "Delete a subscription",
    security,
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses },
  }),
  async (c) => {
    const row = await loadSubscription(c, c.req.valid("param").id);
    if (!(await deleteSubscription(getDb(c.env.DB), row))) throw new AppError("not_found", "Subscription not found.");
    return c.body(null, 204);
  },
);
