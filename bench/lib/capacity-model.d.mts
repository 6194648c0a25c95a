// Types for capacity-model.mjs, so the TypeScript unit test (test/unit/capacity.test.ts) can import it.
export interface Limits {
  objectBytes: number;
  objectRequestsPerS: number;
  queueMessagesPerS: number;
  d1Bytes: number;
  d1QueriesPerS: number;
}
export const LIMITS: Limits;
export const DEFAULTS: Record<string, number>;
export interface Scenario {
  name?: string;
  owners: number;
  endpointsPerOwner: number;
  eventsPerS: number;
  hotOwnerShare?: number;
  [key: string]: number | string | undefined;
}
export const DEFAULT_SCENARIOS: Scenario[];
export interface Split {
  buckets: number;
  bytesPerBucket: number;
  requestsPerBucket: number;
  boundBy: string | null;
}
export function splitShard(shard: { bytes: number; requestsPerS: number }, limits?: Limits): Split;
export interface StoreResult {
  store: string;
  objects: number;
  largestBytes: number | null;
  largestRequestsPerS: number;
  buckets?: number;
  splitBy?: string | null;
  utilization: Record<string, number>;
  binding: { limit: string; share: number };
  note: string;
}
export interface ModelResult {
  input: Record<string, number | string | undefined>;
  stores: StoreResult[];
  firstLimit: { store: string; limit: string; share: number; headroom: number | null };
}
export function model(scenario: Scenario, limits?: Limits): ModelResult;
