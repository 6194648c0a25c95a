// Where a WebSocket source's connections live (N IngestSocket shards per source) and how they are closed
// when the source's token is rotated or the source is deleted.
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { sources } from "../db/schema";
import type { Env } from "../env";

/**
 * Connections of one source are spread over this many IngestSocket objects (chosen at random per
 * connection), so one busy source is not capped by one object's ~1,000 requests/s.
 */
export const WS_SHARDS = 8;

/** Unanswered frames allowed per connection unless the plain var WS_MAX_IN_FLIGHT (1..1024) says otherwise. */
export const DEFAULT_MAX_IN_FLIGHT_PER_SOCKET = 32;

export function maxInFlightPerSocket(env: Env): number {
  // Not in wrangler.toml on purpose: a tuning knob (and a test hook) whose default suits every deployment.
  const n = Number((env as unknown as Record<string, unknown>).WS_MAX_IN_FLIGHT);
  return Number.isInteger(n) && n >= 1 && n <= 1024 ? n : DEFAULT_MAX_IN_FLIGHT_PER_SOCKET;
}

/** Close code sent when the server ends a connection because its credentials were revoked. */
export const CLOSE_REVOKED = 4001;

/** Headers the Worker sets (overwriting anything the client sent) when it hands a connection over. */
export const HANDOFF_HEADERS = {
  sourceId: "x-hookrelay-source-id",
  ownerId: "x-hookrelay-owner-id",
  tokenVersion: "x-hookrelay-token-version",
  eventType: "x-hookrelay-event-type",
  requestId: "x-request-id",
} as const;

export function shardName(sourceId: string, shard: number): string {
  return `${sourceId}:${shard}`;
}

export function pickShard(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % WS_SHARDS;
}

export function sourceTag(sourceId: string): string {
  return `src:${sourceId}`;
}

export function tokenVersionTag(tokenVersion: number): string {
  return `tv:${tokenVersion}`;
}

export function socketStub(env: Env, sourceId: string, shard: number) {
  return env.INGEST_SOCKET.get(env.INGEST_SOCKET.idFromName(shardName(sourceId, shard)));
}

/**
 * Closes (code 4001, with `reason`) every open connection of a source across all its shards, and makes
 * each shard refuse late connections authorized by the revoked token. Call it AFTER the source row was
 * updated or deleted:
 * - source still there (token rotated): connections opened with a token_version below the row's current
 *   one are closed; connections made with the new token stay open.
 * - source gone (deleted): every connection is closed and the shards refuse any further one.
 * `belowTokenVersion` overrides what is read from the row. Returns how many connections were closed.
 */
export async function closeSourceSockets(
  env: Env,
  sourceId: string,
  reason: string,
  belowTokenVersion?: number,
): Promise<number> {
  let below = belowTokenVersion;
  if (below === undefined) {
    const row = await getDb(env.DB)
      .select({ tokenVersion: sources.tokenVersion })
      .from(sources)
      .where(eq(sources.id, sourceId))
      .get();
    below = row ? row.tokenVersion : Number.MAX_SAFE_INTEGER;
  }
  const closed = await Promise.all(
    Array.from({ length: WS_SHARDS }, (_, shard) => socketStub(env, sourceId, shard).closeSource(sourceId, reason, below)),
  );
  return closed.reduce((sum, n) => sum + n, 0);
}
