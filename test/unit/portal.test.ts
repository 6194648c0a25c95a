// Pure rules of the customer portal: which /v1 routes a portal token may reach, and the frame-ancestors list.
import { describe, expect, it } from "vitest";
import { textOn } from "../../dashboard/src/portal/contrast";
import { frameAncestorsSource } from "../../src/domain/frame-ancestors";
import { portalMayUse } from "../../src/http/middleware/portal-auth";

describe("portalMayUse", () => {
  it("allows the portal's areas, with their sub-routes", () => {
    for (const [method, path] of [
      ["GET", "/v1/endpoints"],
      ["POST", "/v1/endpoints"],
      ["POST", "/v1/endpoints/ep_1/test"],
      ["GET", "/v1/endpoints/ep_1/stats"],
      ["PATCH", "/v1/subscriptions/sub_1"],
      ["GET", "/v1/events"],
      ["POST", "/v1/events/evt_1/replay"],
      ["POST", "/v1/deliveries/dlv_1/retry"],
      ["GET", "/v1/jobs/job_1"],
      ["POST", "/v1/notification-channels/nch_1/test"],
      ["GET", "/v1/notifications"],
      ["GET", "/v1/portal/session"],
    ]) {
      expect(portalMayUse(method!, path!), `${method} ${path}`).toBe(true);
    }
  });

  it("refuses everything else, including look-alike prefixes, ingest and relay listeners", () => {
    for (const [method, path] of [
      ["GET", "/v1/api-keys"],
      ["GET", "/v1/portal-links"],
      ["DELETE", "/v1/portal-links/ptl_1"],
      ["GET", "/v1/sources"],
      ["GET", "/v1/dead-letters"],
      ["GET", "/v1/metrics"],
      ["GET", "/v1/endpoints-export"],
      ["GET", "/v1/portal"],
      ["POST", "/v1/events"],
      ["POST", "/v1/events/batch"],
      ["GET", "/v1/endpoints/ep_1/listen"],
      ["GET", "/v1/something-new"],
    ]) {
      expect(portalMayUse(method!, path!), `${method} ${path}`).toBe(false);
    }
  });
});

describe("frameAncestorsSource", () => {
  it("is 'none' when unset or empty", () => {
    expect(frameAncestorsSource(undefined)).toBe("'none'");
    expect(frameAncestorsSource("   ")).toBe("'none'");
  });

  it("keeps origins and 'self', drops paths, wildcards-for-all, other schemes and directive smuggling", () => {
    expect(frameAncestorsSource("https://a.test http://localhost:3000 https://*.b.test/ 'self'")).toBe(
      "https://a.test http://localhost:3000 https://*.b.test 'self'",
    );
    expect(frameAncestorsSource("https://a.test/app * data: https://x.test;script-src 'none' javascript:")).toBe("'none'");
  });
});

describe("portal theme text colour", () => {
  it("puts dark text on light accents and light text on dark ones", () => {
    expect(textOn("#ffffff")).toBe("#000");
    expect(textOn("#ffd60a")).toBe("#000");
    expect(textOn("#0a7d4f")).toBe("#fff");
    expect(textOn("#2455c3")).toBe("#fff");
    expect(textOn("#000000")).toBe("#fff");
    // Orange: black reads better (contrast about 7 : 1 against 3 : 1), though it is not a light colour.
    expect(textOn("#e07b00")).toBe("#000");
  });
});
