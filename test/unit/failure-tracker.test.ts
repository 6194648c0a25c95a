import { describe, expect, it } from "vitest";
import { afterFailure, afterSuccess } from "../../src/delivery/failure-tracker";

const thresholds = { disableAfter: 20, disableMinSeconds: 600 };
const healthy = { consecutiveFailures: 0, failingSince: null, failureEpisode: 0 };

describe("failure tracker", () => {
  it("starts an episode on the first failure and keeps it until a success", () => {
    const first = afterFailure(healthy, 1000, thresholds, false);
    expect(first.counters).toEqual({ consecutiveFailures: 1, failingSince: 1000, failureEpisode: 1 });
    const second = afterFailure(first.counters, 2000, thresholds, false);
    expect(second.counters).toEqual({ consecutiveFailures: 2, failingSince: 1000, failureEpisode: 1 });
    const ok = afterSuccess(second.counters);
    expect(ok).toEqual({ consecutiveFailures: 0, failingSince: null, failureEpisode: 1 });
    expect(afterFailure(ok, 5000, thresholds, false).counters.failureEpisode).toBe(2);
  });

  it("disables after 20 failures only once they span 10 minutes", () => {
    let counters = healthy as ReturnType<typeof afterSuccess>;
    let disable = null;
    for (let i = 0; i < 25; i++) {
      const u = afterFailure(counters, i * 1000, thresholds, false);
      counters = u.counters;
      disable = u.disable;
    }
    expect(counters.consecutiveFailures).toBe(25);
    expect(disable).toBeNull();
    expect(afterFailure(counters, 600_000, thresholds, false).disable).toBe("consecutive_failures");
  });

  it("410 disables at once", () => {
    expect(afterFailure(healthy, 0, thresholds, true).disable).toBe("gone_410");
  });
});
