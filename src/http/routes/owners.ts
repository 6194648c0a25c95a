// /v1/owners (admin): the owners HookRelay knows, for pickers — history lists name the owner they read.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { listOwners } from "../../db/repos/owners";
import { ListQuery, listOf, Timestamp } from "../../domain/schemas";
import { toIso } from "../../domain/time";
import { AppError } from "../errors";
import { requireAdmin } from "../middleware/auth";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi";

const OwnerSchema = z
  .object({ owner_id: z.string(), endpoints: z.number().int(), created_at: Timestamp })
  .openapi("Owner");

/** Owner ids are free text, so the cursor is the last one, encoded (ids of ours are not involved). */
function encode(ownerId: string): string {
  return btoa(encodeURIComponent(ownerId)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decode(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  try {
    return decodeURIComponent(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
  } catch {
    throw new AppError("invalid_cursor", "The cursor is malformed; use next_cursor from a previous page.");
  }
}

export const ownersRoutes = createRouter();

ownersRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Owners"],
    summary: "Owners known from endpoints, keys, sources and ingest (admin)",
    security,
    request: { query: ListQuery },
    responses: { 200: jsonResponse(listOf(OwnerSchema), "A page of owners in id order"), ...errorResponses },
  }),
  async (c) => {
    requireAdmin(c.get("principal"));
    const query = c.req.valid("query");
    const limit = query.limit ?? 50;
    const rows = await listOwners(getDb(c.env.DB), decode(query.cursor), limit + 1);
    const page = rows.slice(0, limit);
    return c.json(
      {
        data: page.map((r) => ({ owner_id: r.owner_id, endpoints: r.endpoints, created_at: toIso(r.created_at)! })),
        next_cursor: rows.length > limit ? encode(page[page.length - 1]!.owner_id) : null,
      },
      200,
    );
  },
);
