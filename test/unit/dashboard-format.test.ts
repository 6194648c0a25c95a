import { describe, expect, it } from "vitest";
import { endpointFormFrom, endpointPatchBody } from "../../dashboard/src/lib/endpoint-form-state";
import { endpointTarget, formatDuration, formatSeconds } from "../../dashboard/src/lib/format";

describe("dashboard durations in human units", () => {
  it.each([
    [5, "5 s"],
    [30, "30 s"],
    [180, "3 min"],
    [1080, "18 min"],
    [6480, "1.8 h"],
    [36_000, "10 h"],
    [43_200, "12 h"],
    [7 * 86_400, "7 d"],
  ])("%i s → %s", (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it.each([
    [850, "850 ms"],
    [1234, "1.23 s"],
    [10_000, "10 s"],
    [90_000, "1.5 min"],
    [36_000_000, "10 h"],
    [null, "—"],
  ])("%s ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("relay endpoints in the dashboard", () => {
  const relay = {
    id: "ep_1", kind: "relay" as const, url: null, owner_id: "acme", description: "hookrelay listen", secret: "whsec_x", timeout_ms: 10000,
    rate_limit: null, auth: null, retry: { strategy: "constant" as const, max_attempts: 3, delay_s: 1, jitter: false }, metadata: {},
    status: "active" as const, disabled_reason: null, created_at: "", updated_at: "",
  };
  it("shows the listener a relay endpoint waits for instead of a URL", () => {
    expect(endpointTarget(relay)).toBe("relay · hookrelay listen");
    expect(endpointTarget({ ...relay, kind: "http", url: "https://x.test/h" })).toBe("https://x.test/h");
  });
  it("never sends a URL when a relay endpoint's settings are saved (the API refuses one)", () => {
    expect(endpointPatchBody(endpointFormFrom(relay))).not.toHaveProperty("url");
    expect(endpointPatchBody(endpointFormFrom({ ...relay, kind: "http", url: "https://x.test/h" }))).toMatchObject({ url: "https://x.test/h" });
  });
});
