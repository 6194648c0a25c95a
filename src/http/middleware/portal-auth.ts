// Portal link tokens (hrp_…): a link's token acts like an owner key of the link's owner, but only on the /v1
// routes the portal dashboard uses, and a read-only link only reads. Called from requireAuth (auth.ts).
import { getDb } from "../../db/client";
import { findPortalLinkByHash } from "../../db/repos/portal-links";
import { sha256Hex } from "../../domain/crypto";
import { AppError } from "../errors";
import type { Principal } from "./auth";

export const PORTAL_TOKEN_PREFIX = "hrp_";

export function isPortalToken(token: string): boolean {
  return token.startsWith(PORTAL_TOKEN_PREFIX);
}

/**
 * The /v1 areas a portal may reach: the owner's endpoints (with their stats, secret, test event and batch
 * retry), subscriptions, events, deliveries, retry jobs and notification channels, and its own session.
 * Everything else — API keys, portal links themselves, sources, dead letters, metrics, anything added later —
 * is refused until it is listed here on purpose.
 */
const PORTAL_AREAS = [
  "/v1/endpoints",
  "/v1/subscriptions",
  "/v1/events",
  "/v1/deliveries",
  "/v1/jobs",
  "/v1/notification-channels",
  "/v1/notifications",
  "/v1/portal/session",
];

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether a portal token may call `method path` at all (its read-only flag is checked separately). */
export function portalMayUse(method: string, path: string): boolean {
  if (!PORTAL_AREAS.some((area) => path === area || path.startsWith(`${area}/`))) return false;
  // Ingesting events is the producer's job, not the portal's: the portal reads events and replays them.
  if ((path === "/v1/events" || path === "/v1/events/batch") && !READS.has(method)) return false;
  // A relay listener connection is a client integration, not a page of the portal.
  if (/^\/v1\/endpoints\/[^/]+\/listen$/.test(path)) return false;
  return true;
}

/**
 * Resolves a portal token to an owner principal, or throws 401 (unknown, expired, revoked) / 403 (a route
 * outside the portal, or a write through a read-only link). Deliberately uncached: revocation and expiry
 * must hold on the very next request in every isolate, and portal traffic is one person's clicks — a single
 * indexed D1 read per call.
 */
export async function authenticatePortalToken(
  db: D1Database,
  token: string,
  request: { method: string; path: string },
  now: number = Date.now(),
): Promise<Principal> {
  const link = await findPortalLinkByHash(getDb(db), await sha256Hex(token));
  if (!link) throw new AppError("unauthorized", "Invalid portal link.");
  if (link.revokedAt !== null) throw new AppError("unauthorized", "This portal link has been revoked.");
  if (link.expiresAt <= now) throw new AppError("unauthorized", "This portal link has expired.");
  if (!portalMayUse(request.method, request.path)) {
    throw new AppError("forbidden", `A portal link cannot use ${request.method} ${request.path}.`);
  }
  if (link.readOnly && !READS.has(request.method)) {
    throw new AppError("forbidden", "This portal link is read-only.");
  }
  return { kind: "owner", ownerId: link.ownerId, keyId: link.id, portal: { linkId: link.id, readOnly: link.readOnly } };
}
