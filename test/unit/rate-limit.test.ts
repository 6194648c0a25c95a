import { describe, expect, it } from "vitest";
import { fullBucket, takeToken } from "../../src/delivery/rate-limit";

describe("token bucket", () => {
  it("allows a burst of `requests`, then says how long to wait, then refills", () => {
    const limit = { requests: 3, per_seconds: 1 };
    let state = fullBucket(limit, 0);
    for (let i = 0; i < 3; i++) {
      const r = takeToken(state, limit, 0);
      expect(r.ok).toBe(true);
      state = r.state;
    }
    const denied = takeToken(state, limit, 0);
    expect(denied.ok).toBe(false);
    if (!denied.ok) expect(denied.waitMs).toBe(334);
    expect(takeToken(state, limit, 200).ok).toBe(false);
    expect(takeToken(state, limit, 334).ok).toBe(true);
  });

  it("never holds more than the burst", () => {
    const limit = { requests: 2, per_seconds: 10 };
    let state = fullBucket(limit, 0);
    state = (takeToken(state, limit, 0) as { state: typeof state }).state;
    // An hour later the bucket holds 2, not hundreds.
    let r = takeToken(state, limit, 3_600_000);
    expect(r.ok).toBe(true);
    r = takeToken(r.state, limit, 3_600_000);
    expect(r.ok).toBe(true);
    expect(takeToken(r.state, limit, 3_600_000).ok).toBe(false);
  });
});
