// /v1/portal-links — customer portal links: the dashboard signed in as one owner until expires_at. The
// token is returned once, inside `url`, and stored only as a hash. /v1/portal/session tells the portal who it is.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getDb } from "../../db/client";
import {
  getPortalLink,
  insertPortalLink,
  listPortalLinks,
  pruneExpiredPortalLinks,
  revokePortalLink,
  type PortalLinkRow,
} from "../../db/repos/portal-links";
import { randomToken, sha256Hex } from "../../domain/crypto";
import { isIdOf, newId } from "../../domain/ids";
import { ListQuery, listOf, OwnerId, Timestamp } from "../../domain/schemas";
import { toIso } from "../../domain/time";
import type { AppEnv } from "../../env";
import { AppError } from "../errors";
import { assertOwns, scopedOwner } from "../middleware/auth";
import { PORTAL_TOKEN_PREFIX } from "../middleware/portal-auth";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";

export const PORTAL_TTL = { min: 60, max: 604_800, default: 3_600 } as const;

const HttpsUrl = z
  .string()
  .max(2000)
  .url()
  .refine((v) => v.startsWith("https://"), "an https URL");

export const PortalTheme = z
  .object({
    primary_color: z.string().regex(/^#[0-9a-fA-F]{6}$/, "a colour as #rrggbb").optional(),
    logo_url: HttpsUrl.optional(),
  })
  .strict()
  .openapi("PortalTheme");
type PortalTheme = z.infer<typeof PortalTheme>;

const PortalLinkCreate = z
  .object({
    owner_id: OwnerId.optional().openapi({
      description: "The owner. Required with the admin key; an owner-scoped key defaults to (and may only name) its own owner.",
    }),
    owner_name: z.string().min(1).max(200).optional().openapi({ description: "Shown in the portal's header; default: the owner id." }),
    ttl_seconds: z.number().int().min(PORTAL_TTL.min).max(PORTAL_TTL.max).optional().openapi({ default: PORTAL_TTL.default }),
    read_only: z.boolean().optional().openapi({ default: false }),
    theme: PortalTheme.optional(),
  })
  .strict()
  .openapi("PortalLinkCreate");

const PortalLinkSchema = z
  .object({
    id: z.string(),
    owner_id: z.string(),
    owner_name: z.string().nullable(),
    read_only: z.boolean(),
    theme: PortalTheme.nullable(),
    status: z.enum(["active", "expired", "revoked"]),
    expires_at: Timestamp,
    revoked_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .openapi("PortalLink");

const PortalLinkCreated = PortalLinkSchema.extend({
  url: z.string().openapi({ description: "Opens the portal; holds the link's token. Shown this once." }),
}).openapi("PortalLinkCreated");

const PortalSession = z
  .object({
    link_id: z.string(),
    owner_id: z.string(),
    owner_name: z.string().nullable(),
    read_only: z.boolean(),
    theme: PortalTheme.nullable(),
    expires_at: Timestamp,
  })
  .openapi("PortalSession");

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

function parseTheme(row: PortalLinkRow): PortalTheme | null {
  return row.theme ? (JSON.parse(row.theme) as PortalTheme) : null;
}

function statusOf(row: PortalLinkRow, now: number): "active" | "expired" | "revoked" {
  if (row.revokedAt !== null) return "revoked";
  return row.expiresAt <= now ? "expired" : "active";
}

function present(row: PortalLinkRow, now = Date.now()) {
  return {
    id: row.id,
    owner_id: row.ownerId,
    owner_name: row.ownerName,
    read_only: row.readOnly,
    theme: parseTheme(row),
    status: statusOf(row, now),
    expires_at: toIso(row.expiresAt),
    revoked_at: toIso(row.revokedAt),
    created_at: toIso(row.createdAt),
  };
}

/**
 * The link opens /portal with the token in the fragment: a fragment is never sent to a server, so it stays
 * out of access logs and Referer headers; the portal reads it and removes it from the address bar.
 */
function portalUrl(c: Context<AppEnv>, token: string): string {
  const origin = new URL(c.get("config").dashboardUrl ?? c.req.url).origin;
  return `${origin}/portal#token=${token}`;
}

export const portalLinkRoutes = createRouter();

portalLinkRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["Portal links"],
    summary: "Create a customer portal link",
    description: "Admin key, or an owner key for its own owner. The `url` (with the link's token) is shown this once.",
    security,
    request: { body: jsonBody(PortalLinkCreate) },
    responses: { 201: jsonResponse(PortalLinkCreated, "The link, its url shown this once"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const ownerId = scopedOwner(c.get("principal"), body.owner_id);
    if (!ownerId) {
      throw new AppError("validation_failed", "The admin key must name the owner.", [{ path: "owner_id", message: "owner_id is required with the admin key" }]);
    }
    const now = Date.now();
    const token = randomToken(PORTAL_TOKEN_PREFIX, 32);
    const theme = body.theme && Object.keys(body.theme).length > 0 ? body.theme : null;
    const row: PortalLinkRow = {
      id: newId("ptl", now),
      ownerId,
      ownerName: body.owner_name ?? null,
      tokenHash: await sha256Hex(token),
      readOnly: body.read_only ?? false,
      theme: theme ? JSON.stringify(theme) : null,
      expiresAt: now + (body.ttl_seconds ?? PORTAL_TTL.default) * 1000,
      revokedAt: null,
      createdAt: now,
    };
    const db = getDb(c.env.DB);
    // Links that ended longer ago than the retention window are of no further use, even for an audit.
    await pruneExpiredPortalLinks(db, ownerId, now - c.get("config").retentionDays * 86_400_000);
    await insertPortalLink(db, row);
    return c.json({ ...present(row, now), url: portalUrl(c, token) }, 201);
  },
);

portalLinkRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Portal links"],
    summary: "List portal links (without their url)",
    security,
    request: { query: ListQuery.extend({ owner_id: OwnerId.optional() }) },
    responses: { 200: jsonResponse(listOf(PortalLinkSchema), "A page of links"), ...errorResponses },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const ownerId = scopedOwner(c.get("principal"), query.owner_id);
    const limit = query.limit ?? 50;
    const rows = await listPortalLinks(getDb(c.env.DB), { ownerId, beforeId: decodeCursor(query.cursor), limit: limit + 1 });
    const now = Date.now();
    return c.json(page(rows, limit, (row) => present(row, now)), 200);
  },
);

portalLinkRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags: ["Portal links"],
    summary: "Revoke a portal link (effective at once)",
    security,
    request: { params: IdParam },
    responses: { 204: { description: "Revoked" }, ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const db = getDb(c.env.DB);
    const row = isIdOf("ptl", id) ? await getPortalLink(db, id) : undefined;
    if (!row) throw new AppError("not_found", "Portal link not found.");
    assertOwns(c.get("principal"), row.ownerId, "Portal link");
    // Tokens are checked against this row on every request (portal-auth.ts): nothing cached to evict.
    await revokePortalLink(db, id, Date.now());
    return c.body(null, 204);
  },
);

export const portalSessionRoutes = createRouter();

portalSessionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/session",
    tags: ["Portal links"],
    summary: "The portal link behind this request: owner, read-only flag, theme, expiry",
    description: "Only with a portal link's token (the portal dashboard calls it after opening a link).",
    security,
    responses: { 200: jsonResponse(PortalSession, "The link's session"), ...errorResponses },
  }),
  async (c) => {
    const principal = c.get("principal");
    if (principal.kind !== "owner" || !principal.portal) {
      throw new AppError("forbidden", "Only a portal link's token has a portal session.");
    }
    const row = await getPortalLink(getDb(c.env.DB), principal.portal.linkId);
    if (!row) throw new AppError("unauthorized", "Invalid portal link.");
    return c.json(
      {
        link_id: row.id,
        owner_id: row.ownerId,
        owner_name: row.ownerName,
        read_only: row.readOnly,
        theme: parseTheme(row),
        expires_at: toIso(row.expiresAt),
      },
      200,
    );
  },
);
