// GET /ingest/ws/:source_id — authenticates a WebSocket source's token before the upgrade, then hands the
// connection to one of the source's IngestSocket shards (which speak the frame protocol).
import { Hono } from "hono";
import { eq } from "drizzle-orm";
import type { AppEnv } from "../env";
import { getDb, type Db } from "../db/client";
import { sources } from "../db/schema";
import { constantTimeEqual, sha256Hex } from "../domain/crypto";
import { bearerToken } from "../http/middleware/auth";
import { AppError } from "../http/errors";
import { HANDOFF_HEADERS, pickShard, socketStub } from "./ws-sockets";

export const wsRoutes = new Hono<AppEnv>();

interface WebSocketSource {
  id: string;
  type: string;
  ownerId: string;
  eventType: string | null;
  tokenHash: string | null;
  tokenVersion: number;
  status: string;
}

/** The few columns a connection needs (own query: the sources repo belongs to the sources CRUD). */
function findSource(db: Db, id: string): Promise<WebSocketSource | undefined> {
  return db
    .select({
      id: sources.id,
      type: sources.type,
      ownerId: sources.ownerId,
      eventType: sources.eventType,
      tokenHash: sources.tokenHash,
      tokenVersion: sources.tokenVersion,
      status: sources.status,
    })
    .from(sources)
    .where(eq(sources.id, id))
    .get();
}

/** Header wins over ?token= (query strings end up in logs; the header is the recommended way). */
function presentedToken(authorization: string | undefined, query: string | undefined): string | null {
  return bearerToken(authorization) ?? (query ? query : null);
}

async function tokenMatches(presented: string, tokenHash: string | null): Promise<boolean> {
  if (!tokenHash) return false;
  return constantTimeEqual(await sha256Hex(presented), tokenHash);
}

wsRoutes.get("/:source_id", async (c) => {
  const sourceId = c.req.param("source_id");
  const source = sourceId.length <= 100 ? await findSource(getDb(c.env.DB), sourceId) : undefined;
  if (!source || source.type !== "websocket") throw new AppError("not_found", `No WebSocket source ${sourceId}.`);

  const token = presentedToken(c.req.header("authorization"), c.req.query("token"));
  if (!token) throw new AppError("unauthorized", "Missing source token (Authorization: Bearer <token> or ?token=).");
  if (!(await tokenMatches(token, source.tokenHash))) throw new AppError("unauthorized", "Invalid source token.");
  if (source.status !== "active") throw new AppError("forbidden", `The source is ${source.status}.`);

  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    return c.json(
      {
        type: "https://hookrelay.dev/problems/upgrade-required",
        title: "Upgrade required",
        status: 426,
        code: "upgrade_required",
        detail: "This URL speaks WebSocket only: send an Upgrade: websocket request.",
        request_id: c.get("requestId"),
      },
      426,
      { "content-type": "application/problem+json", upgrade: "websocket", connection: "Upgrade" },
    );
  }

  // Identity travels in headers the Worker sets; whatever the client sent under these names is replaced.
  const headers = new Headers(c.req.raw.headers);
  headers.delete("authorization");
  headers.set(HANDOFF_HEADERS.sourceId, source.id);
  headers.set(HANDOFF_HEADERS.ownerId, source.ownerId);
  headers.set(HANDOFF_HEADERS.tokenVersion, String(source.tokenVersion));
  if (source.eventType) headers.set(HANDOFF_HEADERS.eventType, source.eventType);
  else headers.delete(HANDOFF_HEADERS.eventType);
  headers.set(HANDOFF_HEADERS.requestId, c.get("requestId"));

  const url = new URL(c.req.url);
  url.searchParams.delete("token"); // the object needs no credentials, and should not see them
  const res = await socketStub(c.env, source.id, pickShard()).fetch(new Request(url, { method: "GET", headers }));
  // A fresh Response: the one from the stub has immutable headers, and middleware adds x-request-id.
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: res.headers, webSocket: res.webSocket });
});
