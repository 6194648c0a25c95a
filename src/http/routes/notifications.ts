// /v1/notifications — the log of failure notices and test messages, newest first, owner-scoped.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { listNotifications, type NotificationRow } from "../../db/repos/notifications";
import { ListQuery, listOf, OwnerId, Timestamp } from "../../domain/schemas";
import { toIso } from "../../domain/time";
import { scopedOwner } from "../middleware/auth";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";

const KINDS = ["endpoint.failing", "endpoint.disabled", "test"] as const;
const STATUSES = ["pending", "sent", "failed"] as const;

export const NotificationSchema = z
  .object({
    id: z.string(),
    channel_id: z.string(),
    endpoint_id: z.string().nullable(),
    owner_id: z.string().nullable(),
    kind: z.enum(KINDS),
    episode: z.number().int(),
    status: z.enum(STATUSES).openapi({ description: "`pending` until the cron's first try; `failed` ones are retried" }),
    error: z.string().nullable(),
    tries: z.number().int(),
    sent_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .openapi("Notification");

export function presentNotification(row: NotificationRow) {
  return {
    id: row.id,
    channel_id: row.channelId,
    endpoint_id: row.endpointId,
    owner_id: row.ownerId,
    kind: row.kind,
    episode: row.episode,
    status: row.status,
    error: row.error,
    tries: row.tries,
    sent_at: toIso(row.sentAt),
    created_at: toIso(row.createdAt),
  };
}

export const notificationsRoutes = createRouter();

notificationsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Notifications"],
    summary: "List sent, failed and pending notifications",
    security,
    request: {
      query: ListQuery.extend({
        owner_id: OwnerId.optional(),
        channel_id: z.string().max(100).optional(),
        endpoint_id: z.string().max(100).optional(),
        kind: z.enum(KINDS).optional(),
        status: z.enum(STATUSES).optional(),
      }),
    },
    responses: { 200: jsonResponse(listOf(NotificationSchema), "A page of notifications"), ...errorResponses },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const ownerId = scopedOwner(c.get("principal"), query.owner_id);
    const limit = query.limit ?? 50;
    const rows = await listNotifications(getDb(c.env.DB), {
      ownerId,
      channelId: query.channel_id,
      endpointId: query.endpoint_id,
      kind: query.kind,
      status: query.status,
      beforeId: decodeCursor(query.cursor),
      limit: limit + 1,
    });
    return c.json(page(rows, limit, presentNotification), 200);
  },
);
