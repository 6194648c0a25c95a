// Pure planning of one fanout invocation: which (event, endpoint) pairs are handled now and which are
// split off as `fanout` messages, so no invocation exceeds its budget of DO calls and delivery rows.

export interface FanoutCandidate {
  /** Index of the queue message the event came in (acks are per message). */
  message: number;
  eventId: string;
  /** Matching endpoints, each once. */
  endpointIds: string[];
}

export interface FanoutLimits {
  /** Distinct EndpointDOs called in one invocation (one RPC each). */
  maxEndpoints: number;
  /** Delivery rows written in one invocation. */
  maxDeliveries: number;
  /** Endpoint ids per split-off fanout message. */
  sliceSize: number;
}

export const DEFAULT_FANOUT_LIMITS: FanoutLimits = { maxEndpoints: 200, maxDeliveries: 1_000, sliceSize: 100 };

export interface FanoutPlan {
  now: { message: number; eventId: string; endpointId: string }[];
  later: { message: number; eventId: string; endpointIds: string[] }[];
}

export function planFanout(candidates: FanoutCandidate[], limits: FanoutLimits = DEFAULT_FANOUT_LIMITS): FanoutPlan {
  const plan: FanoutPlan = { now: [], later: [] };
  const called = new Set<string>();
  for (const candidate of candidates) {
    const deferred: string[] = [];
    for (const endpointId of candidate.endpointIds) {
      const fits =
        plan.now.length < limits.maxDeliveries && (called.has(endpointId) || called.size < limits.maxEndpoints);
      if (fits) {
        called.add(endpointId);
        plan.now.push({ message: candidate.message, eventId: candidate.eventId, endpointId });
      } else {
        deferred.push(endpointId);
      }
    }
    for (let i = 0; i < deferred.length; i += limits.sliceSize) {
      plan.later.push({ message: candidate.message, eventId: candidate.eventId, endpointIds: deferred.slice(i, i + limits.sliceSize) });
    }
  }
  return plan;
}
