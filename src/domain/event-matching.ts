// Pure subscription matching: which endpoints' patterns (exact, `prefix.*`, `*`) match an event type.
// The routing index answers a match in O(depth of the event type), not O(number of subscriptions).

/** Whether one subscription pattern matches an event type. `prefix.*` matches any depth below, never the bare prefix. */
export function patternMatches(pattern: string, eventType: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) {
    const prefix = pattern.slice(0, -2);
    return eventType.length > prefix.length + 1 && eventType.startsWith(`${prefix}.`);
  }
  return pattern === eventType;
}

export interface RoutedEndpoint {
  endpointId: string;
  status: "active" | "disabled";
}

export interface SubscriptionRoute extends RoutedEndpoint {
  patterns: string[];
}

/** One owner's subscriptions, indexed by pattern kind. */
export interface RoutingIndex {
  exact: Map<string, Set<string>>;
  prefix: Map<string, Set<string>>;
  everything: Set<string>;
  endpoints: Map<string, RoutedEndpoint>;
}

function addTo(map: Map<string, Set<string>>, key: string, endpointId: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(endpointId);
}

export function buildRoutingIndex(routes: SubscriptionRoute[]): RoutingIndex {
  const index: RoutingIndex = { exact: new Map(), prefix: new Map(), everything: new Set(), endpoints: new Map() };
  for (const route of routes) {
    index.endpoints.set(route.endpointId, { endpointId: route.endpointId, status: route.status });
    for (const pattern of route.patterns) {
      if (pattern === "*") index.everything.add(route.endpointId);
      else if (pattern.endsWith(".*")) addTo(index.prefix, pattern.slice(0, -2), route.endpointId);
      else addTo(index.exact, pattern, route.endpointId);
    }
  }
  return index;
}

/**
 * The endpoints whose subscriptions match `eventType`, each once, in a stable order (by endpoint id).
 * A prefix pattern `p.*` matches when `p` is a proper prefix of the event type ending right before a dot.
 */
export function matchEndpoints(index: RoutingIndex, eventType: string): RoutedEndpoint[] {
  const ids = new Set<string>(index.everything);
  for (const id of index.exact.get(eventType) ?? []) ids.add(id);
  if (index.prefix.size > 0) {
    // The last character is never a split point: `p.*` must not match the bare `p.` with nothing below.
    for (let i = eventType.indexOf("."); i !== -1 && i < eventType.length - 1; i = eventType.indexOf(".", i + 1)) {
      for (const id of index.prefix.get(eventType.slice(0, i)) ?? []) ids.add(id);
    }
  }
  return [...ids].sort().map((id) => index.endpoints.get(id)!);
}
