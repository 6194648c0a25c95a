// The SDK's retry wrapper against a real HTTP server on 127.0.0.1: which calls are repeated, how often, and
// that Retry-After is honoured as a floor (judged as a lower bound on elapsed time, never an upper one).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextDelay, resolveRetryOptions, retryingFetch } from "../../sdk/src/retry";
import { parseRetryAfter } from "../../sdk/src/errors";

type Script = (req: IncomingMessage, n: number, res: ServerResponse) => void;
let server: Server;
let base = "";
let script: Script = (_req, _n, res) => res.end("ok");
const seen: { method: string; key: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", key: req.headers["idempotency-key"] as string | undefined, body: Buffer.concat(chunks).toString() });
      script(req, seen.length, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function run(s: Script) {
  seen.length = 0;
  script = s;
}
const failFirst = (times: number, status: number, headers: Record<string, string> = {}): Script => (_req, n, res) => {
  if (n <= times) res.writeHead(status, headers).end("busy");
  else res.writeHead(200).end("ok");
};
const fast = retryingFetch(fetch, { retries: 3, baseDelayMs: 1, maxDelayMs: 5 });

describe("retryingFetch", () => {
  it("retries a GET on 503 until it succeeds", async () => {
    run(failFirst(2, 503));
    const res = await fast(new Request(`${base}/x`));
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(3);
  });

  it("gives up after the configured retries and returns the last answer", async () => {
    run(failFirst(100, 502));
    const res = await fast(new Request(`${base}/x`));
    expect(res.status).toBe(502);
    expect(seen).toHaveLength(4);
  });

  it("never repeats a POST without an Idempotency-Key", async () => {
    run(failFirst(1, 503));
    const res = await fast(new Request(`${base}/x`, { method: "POST", body: "{}" }));
    expect(res.status).toBe(503);
    expect(seen).toHaveLength(1);
  });

  it("repeats a keyed POST with the same key and the same body", async () => {
    run(failFirst(2, 500));
    const res = await fast(new Request(`${base}/x`, { method: "POST", body: '{"a":1}', headers: { "idempotency-key": "k1" } }));
    expect(res.status).toBe(200);
    expect(seen.map((s) => [s.key, s.body])).toEqual([["k1", '{"a":1}'], ["k1", '{"a":1}'], ["k1", '{"a":1}']]);
  });

  it("does not retry a 4xx other than 408/429", async () => {
    run(failFirst(1, 422));
    expect((await fast(new Request(`${base}/x`))).status).toBe(422);
    expect(seen).toHaveLength(1);
  });

  it("waits at least Retry-After before the next attempt", async () => {
    run(failFirst(1, 429, { "retry-after": "1" }));
    const started = Date.now();
    const res = await fast(new Request(`${base}/x`));
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("returns at once when Retry-After is longer than it will wait", async () => {
    run(failFirst(1, 429, { "retry-after": "3600" }));
    const started = Date.now();
    const res = await fast(new Request(`${base}/x`));
    expect(res.status).toBe(429);
    expect(seen).toHaveLength(1);
    // Waiting would have taken an hour; anything under the test timeout shows it did not wait.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("bounds each attempt with timeoutMs and retries a timed-out GET", async () => {
    // The first answer never comes (until the server closes); the second is immediate.
    run((_req, n, res) => {
      if (n === 1) setTimeout(() => res.writeHead(200).end("late"), 2_000);
      else res.writeHead(200).end("ok");
    });
    const timed = retryingFetch(fetch, { retries: 1, baseDelayMs: 1, maxDelayMs: 1 }, 300);
    const res = await timed(new Request(`${base}/slow`));
    expect(await res.text()).toBe("ok");
    expect(seen).toHaveLength(2);
  });

  it("does not retry when the caller aborts", async () => {
    run((_req, _n, res) => setTimeout(() => res.writeHead(200).end("late"), 2_000));
    const controller = new AbortController();
    const pending = fast(new Request(`${base}/slow`, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });

  // undici links a Request's signal to one made from it (clone(), new Request(r, {signal})) weakly: after a
  // garbage collection the abort or timeout no longer reached the fetch, and these calls resolved with the late
  // answer (as "does not retry when the caller aborts" sometimes did under load).
  it("honours the caller's abort and its own timeout after a garbage collection", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const collect = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    run((_req, _n, res) => setTimeout(() => res.writeHead(200).end("late"), 2_000));
    const controller = new AbortController();
    const aborted = fast(new Request(`${base}/slow`, { signal: controller.signal }));
    await new Promise((r) => setTimeout(r, 50));
    await collect();
    controller.abort();
    await expect(aborted).rejects.toThrow();

    const timedOut = retryingFetch(fetch, { retries: 0 }, 300)(new Request(`${base}/slow`));
    await collect();
    await expect(timedOut).rejects.toThrow();
  });

  it("retries connection failures a bounded number of times, then throws", async () => {
    let calls = 0;
    const refusing = retryingFetch(
      async (input) => {
        calls++;
        return fetch(input as Request);
      },
      { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    );
    await expect(refusing(new Request("http://127.0.0.1:1/"))).rejects.toThrow();
    expect(calls).toBe(3);
  });
});

describe("nextDelay and Retry-After", () => {
  const opts = resolveRetryOptions({ retries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 });
  it("backs off exponentially within the cap (full jitter)", () => {
    expect(nextDelay(0, undefined, opts, () => 1)).toBe(100);
    expect(nextDelay(2, undefined, opts, () => 1)).toBe(400);
    expect(nextDelay(2, undefined, { ...opts, retries: 10 }, () => 1)).toBe(400);
    expect(nextDelay(9, undefined, { ...opts, retries: 10 }, () => 1)).toBe(1000);
    expect(nextDelay(1, undefined, opts, () => 0)).toBe(0);
    expect(nextDelay(3, undefined, opts)).toBeNull();
  });
  it("takes Retry-After (seconds or HTTP date) as a floor", () => {
    const res = new Response(null, { status: 503, headers: { "retry-after": "2" } });
    expect(nextDelay(0, res, opts, () => 1)).toBe(2000);
    expect(parseRetryAfter(new Date(10_000 + 3000).toUTCString(), 10_000)).toBe(3000);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});
