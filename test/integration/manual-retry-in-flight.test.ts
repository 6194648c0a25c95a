// A manual retry that arrives while the delivery's attempt is still in flight (a slow endpoint): the attempt
// under way finishes and is recorded, and the retry still happens at once — it is neither left waiting in
// storage nor does the retry reuse the attempt number. Fresh work (first attempt) and a retry row alike.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { attemptRows, received, receiverUrl, script, seedDelivery, seedEndpoint, uniqueKey, waitFor, waitForStatus, type Scripted } from "./delivery-fixtures";

const SLOW_MS = 800;

async function retryDuringAttempt(replies: Scripted[], inFlightAt: number, delayS: number) {
  const key = uniqueKey("retry-in-flight");
  await script(key, replies);
  const retry = { strategy: "constant" as const, max_attempts: 5, delay_s: delayS, max_delay_s: 60, jitter: false };
  const ep = await seedEndpoint({ url: receiverUrl(key), retry });
  const work = await seedDelivery(ep);
  const stub = endpointStub(env, ep.id);
  await stub.enqueue([work]);
  // Attempt `inFlightAt` is at the receiver, which holds it SLOW_MS.
  await waitFor(async () => (await received(key)).length === inFlightAt, 10_000, 20);
  await stub.enqueue([{ ...work, attempts: inFlightAt - 1, manual: true }]);
  const done = await waitForStatus(work.delivery_id, "succeeded", 10_000);
  const reqs = await received(key);
  return { done, reqs, work, stub, attempts: await attemptRows(work.delivery_id) };
}

describe("manual retry during an attempt", () => {
  it("after a first attempt that succeeds, the retry is made at once as attempt 2", async () => {
    const { done, reqs, attempts, stub } = await retryDuringAttempt([{ status: 200, delay_ms: SLOW_MS }, { status: 200 }], 1, 30);
    expect(reqs.map((r) => r.headers["hookrelay-attempt"])).toEqual(["1", "2"]);
    expect(done.attempts).toBe(2);
    expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([[1, 200], [2, 200]]);
    await waitFor(async () => (await stub.inspect()).work === 0, 5_000);
  });

  it("after a first attempt that fails, the retry is made at once, not after the policy's delay", async () => {
    const { reqs, attempts } = await retryDuringAttempt([{ status: 500, delay_ms: SLOW_MS }, { status: 200 }], 1, 30);
    expect(reqs.map((r) => r.headers["hookrelay-attempt"])).toEqual(["1", "2"]);
    expect(reqs[1]!.at - reqs[0]!.at).toBeLessThan(10_000); // the policy's back-off is 30 s
    expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([[1, 500], [2, 200]]);
  });

  it("a retry row's attempt in flight (attempt 2) that succeeds: the retry follows as attempt 3", async () => {
    // A 1 s back-off makes the retry row that attempt 2 is made from.
    const { reqs, attempts, stub } = await retryDuringAttempt([{ status: 500 }, { status: 200, delay_ms: SLOW_MS }, { status: 200 }], 2, 1);
    expect(reqs.map((r) => r.headers["hookrelay-attempt"])).toEqual(["1", "2", "3"]);
    expect(reqs[2]!.at - reqs[1]!.at).toBeLessThan(10_000); // without the fix: never
    expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([[1, 500], [2, 200], [3, 200]]);
    await waitFor(async () => (await stub.inspect()).work === 0, 5_000);
  });
});
