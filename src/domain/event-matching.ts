// Pure subscription matching: which endpoints' patterns (exact, `prefix.*`, `*`) match an event type, and
// which of those subscriptions' filters the event satisfies. The routing index answers the type match in
// O(depth of the event type), not O(number of subscriptions); filters cost one evaluation per type match.
import { compileFilterOrNever, type FilterDocument, type FilterPredicate } from "./filter-eval";


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

/**
 * What routes an endpoint: the patterns of its unfiltered subscriptions, merged, and each filtered subscription
 * on its own (its filter applies to its own patterns only). Plain JSON: the shared cache stores it as is, and an
 * entry written before filters existed (no `filtered`) reads as "no filtered subscriptions".
 */
export interface SubscriptionRoute extends RoutedEndpoint {
  patterns: string[];
  filtered?: FilteredSubscription[];
}

export interface FilteredSubscription {
  patterns: string[];
  filter: Record<string, unknown>;
}

/** One entry of the index: an endpoint, and the predicate of the subscription that put it there (if filtered). */
interface IndexEntry {
  endpoint: RoutedEndpoint;
  test?: FilterPredicate;
}

/** One owner's subscriptions, indexed by pattern kind; sets hold positions in `entries`. */
export interface RoutingIndex {
  exact: Map<string, Set<number>>;
  prefix: Map<string, Set<number>>;
  everything: Set<number>;
  entries: IndexEntry[];
}

/** The event as matching sees it; `payload` is the serialized JSON, parsed only if a filter needs it. */
export interface MatchableEvent {
  eventType: string;
  ownerId: string;
  payload: string;
}

export interface MatchResult {
  /** Endpoints to deliver to, each once, by endpoint id. */
  targets: RoutedEndpoint[];
  /** Subscriptions that matched the event's type but not its filter (API.md `filtered_out`). */
  filteredOut: number;
}

function addTo(map: Map<string, Set<number>>, key: string, entry: number): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(entry);
}

function indexPatterns(index: RoutingIndex, patterns: string[], entry: number): void {
  for (const pattern of patterns) {
    if (pattern === "*") index.everything.add(entry);
    else if (pattern.endsWith(".*")) addTo(index.prefix, pattern.slice(0, -2), entry);
    else addTo(index.exact, pattern, entry);
  }
}

/** Filters are compiled here, once per index build, not once per event. */
export function buildRoutingIndex(routes: SubscriptionRoute[]): RoutingIndex {
  const index: RoutingIndex = { exact: new Map(), prefix: new Map(), everything: new Set(), entries: [] };
  for (const route of routes) {
    const endpoint: RoutedEndpoint = { endpointId: route.endpointId, status: route.status };
    if (route.patterns.length > 0) indexPatterns(index, route.patterns, index.entries.push({ endpoint }) - 1);
    for (const sub of route.filtered ?? []) {
      indexPatterns(index, sub.patterns, index.entries.push({ endpoint, test: compileFilterOrNever(sub.filter) }) - 1);
    }
  }
  return index;
}

/** Index entries whose patterns match `eventType`, each once. */
function entriesMatchingType(index: RoutingIndex, eventType: string): Set<number> {
  const found = new Set<number>(index.everything);
  for (const e of index.exact.get(eventType) ?? []) found.add(e);
  if (index.prefix.size > 0) {
    // The last character is never a split point: `p.*` must not match the bare `p.` with nothing below.
    for (let i = eventType.indexOf("."); i !== -1 && i < eventType.length - 1; i = eventType.indexOf(".", i + 1)) {
      for (const e of index.prefix.get(eventType.slice(0, i)) ?? []) found.add(e);
    }
  }
  return found;
}

/** The event as filters see it; a payload that is not JSON (never, for accepted events) fails every filter. */
function filterDocument(event: MatchableEvent): FilterDocument | null {
  try {
    return { payload: JSON.parse(event.payload) as unknown, event_type: event.eventType, owner_id: event.ownerId };
  } catch {
    return null;
  }
}

/**
 * The endpoints whose subscriptions match the event: by type (`p.*` when `p` is a proper prefix ending right
 * before a dot), then by filter for filtered subscriptions. Every type-matched filter is evaluated, even for an
 * endpoint already matched, so `filteredOut` counts each subscription the same way whatever else matched.
 * A filter that throws counts as not matching.
 */
export function matchEndpoints(index: RoutingIndex, event: MatchableEvent): MatchResult {
  const matched = new Map<string, RoutedEndpoint>();
  let filteredOut = 0;
  let doc: FilterDocument | null | undefined;
  for (const position of entriesMatchingType(index, event.eventType)) {
    const entry = index.entries[position]!;
    if (entry.test) {
      if (doc === undefined) doc = filterDocument(event);
      if (doc === null || !entry.test(doc)) {
        filteredOut++;
        continue;
      }
    }
    matched.set(entry.endpoint.endpointId, entry.endpoint);
  }
  const targets = [...matched.keys()].sort().map((id) => matched.get(id)!);
  return { targets, filteredOut };
}
