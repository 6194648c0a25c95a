// What an EndpointDO reports about itself (GET /v1/endpoints/{id}/delivery-state, tests, memory checks).
import type { FailureCounters } from "./failure-tracker";
import type { LimiterState } from "./rate-limit";

/** What inspect() reports: counts and limiter state only, never payloads or secrets. */
export interface EndpointInspection {
  /** In-flight deliveries (rows, and fresh ones kept in memory): pending, retrying, held until logged. */
  work: number;
  /** Outcomes waiting to be written to history. */
  unlogged: number;
  pauseUntil: number | null;
  nextAlarm: number | null;
  /** Work waiting here for its turn or its retry. */
  pending: number;
  inFlight: number;
  limiter: LimiterState | null;
  /** The endpoint's failure counters as this object keeps them (D1's copy is written on transitions). */
  health: FailureCounters;
  /** A recovery scan is due or under way (the object restarted with fresh work possibly lost). */
  recovering: boolean;
  /** Sizes of what this object keeps in memory: each must stay bounded however many deliveries went through. */
  memory: { dueKeys: number; unlogged: number; busy: number; sendTimes: number; fresh: number; freshBytes: number; recovered: number };
}
