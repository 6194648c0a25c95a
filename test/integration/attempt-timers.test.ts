// An attempt's timeout must not outlive the attempt. The runtime refuses new timers past 10,000 live ones per
// object, so a timer left running for the whole timeout (AbortSignal.timeout) would make a busy endpoint's
// object fail its attempts — at 30 s timeouts, from ~330 attempts/s on. Runs inside workerd, where that cap holds.
import { describe, expect, it } from "vitest";
import { sendAttempt } from "../../src/delivery/dispatch";
import { receiverUrl, uniqueKey } from "./delivery-fixtures";

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
