// /v1/endpoints — delivery targets: create, list, read, change, delete, enable/disable, rotate the signing secret.
// Secrets and auth are stored encrypted; every config change bumps the owner's config version and tells
// the endpoint's Durable Object to reload.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getDb } from "../../db/client";
import {
  deleteEndpoint,
  disableEndpointManually,
  enableEndpoint,
  getEndpoint,
  insertEndpoint,
  listEndpoints,
  rotateEndpointSecret,
  updateEndpoint,
  type EndpointChanges,
  type EndpointRow,
} from "../../db/repos/endpoints";
import { readDeliveryState, storedRateLimit } from "../../delivery/delivery-state";
import { closeRelayListeners, notifyEndpointChanged, readRelayListeners } from "../../delivery/endpoint-client";
import { bytesToBase64 } from "../../domain/crypto";
import { maskEndpointAuth, type EndpointAuthConfig } from "../../domain/endpoint-auth";
import { isIdOf, newId } from "../../domain/ids";
import {
  DEFAULT_RETRY_POLICY,
  EndpointCreate,
  EndpointPatch,
  EndpointSchema,
  ListQuery,
  listOf,
  OwnerId,
  SecretRotated,
  type RetryPolicy,
} from "../../domain/schemas";
import { toIso } from "../../domain/time";
import { urlSafetyProblem } from "../../domain/url-safety";
import type { AppEnv } from "../../env";
import { AppError } from "../errors";
import { assertOwns, scopedOwner } from "../middleware/auth";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";
import { openSecret, sealSecret } from "../sealed-secrets";

/** How long a replaced signing secret keeps signing, so receivers can switch without dropping deliveries. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "ep_01jd5m3x7q0000000000000000" }) });
const EndpointList = ListQuery.extend({
  owner_id: OwnerId.optional(),
  status: z.enum(["active", "disabled"]).optional(),
});
const RotateSecretBody = z
  .object({ secret: EndpointCreate.shape.secret })
  .strict()
  .openapi("RotateSecret", { description: "Optionally the new secret; generated when absent." });

type Ctx = Context<AppEnv>;

/** Standard Webhooks secrets: `whsec_` + base64 of 24 random bytes. */
function generateSecret(): string {
  return `whsec_${bytesToBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

/** Refuses URLs the deployment must not deliver to (see domain/url-safety.ts) as a 422 on `url`. */
function assertUrlAllowed(c: Ctx, url: string): void {
  const why = urlSafetyProblem(url, { allowPrivate: c.get("config").allowPrivateEndpoints });
  if (why) {
    throw new AppError("validation_failed", "The endpoint URL is not allowed.", [{ path: "url", message: `url ${why}` }]);
  }
}

/** The URL a new endpoint of `kind` stores: required (and checked) for http, absent for relay ('' stored). */
function urlForKind(c: Ctx, kind: "http" | "relay", url: string | undefined): string {
  if (kind === "relay") {
    if (url !== undefined) throw new AppError("validation_failed", "A relay endpoint has no URL.", [{ path: "url", message: "url must be absent when kind is relay" }]);
    return "";
  }
  if (url === undefined) throw new AppError("validation_failed", "The endpoint needs a URL.", [{ path: "url", message: "url is required (or set kind to relay)" }]);
  assertUrlAllowed(c, url);
  return url;
}

async function loadEndpoint(c: Ctx, id: string): Promise<EndpointRow> {
  const row = isIdOf("ep", id) ? await getEndpoint(getDb(c.env.DB), id) : undefined;
  if (!row) throw new AppError("not_found", "Endpoint not found.");
  assertOwns(c.get("principal"), row.ownerId, "Endpoint");
  return row;
}

/**
 * Tells the endpoint's Durable Object to reload its config. D1 already holds the change and the DO also
 * reloads on its own when the config version moves, so a failure here is logged, not returned.
 */
async function notifyChanged(c: Ctx, endpointId: string): Promise<void> {
  try {
    await notifyEndpointChanged(c.env, endpointId);
  } catch (err) {
    console.error(
      JSON.stringify({ level: "warn", request_id: c.get("requestId"), endpoint_id: endpointId, msg: "EndpointDO configChanged failed", error: String(err) }),
    );
  }
}

/** Best effort like notifyChanged: a listener left open only receives nothing more, and a reconnect gets 404. */
async function closeListeners(c: Ctx, endpointId: string): Promise<void> {
  try {
    await closeRelayListeners(c.env, endpointId);
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", request_id: c.get("requestId"), endpoint_id: endpointId, msg: "closing relay listeners failed", error: String(err) }));
  }
}

/** List pages show only a recognisable prefix of each signing secret; the full secret needs GET /v1/endpoints/{id}. */
function maskSigningSecret(secret: string): string {
  return `${secret.slice(0, "whsec_".length + 4)}…`;
}

async function present(c: Ctx, row: EndpointRow, opts: { fullSecret: boolean } = { fullSecret: true }) {
  const secret = await openSecret(c.env, row.secretEnc);
  const auth = row.authEnc ? (JSON.parse(await openSecret(c.env, row.authEnc)) as EndpointAuthConfig) : null;
  const previousValid = row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > Date.now();
  return {
    id: row.id,
    kind: row.kind,
    url: row.kind === "relay" ? null : row.url,
    owner_id: row.ownerId,
    description: row.description,
    secret: opts.fullSecret ? secret : maskSigningSecret(secret),
    previous_secret_expires_at: previousValid ? toIso(row.previousSecretExpiresAt) : null,
    timeout_ms: row.timeoutMs,
    rate_limit: row.rateLimit ? (JSON.parse(row.rateLimit) as { requests: number; per_seconds: number }) : null,
    max_in_flight: row.maxInFlight,
    auth: auth ? maskEndpointAuth(auth) : null,
    retry: JSON.parse(row.retry) as RetryPolicy,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    status: row.status,
    disabled_reason: row.disabledReason as "manual" | "consecutive_failures" | "gone_410" | null,
    disabled_at: toIso(row.disabledAt),
    consecutive_failures: row.consecutiveFailures,
    failing_since: toIso(row.failingSince),
    last_attempt_at: toIso(row.lastAttemptAt),
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
  };
}

const tags = ["Endpoints"];
const idRoute = (method: "get" | "patch" | "delete" | "post", path: string) => ({ method, path, tags, security });

export const endpointsRoutes = createRouter();

endpointsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    summary: "Create an endpoint",
    security,
    request: { body: jsonBody(EndpointCreate) },
    responses: { 201: jsonResponse(EndpointSchema, "The endpoint, with its signing secret"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const ownerId = scopedOwner(c.get("principal"), body.owner_id);
    if (!ownerId) {
      throw new AppError("validation_failed", "The admin key must name the owner.", [{ path: "owner_id", message: "owner_id is required with the admin key (an owner key acts for its own owner)" }]);
    }
    const url = urlForKind(c, body.kind, body.url);
    const now = Date.now();
    const row: EndpointRow = {
      id: newId("ep", now),
      ownerId,
      kind: body.kind,
      url,
      description: body.description ?? null,
      secretEnc: await sealSecret(c.env, body.secret ?? generateSecret()),
      previousSecretEnc: null,
      previousSecretExpiresAt: null,
      timeoutMs: body.timeout_ms,
      rateLimit: body.rate_limit ? JSON.stringify(body.rate_limit) : null,
      maxInFlight: body.max_in_flight,
      authEnc: body.auth ? await sealSecret(c.env, JSON.stringify(body.auth)) : null,
      retry: JSON.stringify(body.retry ?? DEFAULT_RETRY_POLICY),
      metadata: JSON.stringify(body.metadata),
      status: "active",
      disabledReason: null,
      disabledAt: null,
      consecutiveFailures: 0,
      failingSince: null,
      failureEpisode: 0,
      lastAttemptAt: null,
      lastStatusCode: null,
      lastError: null,
      createdAt: now,
      updatedAt: now,
    };
    await insertEndpoint(getDb(c.env.DB), row);
    return c.json(await present(c, row), 201);
  },
);

endpointsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    summary: "List endpoints",
    security,
    request: { query: EndpointList },
    responses: { 200: jsonResponse(listOf(EndpointSchema), "A page of endpoints, newest first"), ...errorResponses },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const ownerId = scopedOwner(c.get("principal"), query.owner_id);
    const limit = query.limit ?? 50;
    const rows = await listEndpoints(getDb(c.env.DB), {
      ownerId,
      status: query.status,
      beforeId: decodeCursor(query.cursor),
      limit: limit + 1,
    });
    const { data, next_cursor } = page(rows, limit, (row) => row);
    return c.json({ data: await Promise.all(data.map((row) => present(c, row, { fullSecret: false }))), next_cursor }, 200);
  },
);

endpointsRoutes.openapi(
  createRoute({
    ...idRoute("get", "/{id}"),
    summary: "Get an endpoint",
    request: { params: IdParam },
    responses: { 200: jsonResponse(EndpointSchema, "The endpoint"), ...errorResponses },
  }),
  async (c) => {
    const row = await loadEndpoint(c, c.req.valid("param").id);
    const [deliveryState, listeners] = await Promise.all([
      readDeliveryState(c.env, row.id, storedRateLimit(row.rateLimit)),
      row.kind === "relay" ? readRelayListeners(c.env, row.id) : undefined,
    ]);
    return c.json(
      { ...(await present(c, row)), ...(deliveryState ? { delivery_state: deliveryState } : {}), ...(listeners !== undefined ? { listeners } : {}) },
      200,
    );
  },
);

endpointsRoutes.openapi(
  createRoute({
    ...idRoute("patch", "/{id}"),
    summary: "Change an endpoint",
    description: "Only the fields given change. `null` clears `description`, `rate_limit` (unlimited) and `auth`.",
    request: { params: IdParam, body: jsonBody(EndpointPatch) },
    responses: { 200: jsonResponse(EndpointSchema, "The changed endpoint"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const row = await loadEndpoint(c, c.req.valid("param").id);
    if (body.url !== undefined && row.kind === "relay") {
      throw new AppError("validation_failed", "A relay endpoint has no URL.", [{ path: "url", message: "url cannot be set on a relay endpoint" }]);
    }
    if (body.url !== undefined) assertUrlAllowed(c, body.url);
    const changes: EndpointChanges = {};
    if (body.url !== undefined) changes.url = body.url;
    if (body.description !== undefined) changes.description = body.description;
    if (body.timeout_ms !== undefined) changes.timeoutMs = body.timeout_ms;
    if (body.rate_limit !== undefined) changes.rateLimit = body.rate_limit ? JSON.stringify(body.rate_limit) : null;
    if (body.max_in_flight !== undefined) changes.maxInFlight = body.max_in_flight;
    if (body.auth !== undefined) changes.authEnc = body.auth ? await sealSecret(c.env, JSON.stringify(body.auth)) : null;
    if (body.retry !== undefined) changes.retry = JSON.stringify(body.retry);
    if (body.metadata !== undefined) changes.metadata = JSON.stringify(body.metadata);
    if (Object.keys(changes).length === 0) return c.json(await present(c, row), 200);

    const updated = await updateEndpoint(getDb(c.env.DB), row, changes);
    if (!updated) throw new AppError("not_found", "Endpoint not found.");
    await notifyChanged(c, row.id);
    return c.json(await present(c, updated), 200);
  },
);

endpointsRoutes.openapi(
  createRoute({
    ...idRoute("delete", "/{id}"),
    summary: "Delete an endpoint and its subscriptions",
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses },
  }),
  async (c) => {
    const row = await loadEndpoint(c, c.req.valid("param").id);
    if (!(await deleteEndpoint(getDb(c.env.DB), row))) throw new AppError("not_found", "Endpoint not found.");
    await notifyChanged(c, row.id);
    if (row.kind === "relay") await closeListeners(c, row.id);
    return c.body(null, 204);
  },
);

endpointsRoutes.openapi(
  createRoute({
    ...idRoute("post", "/{id}/disable"),
    summary: "Disable an endpoint",
    description: "New deliveries are recorded as `held` and not attempted until the endpoint is enabled and they are retried.",
    request: { params: IdParam },
    responses: { 200: jsonResponse(EndpointSchema, "The disabled endpoint"), ...errorResponses },
  }),
  async (c) => {
    const row = await loadEndpoint(c, c.req.valid("param").id);
    const updated = await disableEndpointManually(getDb(c.env.DB), row);
    if (!updated) throw new AppError("not_found", "Endpoint not found.");
    await notifyChanged(c, row.id);
    return c.json(await present(c, updated), 200);
  },
);

endpointsRoutes.openapi(
  createRoute({
    ...idRoute("post", "/{id}/enable"),
    summary: "Enable an endpoint",
    description: "New events are attempted again and the failure counter starts afresh; held deliveries stay held until retried.",
    request: { params: IdParam },
    responses: { 200: jsonResponse(EndpointSchema, "The enabled endpoint"), ...errorResponses },
  }),
  async (c) => {
    const row = await loadEndpoint(c, c.req.valid("param").id);
    const updated = await enableEndpoint(getDb(c.env.DB), row);
    if (!updated) throw new AppError("not_found", "Endpoint not found.");
    await notifyChanged(c, row.id);
    return c.json(await present(c, updated), 200);
  },
);

endpointsRoutes.openapi(
  createRoute({
    ...idRoute("post", "/{id}/rotate-secret"),
    summary: "Rotate the signing secret",
    description:
      "Makes a new secret current. The replaced one keeps signing (a second `webhook-signature` entry) for 24 hours; " +
      "a secret replaced earlier than that stops signing now.",
    request: { params: IdParam, body: { ...jsonBody(RotateSecretBody), required: false } },
    responses: { 200: jsonResponse(SecretRotated, "The new secret"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const row = await loadEndpoint(c, c.req.valid("param").id);
    const secret = body.secret ?? generateSecret();
    const now = Date.now();
    const expiresAt = now + PREVIOUS_SECRET_GRACE_MS;
    const updated = await rotateEndpointSecret(getDb(c.env.DB), row, await sealSecret(c.env, secret), expiresAt, now);
    if (!updated) throw new AppError("not_found", "Endpoint not found.");
    await notifyChanged(c, row.id);
    return c.json({ secret, previous_secret_expires_at: toIso(expiresAt) }, 200);
  },
);
