import { describe, expect, it } from "vitest";
import { classifyAttempt, type AttemptResult } from "../../src/delivery/classify";

const result = (over: Partial<AttemptResult>): AttemptResult => ({
  startedAt: 0,
  durationMs: 5,
  statusCode: 200,
  error: null,
  responseBody: null,
  retryAfter: null,
  ...over,
});

describe("classifyAttempt", () => {
  it("2xx is success; 3xx is a failed redirect; 410 disables; other statuses fail", () => {
    expect(classifyAttempt(result({ statusCode: 204 }), null)).toMatchObject({ kind: "success", success: true });
    expect(classifyAttempt(result({ statusCode: 301, error: "redirect" }), null)).toMatchObject({ kind: "redirect", success: false });
    expect(classifyAttempt(result({ statusCode: 410 }), null)).toMatchObject({ kind: "gone", disableEndpoint: true });
    expect(classifyAttempt(result({ statusCode: 500 }), null)).toMatchObject({ kind: "http_error", success: false, pauseSeconds: null });
    expect(classifyAttempt(result({ statusCode: 100 }), null).success).toBe(false);
  });

  it("429 and 503 pause the endpoint only when they carry Retry-After", () => {
    expect(classifyAttempt(result({ statusCode: 429 }), 30)).toMatchObject({ kind: "throttled", pauseSeconds: 30 });
    expect(classifyAttempt(result({ statusCode: 503 }), 5)).toMatchObject({ kind: "throttled", pauseSeconds: 5 });
    expect(classifyAttempt(result({ statusCode: 429 }), null)).toMatchObject({ kind: "http_error", pauseSeconds: null });
  });

  it("a timeout is a failure even when a 2xx status arrived before the body stalled", () => {
    expect(classifyAttempt(result({ statusCode: 200, error: "timeout" }), null)).toMatchObject({ kind: "timeout", success: false });
    expect(classifyAttempt(result({ statusCode: null, error: "network: connection refused" }), null)).toMatchObject({ kind: "network" });
  });
});
