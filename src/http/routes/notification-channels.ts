// /v1/notification-channels — where failure notices go: email recipients (SES) or a Slack incoming webhook.
// Targets are stored encrypted; Slack URLs are masked in every response.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { deleteChannel, getChannel, insertChannel, listChannels, type ChannelRow } from "../../db/repos/notification-channels";
import { MissingEncryptionKeyError } from "../../domain/crypto";
import { isIdOf, newId } from "../../domain/ids";
import { ChannelCreate, ListQuery, listOf, OwnerId, Timestamp } from "../../domain/schemas";
import { systemClock, toIso } from "../../domain/time";
import { urlSafetyProblem } from "../../domain/url-safety";
import type { Env } from "../../env";
import { maskWebhookUrl, openTarget, sealTarget, type ChannelTarget } from "../../notify/channels";
import { sendTestNotice } from "../../notify/notifier";
import { AppError } from "../errors";
import { assertOwns, scopedOwner, type Principal } from "../middleware/auth";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";
import { NotificationSchema, presentNotification } from "./notifications";

const ChannelSchema = z
  .object({
    id: z.string(),
    type: z.enum(["email", "slack"]),
    owner_id: z.string().nullable().openapi({ description: "null: the channel hears about every owner's endpoints" }),
    to: z.array(z.string()).optional(),
    webhook_url: z.string().optional().openapi({ description: "Masked: the secret part of the URL is never returned" }),
    created_at: Timestamp,
  })
  .openapi("NotificationChannel");

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

async function present(row: ChannelRow, env: Env) {
  const target = await openTarget(row, env).catch(() => null);
  return {
    id: row.id,
    type: row.type,
    owner_id: row.ownerId,
    ...(target?.type === "email" ? { to: target.to } : {}),
    ...(target?.type === "slack" ? { webhook_url: maskWebhookUrl(target.webhook_url) } : {}),
    created_at: toIso(row.createdAt),
  };
}

/** The channel, or 404 for unknown ids and for another owner's (or a global) channel seen with an owner key. */
async function loadChannel(env: Env, principal: Principal, id: string): Promise<ChannelRow> {
  const row = isIdOf("nch", id) ? await getChannel(getDb(env.DB), id) : undefined;
  if (!row) throw new AppError("not_found", "Notification channel not found.");
  assertOwns(principal, row.ownerId, "Notification channel");
  return row;
}

function sealingFailed(err: unknown): never {
  if (err instanceof MissingEncryptionKeyError) throw new AppError("unavailable", err.message);
  throw err;
}

export const notificationChannelsRoutes = createRouter();

notificationChannelsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["Notifications"],
    summary: "Create a notification channel",
    description:
      "`owner_id` absent means every owner (admin key only); with an owner key it defaults to the key's owner. " +
      "Slack webhook URLs follow the same outbound-URL rule as endpoints (ALLOW_PRIVATE_ENDPOINTS).",
    security,
    request: { body: jsonBody(ChannelCreate) },
    responses: { 201: jsonResponse(ChannelSchema, "The channel"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const principal = c.get("principal");
    const ownerId = scopedOwner(principal, body.owner_id) ?? null;
    if (body.type === "slack") {
      const problem = urlSafetyProblem(body.webhook_url, { allowPrivate: c.get("config").allowPrivateEndpoints });
      if (problem) {
        throw new AppError("validation_failed", "The webhook URL is not allowed.", [{ path: "webhook_url", message: `webhook_url ${problem}` }]);
      }
    }
    const origin = new URL(c.req.url).origin;
    const target: ChannelTarget =
      body.type === "email" ? { type: "email", to: body.to, origin } : { type: "slack", webhook_url: body.webhook_url, origin };
    const row: ChannelRow = {
      id: newId("nch"),
      type: body.type,
      ownerId,
      configEnc: await sealTarget(target, c.env).catch(sealingFailed),
      createdAt: Date.now(),
    };
    await insertChannel(getDb(c.env.DB), row);
    return c.json(await present(row, c.env), 201);
  },
);

notificationChannelsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Notifications"],
    summary: "List notification channels",
    description: "An owner key sees its owner's channels; the admin key sees all, or one owner's with `owner_id`.",
    security,
    request: { query: ListQuery.extend({ owner_id: OwnerId.optional() }) },
    responses: { 200: jsonResponse(listOf(ChannelSchema), "A page of channels"), ...errorResponses },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const ownerId = scopedOwner(c.get("principal"), query.owner_id);
    const limit = query.limit ?? 50;
    const rows = await listChannels(getDb(c.env.DB), { ownerId, beforeId: decodeCursor(query.cursor), limit: limit + 1 });
    const body = page(rows, limit, (r) => r);
    return c.json({ data: await Promise.all(body.data.map((r) => present(r, c.env))), next_cursor: body.next_cursor }, 200);
  },
);

notificationChannelsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags: ["Notifications"],
    summary: "Get a notification channel",
    security,
    request: { params: IdParam },
    responses: { 200: jsonResponse(ChannelSchema, "The channel"), ...errorResponses },
  }),
  async (c) => {
    const row = await loadChannel(c.env, c.get("principal"), c.req.valid("param").id);
    return c.json(await present(row, c.env), 200);
  },
);

notificationChannelsRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags: ["Notifications"],
    summary: "Delete a notification channel",
    security,
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses },
  }),
  async (c) => {
    const row = await loadChannel(c.env, c.get("principal"), c.req.valid("param").id);
    await deleteChannel(getDb(c.env.DB), row.id);
    return c.body(null, 204);
  },
);

notificationChannelsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{id}/test",
    tags: ["Notifications"],
    summary: "Send a test message through the channel now",
    description: "Answers 200 with the logged `test` notification; `status` says whether the channel accepted it.",
    security,
    request: { params: IdParam },
    responses: { 200: jsonResponse(NotificationSchema, "The logged test notification"), ...errorResponses },
  }),
  async (c) => {
    const row = await loadChannel(c.env, c.get("principal"), c.req.valid("param").id);
    const notification = await sendTestNotice(c.env, row, systemClock).catch(sealingFailed);
    return c.json(presentNotification(notification), 200);
  },
);
