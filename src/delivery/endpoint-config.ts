// The EndpointDO's view of its endpoint: the D1 row reduced to what delivery needs, stored (secrets still
// encrypted) in the object's storage, and opened (secrets decrypted) only in memory.
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { endpoints } from "../db/schema";
import { decryptSecret } from "../domain/crypto";
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_RETRY_POLICY, EndpointAuth, MAX_IN_FLIGHT_CEILING, RateLimit, RetryPolicy } from "../domain/schemas";
import type { z } from "@hono/zod-openapi";
import type { Env } from "../env";
import type { FailureCounters } from "./failure-tracker";
import type { RateLimitConfig } from "./rate-limit";

/** What the object stores: no plaintext secrets. */
export interface EndpointSnapshot {
  id: string;
  ownerId: string;
  /** "relay": attempts go over `hookrelay listen`'s WebSocket (relay-channel.ts), never to `url` (''). Absent in older stored snapshots: http. */
  kind?: "http" | "relay";
  url: string;
  status: "active" | "disabled";
  timeoutMs: number;
  maxInFlight: number;
  rateLimit: RateLimitConfig | null;
  retry: RetryPolicy;
  secretEnc: string;
  previousSecretEnc: string | null;
  previousSecretExpiresAt: number | null;
  authEnc: string | null;
  counters: FailureCounters;
}

/** The snapshot with its secrets opened, kept only in memory. */
export interface OpenedEndpoint extends EndpointSnapshot {
  secret: string;
  previousSecret: string | null;
  auth: z.infer<typeof EndpointAuth> | null;
}

/** Reads the endpoint row; null when it no longer exists (deleted). Throws when D1 is unreachable. */
export async function readEndpointSnapshot(env: Env, endpointId: string): Promise<EndpointSnapshot | null> {
  const row = await getDb(env.DB).select().from(endpoints).where(eq(endpoints.id, endpointId)).get();
  if (!row) return null;
  const retry = RetryPolicy.safeParse(safeJson(row.retry));
  const rate = row.rateLimit ? RateLimit.safeParse(safeJson(row.rateLimit)) : null;
  return {
    id: row.id,
    ownerId: row.ownerId,
    kind: row.kind,
    url: row.url,
    status: row.status,
    timeoutMs: row.timeoutMs,
    // More than 6 connections waiting for headers at once stall inside one invocation (platform limit).
    // A listener forwards one delivery at a time, in order: more in flight would only queue in the CLI and
    // spend their timeout there.
    maxInFlight: row.kind === "relay" ? 1 : Math.min(Math.max(1, row.maxInFlight || DEFAULT_MAX_IN_FLIGHT), MAX_IN_FLIGHT_CEILING),
    rateLimit: rate?.success ? rate.data : null,
    retry: retry.success ? retry.data : DEFAULT_RETRY_POLICY,
    secretEnc: row.secretEnc,
    previousSecretEnc: row.previousSecretEnc,
    previousSecretExpiresAt: row.previousSecretExpiresAt,
    authEnc: row.authEnc,
    counters: {
      consecutiveFailures: row.consecutiveFailures,
      failingSince: row.failingSince,
      failureEpisode: row.failureEpisode,
    },
  };
}

export async function openSnapshot(env: Env, snap: EndpointSnapshot): Promise<OpenedEndpoint> {
  const secret = await decryptSecret(snap.secretEnc, env.ENCRYPTION_KEY);
  const previousSecret = snap.previousSecretEnc ? await decryptSecret(snap.previousSecretEnc, env.ENCRYPTION_KEY) : null;
  const auth = snap.authEnc ? EndpointAuth.parse(JSON.parse(await decryptSecret(snap.authEnc, env.ENCRYPTION_KEY))) : null;
  return { ...snap, secret, previousSecret, auth };
}

/** The secrets that sign an attempt made at `nowMs`: the current one, plus the previous one within its window. */
export function signingSecrets(ep: OpenedEndpoint, nowMs: number): string[] {
  const out = [ep.secret];
  if (ep.previousSecret && ep.previousSecretExpiresAt !== null && ep.previousSecretExpiresAt > nowMs) out.push(ep.previousSecret);
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
