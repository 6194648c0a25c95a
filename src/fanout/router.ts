// Which endpoints an event goes to: per-owner routing indexes (patterns and compiled filters), cached per isolate and revalidated against
// config_versions (any write that changes routing bumps the owner's version) — at most once per CONFIG_VERSION_TRUST_MS
// per owner, which stays exact because such writes answer only after ROUTING_CHANGE_SETTLE_MS (config-versions.ts).
// With Redis, an isolate that lacks an owner's current routes takes them from Redis before D1.
import type { SharedCache } from "../cache/cache";
import { countLookup } from "../cache/stats";
import type { Db } from "../db/client";
import { CONFIG_VERSION_TRUST_MS, readConfigVersions } from "../db/repos/config-versions";
import { loadSubscriptionRoutes } from "../db/repos/routing";
import { buildRoutingIndex, type RoutingIndex, type SubscriptionRoute } from "../domain/event-matching";

interface CachedRouting {
  version: number;
  index: RoutingIndex;
  /** When the read that confirmed `version` was issued: trusted until CONFIG_VERSION_TRUST_MS after. */
  checkedAt: number;
}

/** Bounded so an isolate serving many owners keeps memory flat; the oldest entry goes first. */
const MAX_CACHED_OWNERS = 5_000;
/**
 * Shared entries are keyed by (owner, config version), so a newer version never reads an older entry: no
 * delete has to reach Redis for routing to be right. The TTL only collects versions nobody asks for.
 */
const SHARED_ROUTES_TTL_S = 3_600;

export interface Router {
  routingFor(db: Db, ownerIds: string[], shared?: SharedCache): Promise<Map<string, RoutingIndex>>;
  clear(): void;
}

/** The isolate's router; tests create more to stand for other isolates (each with its own memory). */
const isolateRouter = createRouter();

export function clearRoutingCache(): void {
  isolateRouter.clear();
}

/** Routing indexes for the given owners; only owners whose config version moved are reloaded. */
export function routingFor(db: Db, ownerIds: string[], shared?: SharedCache): Promise<Map<string, RoutingIndex>> {
  return isolateRouter.routingFor(db, ownerIds, shared);
}

export function sharedRoutesKey(owner: string, version: number): string {
  return `routes:${version}:${owner}`;
}

function parsePatterns(eventTypes: string): string[] {
  try {
    const parsed: unknown = JSON.parse(eventTypes);
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === "string") : [];
  } catch {
    return [];
  }
}

/**
 * A stored filter, or null for none. Text that is not a JSON object (never written by the API) becomes a filter
 * that can match nothing, so a damaged row withholds deliveries rather than widening them.
 */
function parseFilter(filter: string | null): Record<string, unknown> | null {
  if (filter === null) return null;
  try {
    const parsed: unknown = JSON.parse(filter);
    if (parsed === null) return null;
    if (typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { $never: true };
}

/** `now`: the clock the trust window is measured on (tests pass their own). */
export function createRouter({ now = Date.now }: { now?: () => number } = {}): Router {
  const cache = new Map<string, CachedRouting>();

  async function loadFromD1(db: Db, owners: string[]): Promise<Map<string, SubscriptionRoute[]>> {
    const rows = await loadSubscriptionRoutes(db, owners);
    countLookup("d1_route_reads", Math.ceil(owners.length / 90));
    const byOwner = new Map<string, Map<string, SubscriptionRoute>>();
    for (const owner of owners) byOwner.set(owner, new Map());
    for (const row of rows) {
      const routes = byOwner.get(row.ownerId)!;
      const route = routes.get(row.endpointId) ?? { endpointId: row.endpointId, status: row.status, patterns: [] };
      const filter = parseFilter(row.filter);
      if (filter === null) route.patterns.push(...parsePatterns(row.eventTypes));
      else (route.filtered ??= []).push({ patterns: parsePatterns(row.eventTypes), filter });
      routes.set(row.endpointId, route);
    }
    return new Map([...byOwner].map(([owner, routes]) => [owner, [...routes.values()]]));
  }

  return {
    clear: () => cache.clear(),
    async routingFor(db, ownerIds, shared) {
      const owners = [...new Set(ownerIds)];
      const result = new Map<string, RoutingIndex>();
      if (owners.length === 0) return result;
      const checkedAt = now();
      const unchecked = owners.filter((owner) => checkedAt - (cache.get(owner)?.checkedAt ?? -Infinity) >= CONFIG_VERSION_TRUST_MS);
      const versions = unchecked.length > 0 ? await readConfigVersions(db, unchecked) : new Map<string, number>();
      if (unchecked.length > 0) countLookup("d1_config_version_reads", Math.ceil(unchecked.length / 90));
      // An owner who never changed config has no row: version 0.
      const versionOf = (owner: string) => versions.get(owner) ?? 0;
      const stale = unchecked.filter((owner) => cache.get(owner)?.version !== versionOf(owner));
      // Still at the version just read: trusted for another window from this read.
      for (const owner of unchecked) {
        const entry = cache.get(owner);
        if (entry && entry.version === versionOf(owner)) entry.checkedAt = checkedAt;
      }

      if (stale.length > 0) {
        // Versions were read before the routes, so a change racing this load leaves a version that no longer
        // matches, and the next check (within a trust window) reloads: the cache can lag, never stick. Shared entries are
        // written under the version read before their load, so the same holds for every isolate reading them.
        const useShared = shared?.kind === "redis";
        const fromShared = useShared
          ? await shared.getMany<SubscriptionRoute[]>(stale.map((o) => sharedRoutesKey(o, versionOf(o))))
          : new Map<string, SubscriptionRoute[]>();
        const routesOf = new Map<string, SubscriptionRoute[]>();
        for (const owner of stale) {
          const hit = fromShared.get(sharedRoutesKey(owner, versionOf(owner)));
          if (hit) routesOf.set(owner, hit);
        }
        const missing = stale.filter((o) => !routesOf.has(o));
        if (missing.length > 0) {
          const loaded = await loadFromD1(db, missing);
          for (const [owner, routes] of loaded) routesOf.set(owner, routes);
          if (useShared) {
            await shared.setMany(
              missing.map((o) => [sharedRoutesKey(o, versionOf(o)), loaded.get(o)!] as const),
              SHARED_ROUTES_TTL_S,
            );
          }
        }
        for (const [owner, routes] of routesOf) {
          cache.delete(owner);
          cache.set(owner, { version: versionOf(owner), index: buildRoutingIndex(routes), checkedAt });
        }
      }
      for (const owner of owners) result.set(owner, cache.get(owner)!.index);
      // Evict after reading, so this batch's own owners are answered even when they are the oldest entries.
      while (cache.size > MAX_CACHED_OWNERS) cache.delete(cache.keys().next().value!);
      return result;
    },
  };
}
