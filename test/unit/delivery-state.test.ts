// delivery_state as the API shows it, from an EndpointDO inspection and the endpoint's configured limit.
import { describe, expect, it } from "vitest";
import { describeDeliveryState } from "../../src/delivery/delivery-state";
import type { EndpointInspection } from "../../src/delivery/endpoint.do";
import { initialState, onThrottled } from "../../src/delivery/rate-limit";

const base: EndpointInspection = {
  work: 3,
  unlogged: 0,
  pauseUntil: null,
  nextAlarm: null,
  pending: 2,
  inFlight: 1,
  limiter: null,
  health: { consecutiveFailures: 0, failingSince: null, failureEpisode: 0 },
  recovering: false,
  memory: { dueKeys: 0, unlogged: 0, busy: 0, sendTimes: 0, fresh: 0, freshBytes: 0, recovered: 0 },
};

describe("describeDeliveryState", () => {
  it("an unlimited endpoint never throttled: null rates, counts passed through", () => {
    expect(describeDeliveryState(base, null, 1000)).toEqual({
      effective_rate_per_second: null,
      configured_rate_per_second: null,
      backoff_recovers_at: null,
      paused_until: null,
      in_flight: 1,
      pending: 2,
    });
  });

  it("a configured limit before any send shows it as the effective rate (rounded to 3 places)", () => {
    const view = describeDeliveryState(base, { requests: 1, per_seconds: 60 }, 1000);
    expect(view.effective_rate_per_second).toBe(0.017);
    expect(view.configured_rate_per_second).toBe(0.017);
  });

  it("a back-off shows the reduced rate and when it heals; a pause shows only while it lasts", () => {
    const limit = { requests: 10, per_seconds: 1 };
    const limiter = onThrottled(initialState(limit, 0), limit, 1000, 1000, 0);
    const view = describeDeliveryState({ ...base, limiter, pauseUntil: 5000 }, limit, 4000);
    expect(view.effective_rate_per_second).toBe(5.5);
    expect(view.backoff_recovers_at).toBe(new Date(31_000).toISOString());
    expect(view.paused_until).toBe(new Date(5000).toISOString());
    const later = describeDeliveryState({ ...base, limiter, pauseUntil: 5000 }, limit, 40_000);
    expect(later).toMatchObject({ effective_rate_per_second: 10, backoff_recovers_at: null, paused_until: null });
  });
});
