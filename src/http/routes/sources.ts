// /v1/sources — SNS and WebSocket ingest sources: the records, their ingest URLs and WebSocket tokens.
// The ingest itself lives in src/ingest/; a WebSocket token is shown only at creation and on rotation.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getDb } from "../../db/client";
import {
  deleteSource,
  getSource,
  insertSource,
  listSources,
  rotateSourceToken,
  updateSource,
  type SourceRow,
  type SourceStatus,
} from "../../db/repos/sources";
import { randomToken, sha256Hex } from "../../domain/crypto";
import { isIdOf, newId } from "../../domain/ids";
import { ListQuery, listOf, OwnerId, ProblemSchema, SourceCreate, SourceCreated, SourcePatch, SourceSchema } from "../../domain/schemas";
import { toIso } from "../../domain/time";
import type { AppEnv } from "../../env";
import { closeSourceSockets } from "../../ingest/ws-sockets";
import { AppError, type FieldError } from "../errors";
import { assertOwns, scopedOwner } from "../middleware/auth";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "src_01jd5m3x7q0000000000000000" }) });
const SourceList = ListQuery.extend({ owner_id: OwnerId.optional(), type: z.enum(["sns", "websocket"]).optional() });

type Ctx = Context<AppEnv>;

/** Fields that only mean something for SNS messages; refused on WebSocket sources rather than ignored. */
const SNS_ONLY_FIELDS = ["event_type_attribute", "topic_arn"] as const;

function assertFieldsFitType(type: SourceRow["type"], body: Partial<Record<(typeof SNS_ONLY_FIELDS)[number], unknown>>): void {
  if (type === "sns") return;
  const errors: FieldError[] = SNS_ONLY_FIELDS.filter((f) => body[f] !== undefined && body[f] !== null).map((path) => ({
    path,
    message: "Only SNS sources take this field",
  }));
  if (errors.length > 0) throw new AppError("validation_failed", "The request does not fit a WebSocket source.", errors);
}

function ingestUrl(c: Ctx, row: SourceRow): string {
  const origin = new URL(c.req.url).origin;
  return `${origin}/ingest/${row.type === "sns" ? "sns" : "ws"}/${row.id}`;
}

function present(c: Ctx, row: SourceRow) {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    owner_id: row.ownerId,
    event_type: row.eventType,
    event_type_attribute: row.eventTypeAttribute,
    topic_arn: row.topicArn,
    ingest_url: ingestUrl(c, row),
    status: row.status as SourceStatus,
    subscription_arn: row.subscriptionArn,
    token_version: row.type === "websocket" ? row.tokenVersion : null,
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
  };
}

async function loadSource(c: Ctx, id: string): Promise<SourceRow> {
  const row = isIdOf("src", id) ? await getSource(getDb(c.env.DB), id) : undefined;
  if (!row) throw new AppError("not_found", "Source not found.");
  assertOwns(c.get("principal"), row.ownerId, "Source");
  return row;
}

/**
 * Cuts open WebSocket connections made with a revoked token. The row is already changed, so new
 * connections with the old token fail regardless; a failure here is logged, not returned.
 */
async function closeRevokedSockets(c: Ctx, sourceId: string, reason: string, belowTokenVersion: number): Promise<void> {
  try {
    await closeSourceSockets(c.env, sourceId, reason, belowTokenVersion);
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", request_id: c.get("requestId"), source_id: sourceId, msg: "closing source sockets failed", error: String(err) }));
  }
}

async function newToken(): Promise<{ token: string; hash: string }> {
  const token = randomToken("hrs_", 32);
  return { token, hash: await sha256Hex(token) };
}

const tags = ["Sources"];

export const sourcesRoutes = createRouter();

sourcesRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    summary: "Create an SNS or WebSocket source",
    description:
      "SNS: subscribe `ingest_url` to the topic over HTTPS; the status goes `pending_confirmation` → `confirmed`. " +
      "WebSocket: connect to `ingest_url` with `token` (shown only now and on rotation).",
    security,
    request: { body: jsonBody(SourceCreate) },
    responses: { 201: jsonResponse(SourceCreated, "The source (with its token, for WebSocket sources)"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const ownerId = scopedOwner(c.get("principal"), body.owner_id);
    if (!ownerId) {
      throw new AppError("validation_failed", "The admin key must name the owner.", [{ path: "owner_id", message: "owner_id is required with the admin key (an owner key acts for its own owner)" }]);
    }
    assertFieldsFitType(body.type, body);
    const now = Date.now();
    const credentials = body.type === "websocket" ? await newToken() : null;
    const row: SourceRow = {
      id: newId("src", now),
      type: body.type,
      name: body.name,
      ownerId,
      eventType: body.event_type ?? null,
      eventTypeAttribute: body.event_type_attribute ?? null,
      tokenHash: credentials?.hash ?? null,
      tokenVersion: 1,
      status: body.type === "sns" ? "pending_confirmation" : "active",
      topicArn: body.topic_arn ?? null,
      subscriptionArn: null,
      createdAt: now,
      updatedAt: now,
    };
    await insertSource(getDb(c.env.DB), row);
    return c.json({ ...present(c, row), ...(credentials ? { token: credentials.token } : {}) }, 201);
  },
);

sourcesRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    summary: "List sources",
    security,
    request: { query: SourceList },
    responses: { 200: jsonResponse(listOf(SourceSchema), "A page of sources, newest first"), ...errorResponses },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const ownerId = scopedOwner(c.get("principal"), query.owner_id);
    const limit = query.limit ?? 50;
    const rows = await listSources(getDb(c.env.DB), { ownerId, type: query.type, beforeId: decodeCursor(query.cursor), limit: limit + 1 });
    return c.json(page(rows, limit, (row) => present(c, row)), 200);
  },
);

sourcesRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags,
    summary: "Get a source",
    security,
    request: { params: IdParam },
    responses: { 200: jsonResponse(SourceSchema, "The source (never its token)"), ...errorResponses },
  }),
  async (c) => c.json(present(c, await loadSource(c, c.req.valid("param").id)), 200),
);

sourcesRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    tags,
    summary: "Change a source's name or event type mapping",
    description: "`null` clears `event_type`, `event_type_attribute` and `topic_arn`.",
    security,
    request: { params: IdParam, body: jsonBody(SourcePatch) },
    responses: { 200: jsonResponse(SourceSchema, "The changed source"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const row = await loadSource(c, c.req.valid("param").id);
    assertFieldsFitType(row.type, body);
    const changes: Parameters<typeof updateSource>[2] = {};
    if (body.name !== undefined) changes.name = body.name;
    if (body.event_type !== undefined) changes.eventType = body.event_type;
    if (body.event_type_attribute !== undefined) changes.eventTypeAttribute = body.event_type_attribute;
    if (body.topic_arn !== undefined) changes.topicArn = body.topic_arn;
    if (Object.keys(changes).length === 0) return c.json(present(c, row), 200);
    const updated = await updateSource(getDb(c.env.DB), row.id, changes);
    if (!updated) throw new AppError("not_found", "Source not found.");
    return c.json(present(c, updated), 200);
  },
);

sourcesRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags,
    summary: "Delete a source",
    description: "Its ingest URL stops accepting at once; open WebSocket connections are closed (code 4001).",
    security,
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses },
  }),
  async (c) => {
    const row = await loadSource(c, c.req.valid("param").id);
    if (!(await deleteSource(getDb(c.env.DB), row.id))) throw new AppError("not_found", "Source not found.");
    if (row.type === "websocket") await closeRevokedSockets(c, row.id, "source deleted", Number.MAX_SAFE_INTEGER);
    return c.body(null, 204);
  },
);

sourcesRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{id}/rotate-token",
    tags,
    summary: "Rotate a WebSocket source's token",
    description:
      "Issues a new token (shown this once) and revokes the old one at once: connections opened with it are closed " +
      "(code 4001). SNS sources have no token (their messages are signature-verified): 409.",
    security,
    request: { params: IdParam },
    responses: {
      200: jsonResponse(SourceCreated, "The source with its new token"),
      409: { description: "Not a WebSocket source", content: { "application/problem+json": { schema: ProblemSchema } } },
      ...errorResponses,
    },
  }),
  async (c) => {
    const row = await loadSource(c, c.req.valid("param").id);
    if (row.type !== "websocket") {
      throw new AppError("conflict", "Only WebSocket sources have a token; SNS messages are authenticated by their signatures.");
    }
    const credentials = await newToken();
    const updated = await rotateSourceToken(getDb(c.env.DB), row.id, credentials.hash);
    if (!updated) throw new AppError("not_found", "Source not found.");
    await closeRevokedSockets(c, row.id, "token rotated", updated.tokenVersion);
    return c.json({ ...present(c, updated), token: credentials.token }, 200);
  },
);
