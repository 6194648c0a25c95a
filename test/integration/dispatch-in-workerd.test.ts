// Outbound attempts inside workerd, against the loopback receiver: what only the real runtime shows.
// - An attempt's timeout must not outlive the attempt. The runtime refuses new timers past 10,000 live ones per
//   object, so a timer left running for the whole timeout (AbortSignal.timeout) would make a busy endpoint's
//   object fail its attempts — at 30 s timeouts, from ~330 attempts/s on.
// - Response bodies are read through workerd's BYOB reader (readAtLeast): one read for a body within the limit,
//   chunked or not, with the same results as the plain reads Node takes (test/unit/bounded-read.test.ts).
import { describe, expect, it } from "vitest";
import { sendAttempt } from "../../src/delivery/dispatch";
import { readBoundedText } from "../../src/http/bounded-read";
import { receiverUrl, script, uniqueKey, type Scripted } from "./delivery-fixtures";

const ATTEMPTS = 10_200;
const AT_ONCE = 100;

describe("attempt timeouts", () => {
  it(`${ATTEMPTS} attempts with 30 s timeouts in one object all complete (no timer outlives its attempt)`, async () => {
    const url = receiverUrl(uniqueKey("timers"));
    const errors: string[] = [];
    let succeeded = 0;
    for (let sent = 0; sent < ATTEMPTS; sent += AT_ONCE) {
      const results = await Promise.all(
        Array.from({ length: AT_ONCE }, () => sendAttempt({ url, body: "{}", headers: { "content-type": "application/json" }, timeoutMs: 30_000 })),
      );
      for (const r of results) {
        if (r.statusCode === 200 && r.error === null) succeeded++;
        else errors.push(r.error ?? `status ${r.statusCode}`);
      }
    }
    expect(errors.slice(0, 3)).toEqual([]);
    expect(succeeded).toBe(ATTEMPTS);
  }, 120_000);
});

describe("response bodies read in workerd", () => {
  async function readAnswer(reply: Scripted, limit: number) {
    const key = uniqueKey("body");
    await script(key, [reply]);
    return readBoundedText(await fetch(receiverUrl(key), { method: "POST", body: "{}" }), { limit, drainLimit: 1024 });
  }

  it("a chunked body within the limit is read whole; one byte over it is truncated", async () => {
    expect(await readAnswer({ status: 200, body: "ok" }, 10)).toEqual({ text: "ok", truncated: false });
    expect(await readAnswer({ status: 200, body: "0123456789" }, 10)).toEqual({ text: "0123456789", truncated: false });
    expect(await readAnswer({ status: 200, body: "0123456789A" }, 10)).toEqual({ text: "0123456789", truncated: true });
  });

  it("an empty body, a declared length and a body that arrives in two parts read the same as in Node", async () => {
    expect(await readAnswer({ status: 204 }, 10)).toEqual({ text: "", truncated: false });
    expect(await readAnswer({ status: 200, body: "hello", headers: { "content-length": "5" } }, 10)).toEqual({ text: "hello", truncated: false });
    expect(await readAnswer({ status: 200, stall_body_ms: 50, body: "rest" }, 100)).toEqual({ text: "partial rest", truncated: false });
    expect(await readAnswer({ status: 200, stall_body_ms: 50, body: "rest" }, 8)).toEqual({ text: "partial ", truncated: true });
  });

  it("bodies around the delivery limit (4 KiB) keep exactly their first 4 KiB", async () => {
    for (const size of [1500, 4095, 4096, 4097, 9000]) {
      const body = Array.from({ length: size }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
      expect(await readAnswer({ status: 200, body }, 4096), `${size} bytes`).toEqual({ text: body.slice(0, 4096), truncated: size > 4096 });
    }
  });
});
