// Per-isolate counts of what the cached lookups cost: D1 queries issued, and shared-cache hits, misses and
// errors. Tests and the report read them to give D1 reads per ingested event with and without Redis.

export const LOOKUP_COUNTERS = [
  /** D1 queries reading config_versions (the fanout router's per-batch revalidation). */
  "d1_config_version_reads",
  /** D1 queries loading owners' subscriptions and endpoint status (routing table misses). */
  "d1_route_reads",
  /** D1 queries looking up an owner API key by hash. */
  "d1_api_key_reads",
  "shared_hits",
  "shared_misses",
  /** Redis calls not answered: failed, timed out, or skipped while backing off (each fell back to D1 or isolate state). */
  "shared_errors",
] as const;

export type LookupCounter = (typeof LOOKUP_COUNTERS)[number];

const values = new Map<LookupCounter, number>(LOOKUP_COUNTERS.map((n) => [n, 0]));

export function countLookup(name: LookupCounter, n = 1): void {
  values.set(name, (values.get(name) ?? 0) + n);
}

export function lookupStats(): Record<LookupCounter, number> & { d1_reads: number } {
  const out = Object.fromEntries(values) as Record<LookupCounter, number>;
  return { ...out, d1_reads: out.d1_config_version_reads + out.d1_route_reads + out.d1_api_key_reads };
}

export function resetLookupStats(): void {
  for (const name of LOOKUP_COUNTERS) values.set(name, 0);
}
