// /v1/api-keys — owner-scoped keys. The key is returned once at creation and stored only as a hash.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb, type Db } from "../../db/client";
import type { Env } from "../../env";
import { deleteApiKey, getApiKey, insertApiKey, listApiKeys, type ApiKeyRow } from "../../db/repos/api-keys";
import { relayEndpointIdsOf } from "../../db/repos/endpoints";
import { closeRelayListeners } from "../../delivery/endpoint-client";
import { randomToken, sha256Hex } from "../../domain/crypto";
import { isIdOf, newId } from "../../domain/ids";
import { ListQuery, listOf, OwnerId, Timestamp } from "../../domain/schemas";
import { toIso } from "../../domain/time";
import { AppError } from "../errors";
import { sharedCache } from "../../cache/cache";
import { assertOwns, forgetApiKey, scopedOwner } from "../middleware/auth";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";

/**
 * A revoked key must stop receiving the owner's webhooks at once: `hookrelay listen` sockets opened with it (on
 * any of the owner's relay endpoints) are closed. Best effort: the key is already gone and a reconnect gets 401.
 */
async function closeListenersOfKey(env: Env, db: Db, key: ApiKeyRow): Promise<void> {
  try {
    const ids = await relayEndpointIdsOf(db, key.ownerId);
    await Promise.all(ids.map((endpointId) => closeRelayListeners(env, endpointId, key.id)));
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", msg: "closing a revoked key's relay listeners failed", key_id: key.id, error: String(err) }));
  }
}

const ApiKeyCreate = z
  .object({ name: z.string().min(1).max(200), owner_id: OwnerId })
  .strict()
  .openapi("ApiKeyCreate");

const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    owner_id: z.string(),
    key_prefix: z.string(),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable(),
  })
  .openapi("ApiKey");

const ApiKeyCreated = ApiKeySchema.extend({ key: z.string() }).openapi("ApiKeyCreated");
const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

function present(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    owner_id: row.ownerId,
    key_prefix: row.keyPrefix,
    created_at: toIso(row.createdAt),
    last_used_at: toIso(row.lastUsedAt),
  };
}

export const apiKeyRoutes = createRouter();

apiKeyRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["API keys"],
    summary: "Create an owner-scoped API key",
    security,
    request: { body: jsonBody(ApiKeyCreate) },
    responses: { 201: jsonResponse(ApiKeyCreated, "The key, shown this once"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    scopedOwner(c.get("principal"), body.owner_id);
    const key = randomToken("hr_", 32);
    const row: ApiKeyRow = {
      id: newId("key"),
      name: body.name,
      ownerId: body.owner_id,
      keyHash: await sha256Hex(key),
      keyPrefix: key.slice(0, 7),
      createdAt: Date.now(),
      lastUsedAt: null,
    };
    await insertApiKey(getDb(c.env.DB), row);
    return c.json({ ...present(row), key }, 201);
  },
);

apiKeyRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["API keys"],
    summary: "List API keys",
    security,
    request: { query: ListQuery.extend({ owner_id: OwnerId.optional() }) },
    responses: { 200: jsonResponse(listOf(ApiKeySchema), "A page of keys"), ...errorResponses },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const ownerId = scopedOwner(c.get("principal"), query.owner_id);
    const limit = query.limit ?? 50;
    const rows = await listApiKeys(getDb(c.env.DB), { ownerId, beforeId: decodeCursor(query.cursor), limit: limit + 1 });
    return c.json(page(rows, limit, present), 200);
  },
);

apiKeyRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags: ["API keys"],
    summary: "Delete (revoke) an API key",
    security,
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const db = getDb(c.env.DB);
    const row = isIdOf("key", id) ? await getApiKey(db, id) : undefined;
    if (!row) throw new AppError("not_found", "API key not found.");
    assertOwns(c.get("principal"), row.ownerId, "API key");
    await deleteApiKey(db, id);
    await forgetApiKey(row.keyHash, sharedCache(c.env));
    await closeListenersOfKey(c.env, db, row);
    return c.body(null, 204);
  },
);
