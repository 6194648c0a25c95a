import { describe, expect, it } from "vitest";
import { classifyAttempt } from "../../src/delivery/classify";
import { attemptFromReply, parseReply, replyKey } from "../../src/delivery/relay-frames";

const reply = (over: Record<string, unknown>) => JSON.stringify({ delivery_id: "dlv_1", attempt: 2, status_code: 200, duration_ms: 15, ...over });

describe("relay replies", () => {
  it("reads a listener's reply into the attempt an HTTP attempt would record", () => {
    const parsed = parseReply(reply({ response_body: "ok" }));
    expect(parsed).toMatchObject({ kind: "reply", key: replyKey("dlv_1", 2) });
    if (parsed.kind !== "reply") throw new Error("unreachable");
    const attempt = attemptFromReply(parsed.reply, 1_000, 1_100);
    expect(attempt).toEqual({ startedAt: 1_000, durationMs: 15, statusCode: 200, error: null, responseBody: "ok", retryAfter: null });
    expect(classifyAttempt(attempt, null).success).toBe(true);
  });

  it("never records a duration longer than the round trip HookRelay measured", () => {
    const parsed = parseReply(reply({ duration_ms: 99_999 }));
    if (parsed.kind !== "reply") throw new Error(JSON.stringify(parsed));
    expect(attemptFromReply(parsed.reply, 1_000, 1_040).durationMs).toBe(40);
  });

  it("keeps the classes classify.ts knows: timeouts, network errors, redirects, non-2xx", () => {
    const at = (over: Record<string, unknown>) => {
      const parsed = parseReply(reply(over));
      if (parsed.kind !== "reply") throw new Error(JSON.stringify(parsed));
      return attemptFromReply(parsed.reply, 0, 10_000);
    };
    expect(classifyAttempt(at({ status_code: null, error: "timeout" }), null).kind).toBe("timeout");
    expect(at({ status_code: null, error: "network: ECONNREFUSED" }).error).toBe("network: ECONNREFUSED");
    expect(at({ status_code: null, error: "something odd" }).error).toBe("network: something odd");
    expect(at({ status_code: null }).error).toMatch(/^network: /);
    expect(at({ status_code: 302 }).error).toBe("redirect");
    const failed = at({ status_code: 500, response_body: "x".repeat(10_000) });
    expect(classifyAttempt(failed, null)).toMatchObject({ kind: "http_error", success: false });
    expect(failed.responseBody).toHaveLength(4096);
    expect(classifyAttempt(at({ status_code: 410 }), null).disableEndpoint).toBe(true);
  });

  it("truncates a response body to 4 KiB of UTF-8, not 4096 characters", () => {
    const parsed = parseReply(reply({ response_body: "é".repeat(3000) })); // 6000 bytes
    if (parsed.kind !== "reply") throw new Error("unreachable");
    const body = attemptFromReply(parsed.reply, 0, 1).responseBody!;
    expect(new TextEncoder().encode(body).byteLength).toBeLessThanOrEqual(4096);
    expect(body.startsWith("é".repeat(2000))).toBe(true);
  });

  it("ignores frames that answer nothing and fails the attempt a malformed reply names", () => {
    expect(parseReply("not json")).toMatchObject({ kind: "ignored" });
    expect(parseReply(new ArrayBuffer(4))).toMatchObject({ kind: "ignored" });
    expect(parseReply(JSON.stringify({ hello: 1 }))).toMatchObject({ kind: "ignored" });
    expect(parseReply(reply({ status_code: "200" }))).toMatchObject({ kind: "invalid", key: replyKey("dlv_1", 2), error: expect.stringMatching(/^network: invalid listener reply \(status_code/) });
    expect(parseReply(reply({ duration_ms: -1 }))).toMatchObject({ kind: "invalid" });
    expect(parseReply(reply({ status_code: 99 }))).toMatchObject({ kind: "invalid" });
  });
});
