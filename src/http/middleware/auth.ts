// Bearer authentication: the admin key (ADMIN_API_KEY secret) or an owner-scoped key looked up by hash.
import { createMiddleware } from "hono/factory";
import { sharedCache, type SharedCache } from "../../cache/cache";
import { countLookup } from "../../cache/stats";
import { getDb } from "../../db/client";
import { findApiKeyByHash } from "../../db/repos/api-keys";
import { constantTimeEqual, sha256Hex } from "../../domain/crypto";
import type { AppEnv } from "../../env";
import { AppError } from "../errors";
import { KeyCache } from "./key-cache";
import { authenticatePortalToken, isPortalToken } from "./portal-auth";

/** `portal`: the owner principal came from a portal link (portal-auth.ts), not from an API key. */
export type Principal =
  | { kind: "admin" }
  | { kind: "owner"; ownerId: string; keyId: string; portal?: { linkId: string; readOnly: boolean } };

// Owner-key lookups are cached per isolate for a short time, bounded in size (key-cache.ts); deleting a
// key evicts it here at once (other isolates within KEY_CACHE_DEFAULTS.ttlMs). With Redis, found keys are
// also shared between isolates for SHARED_KEY_TTL_S. Deleting a key replaces its entry with a tombstone for
// as long, and fills only write where nothing is (SET NX): a lookup that read D1 just before the delete
// cannot put the key back.
const SHARED_KEY_TTL_S = 60;
const keyCache = new KeyCache<Principal>();

type SharedKeyEntry = Principal | { kind: "revoked" };
const sharedKeyOf = (keyHash: string) => `apikey:${keyHash}`;

export async function forgetApiKey(keyHash: string, shared?: SharedCache): Promise<void> {
  keyCache.delete(keyHash);
  if (shared?.kind !== "redis") return;
  await shared.setMany([[sharedKeyOf(keyHash), { kind: "revoked" } satisfies SharedKeyEntry]], SHARED_KEY_TTL_S);
  // Confirm it landed: a Redis that missed it could serve the deleted key until the entry's TTL runs out.
  const now = (await shared.getMany<SharedKeyEntry>([sharedKeyOf(keyHash)])).get(sharedKeyOf(keyHash));
  if (now?.kind !== "revoked") {
    console.error(JSON.stringify({ level: "error", msg: "deleted api key not tombstoned in redis", ttl_s: SHARED_KEY_TTL_S }));
  }
}

export function clearApiKeyCache(): void {
  keyCache.clear();
}

export async function resolvePrincipal(
  db: D1Database,
  adminKey: string | undefined,
  presented: string,
  shared?: SharedCache,
): Promise<Principal | null> {
  if (adminKey && (await constantTimeEqual(presented, adminKey))) return { kind: "admin" };
  if (!presented.startsWith("hr_")) return null;
  const keyHash = await sha256Hex(presented);
  const cached = keyCache.get(keyHash);
  if (cached !== undefined) return cached;
  const useShared = shared?.kind === "redis";
  const hit = useShared ? (await shared.getMany<SharedKeyEntry>([sharedKeyOf(keyHash)])).get(sharedKeyOf(keyHash)) : undefined;
  if (hit?.kind === "owner" || hit?.kind === "revoked") {
    const principal = hit.kind === "owner" ? hit : null;
    keyCache.set(keyHash, principal);
    return principal;
  }
  const row = await findApiKeyByHash(getDb(db), keyHash);
  countLookup("d1_api_key_reads");
  // The hash lookup already selected the row; the constant-time compare guards against index quirks.
  const principal: Principal | null =
    row && (await constantTimeEqual(row.keyHash, keyHash)) ? { kind: "owner", ownerId: row.ownerId, keyId: row.id } : null;
  keyCache.set(keyHash, principal);
  // Unknown keys stay out of Redis: anyone can present garbage, and it must not fill a shared store.
  if (useShared && principal) await shared.setMany([[sharedKeyOf(keyHash), principal]], SHARED_KEY_TTL_S, { ifAbsent: true });
  return principal;
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1]!.trim() : null;
}

/** Says what the header must look like: a bare key (no `Bearer `) is the most common first mistake. */
export function missingKeyMessage(header: string | undefined): string {
  const expected = 'Send the key as the header "Authorization: Bearer <api key>"';
  if (!header?.trim()) return `Missing API key. ${expected}.`;
  return `The Authorization header must start with "Bearer ". ${expected} (the admin key is ADMIN_API_KEY in .dev.vars locally).`;
}

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  const token = bearerToken(header);
  if (!token) throw new AppError("unauthorized", missingKeyMessage(header));
  if (isPortalToken(token)) {
    c.set("principal", await authenticatePortalToken(c.env.DB, token, { method: c.req.method, path: new URL(c.req.url).pathname }));
    return next();
  }
  const principal = await resolvePrincipal(c.env.DB, c.env.ADMIN_API_KEY, token, sharedCache(c.env));
  if (!principal) throw new AppError("unauthorized", "Invalid API key.");
  c.set("principal", principal);
  await next();
});

export function isAdmin(principal: Principal): boolean {
  return principal.kind === "admin";
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== "admin") throw new AppError("forbidden", "This action needs the admin key.");
}

/**
 * The owner a request acts for. An owner key may only name its own owner (else 403); the admin key
 * may name any owner, or none (then `undefined`: all owners).
 */
export function scopedOwner(principal: Principal, requested: string | undefined): string | undefined {
  if (principal.kind === "admin") return requested;
  if (requested !== undefined && requested !== principal.ownerId) {
    throw new AppError("forbidden", "This API key cannot act for another owner.");
  }
  return principal.ownerId;
}

/** Throws not_found when a resource belongs to another owner: other owners' ids are indistinguishable from unknown ones. */
export function assertOwns(principal: Principal, ownerId: string | null | undefined, what: string): void {
  if (principal.kind === "admin") return;
  if (ownerId !== principal.ownerId) throw new AppError("not_found", `${what} not found.`);
}
