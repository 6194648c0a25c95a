// Which endpoints an event goes to: per-owner routing indexes, cached per isolate and revalidated against
// config_versions with one query per batch (any write that changes routing bumps the owner's version).
import type { Db } from "../db/client";
import { readConfigVersions } from "../db/repos/config-versions";
import { loadSubscriptionRoutes } from "../db/repos/routing";
import { buildRoutingIndex, type RoutingIndex, type SubscriptionRoute } from "../domain/event-matching";

interface CachedRouting {
  version: number;
  index: RoutingIndex;
}

/** Bounded so an isolate serving many owners keeps memory flat; the oldest entry goes first. */
const MAX_CACHED_OWNERS = 5_000;
const cache = new Map<string, CachedRouting>();

export function clearRoutingCache(): void {
  cache.clear();
}

function parsePatterns(eventTypes: string): string[] {
  try {
    const parsed: unknown = JSON.parse(eventTypes);
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === "string") : [];
  } catch {
    return [];
  }
}

/** Routing indexes for the given owners; only owners whose config version moved are reloaded from D1. */
export async function routingFor(db: Db, ownerIds: string[]): Promise<Map<string, RoutingIndex>> {
  const owners = [...new Set(ownerIds)];
  const result = new Map<string, RoutingIndex>();
  if (owners.length === 0) return result;
  const versions = await readConfigVersions(db, owners);
  // An owner who never changed config has no row: version 0.
  const versionOf = (owner: string) => versions.get(owner) ?? 0;
  const stale = owners.filter((owner) => cache.get(owner)?.version !== versionOf(owner));

  if (stale.length > 0) {
    // Versions were read before the routes, so a change racing this load leaves a version that no longer
    // matches, and the next batch reloads: the cache can lag one batch, never stick.
    const rows = await loadSubscriptionRoutes(db, stale);
    const byOwner = new Map<string, Map<string, SubscriptionRoute>>();
    for (const owner of stale) byOwner.set(owner, new Map());
    for (const row of rows) {
      const routes = byOwner.get(row.ownerId)!;
      const route = routes.get(row.endpointId) ?? { endpointId: row.endpointId, status: row.status, patterns: [] };
      route.patterns.push(...parsePatterns(row.eventTypes));
      routes.set(row.endpointId, route);
    }
    for (const [owner, routes] of byOwner) {
      cache.delete(owner);
      cache.set(owner, { version: versionOf(owner), index: buildRoutingIndex([...routes.values()]) });
    }
  }
  for (const owner of owners) result.set(owner, cache.get(owner)!.index);
  // Evict after reading, so this batch's own owners are answered even when they are the oldest entries.
  while (cache.size > MAX_CACHED_OWNERS) cache.delete(cache.keys().next().value!);
  return result;
}
