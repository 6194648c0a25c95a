// The API's view of an endpoint's live delivery state (`delivery_state`): the rate it is held to now, any
// Retry-After pause, attempts in flight and work waiting — read from its EndpointDO, best effort.
import type { Env } from "../env";
import { toIso } from "../domain/time";
import type { EndpointInspection } from "./endpoint.do";
import { endpointStub } from "./endpoint-client";
import { configuredRate, effectiveRate, recoversAt, type RateLimitConfig } from "./rate-limit";

export interface DeliveryStateView {
  /** Requests per second the endpoint is held to now; null = unlimited. Below the configured rate while backing off. */
  effective_rate_per_second: number | null;
  configured_rate_per_second: number | null;
  /** When a 429 back-off (no Retry-After) will have healed, or null when none is in force. */
  backoff_recovers_at: string | null;
  /** While set, nothing is sent to the endpoint (a 429/503 with Retry-After). */
  paused_until: string | null;
  in_flight: number;
  pending: number;
}

/** A DO that does not answer within this long is left out of the response rather than delaying it. */
const INSPECT_TIMEOUT_MS = 2_000;

export function describeDeliveryState(i: EndpointInspection, limit: RateLimitConfig | null, nowMs: number): DeliveryStateView {
  const rate = i.limiter ? effectiveRate(i.limiter, limit, nowMs) : configuredRate(limit);
  const recovers = i.limiter ? recoversAt(i.limiter, limit) : null;
  return {
    effective_rate_per_second: rate === null ? null : round3(rate),
    configured_rate_per_second: configuredRate(limit) === null ? null : round3(configuredRate(limit)!),
    backoff_recovers_at: recovers !== null && recovers > nowMs ? toIso(recovers) : null,
    paused_until: i.pauseUntil !== null && i.pauseUntil > nowMs ? toIso(i.pauseUntil) : null,
    in_flight: i.inFlight,
    pending: i.pending,
  };
}

/** The endpoint's delivery state, or undefined when its object cannot be asked (the caller omits the field). */
export async function readDeliveryState(env: Env, endpointId: string, limit: RateLimitConfig | null): Promise<DeliveryStateView | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), INSPECT_TIMEOUT_MS);
    });
    const inspection = await Promise.race([endpointStub(env, endpointId).inspect() as Promise<EndpointInspection>, timeout]);
    return inspection ? describeDeliveryState(inspection, limit, Date.now()) : undefined;
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", msg: "EndpointDO inspect failed", endpoint_id: endpointId, error: String(err) }));
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** The endpoints row's rate_limit column (JSON or null). */
export function storedRateLimit(stored: string | null): RateLimitConfig | null {
  return stored ? (JSON.parse(stored) as RateLimitConfig) : null;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
