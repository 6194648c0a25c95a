// Fault injection through the real path (wrangler dev + loopback receivers): resets, hangs, slow and stalled
// answers, redirects, enormous bodies, 500s, a killed runtime mid-drain; nothing is lost or recorded twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultReceiver, type FaultKind, type FaultOptions, type FaultReceiver } from "./support/fault-receivers";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";

const TERMINAL = new Set(["succeeded", "failed", "held"]);
const EVENTS_PER_FAULT = 4;
const retry = (max_attempts: number) => ({ strategy: "constant", max_attempts, delay_s: 1, jitter: false });

interface Scenario {
  kind: FaultKind;
  label: string;
  opts: FaultOptions;
  endpoint: Record<string, unknown>;
  /** The state every delivery must end in. */
  expect: "succeeded" | "failed";
  /** What the first attempt's record must say. */
  firstAttempt: (a: { status_code: number | null; error: string | null; response_body: string | null }) => boolean;
}

const SCENARIOS: Scenario[] = [
  { kind: "reset", label: "reset", opts: { faultyAttempts: 2 }, endpoint: { timeout_ms: 3000, retry: retry(4) }, expect: "succeeded", firstAttempt: (a) => a.status_code === null && !!a.error?.startsWith("network") },
  { kind: "hang", label: "hang", opts: { faultyAttempts: 1 }, endpoint: { timeout_ms: 1000, retry: retry(4) }, expect: "succeeded", firstAttempt: (a) => a.error === "timeout" && a.status_code === null },
  { kind: "slow-headers", label: "headers after the timeout", opts: { faultyAttempts: 1, delayMs: 2500 }, endpoint: { timeout_ms: 1000, retry: retry(4) }, expect: "succeeded", firstAttempt: (a) => a.error === "timeout" },
  { kind: "stall-body", label: "body stalls past the timeout", opts: { faultyAttempts: 1, delayMs: 2500 }, endpoint: { timeout_ms: 1000, retry: retry(4) }, expect: "succeeded", firstAttempt: (a) => a.error === "timeout" && a.status_code === 200 },
  { kind: "slow-ok", label: "slow but within the timeout", opts: { faultyAttempts: 1, delayMs: 700 }, endpoint: { timeout_ms: 3000, retry: retry(4) }, expect: "succeeded", firstAttempt: (a) => a.status_code === 200 && a.error === null },
  { kind: "redirect", label: "302 redirect", opts: { faultyAttempts: Infinity, redirectStatus: 302 }, endpoint: { timeout_ms: 2000, retry: retry(2) }, expect: "failed", firstAttempt: (a) => a.status_code === 302 && a.error === "redirect" },
  { kind: "redirect", label: "307 redirect", opts: { faultyAttempts: Infinity, redirectStatus: 307 }, endpoint: { timeout_ms: 2000, retry: retry(2) }, expect: "failed", firstAttempt: (a) => a.status_code === 307 && a.error === "redirect" },
  { kind: "enormous-body", label: "8 MiB response body", opts: { faultyAttempts: Infinity, bodyBytes: 8 * 1024 * 1024 }, endpoint: { timeout_ms: 10_000, retry: retry(3) }, expect: "succeeded", firstAttempt: (a) => a.status_code === 200 && new TextEncoder().encode(a.response_body ?? "").byteLength <= 4096 && (a.response_body ?? "").length > 0 },
  { kind: "error-500", label: "500 twice", opts: { faultyAttempts: 2 }, endpoint: { timeout_ms: 2000, retry: retry(4) }, expect: "succeeded", firstAttempt: (a) => a.status_code === 500 && a.response_body === "boom" },
];

interface Outcome {
  label: string;
  events: number;
  faultsInjected: number;
  survived: number;
  lost: number;
  duplicates: number;
}

let worker: RunningWorker;
const receivers: FaultReceiver[] = [];
const outcomes: Outcome[] = [];

beforeAll(async () => {
  worker = await startWorker({ vars: { FAILURE_DISABLE_AFTER: "1000" } });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await worker?.stop();
  if (outcomes.length > 0) {
    const total = outcomes.reduce(
      (t, o) => ({ events: t.events + o.events, faults: t.faults + o.faultsInjected, survived: t.survived + o.survived, lost: t.lost + o.lost, duplicates: t.duplicates + o.duplicates }),
      { events: 0, faults: 0, survived: 0, lost: 0, duplicates: 0 },
    );
    console.log(JSON.stringify({ faults: "e2e", scenarios: outcomes, total }));
  }
});

async function deliveriesOfEvent(w: RunningWorker, eventId: string) {
  const res = await w.api("GET", `/v1/deliveries?event_id=${eventId}&limit=500`);
  if (res.status !== 200) throw new Error(`list deliveries: ${res.status} ${res.text}`);
  return res.json.data as { id: string; endpoint_id: string; status: string; attempt_count: number }[];
}

/** Checks the property for one set of events: one terminal delivery each, in the expected state, seen by the receiver. */
async function settle(w: RunningWorker, eventIds: string[], endpointId: string, expected: string, timeoutMs: number) {
  const final = await waitFor(async () => {
    const all = await Promise.all(eventIds.map((id) => deliveriesOfEvent(w, id)));
    return all.every((ds) => ds.length >= 1 && ds.every((d) => TERMINAL.has(d.status))) ? all : null;
  }, timeoutMs, 500).catch(async (err) => {
    const now = await Promise.all(eventIds.map((id) => deliveriesOfEvent(w, id)));
    throw new Error(`deliveries did not settle: ${String(err)}\n${JSON.stringify(now)}`);
  });
  let duplicates = 0;
  let wrong = 0;
  for (const ds of final) {
    const mine = ds.filter((d) => d.endpoint_id === endpointId);
    duplicates += Math.max(0, mine.length - 1);
    if (mine.length !== 1 || mine[0]!.status !== expected) wrong++;
  }
  return { final, duplicates, wrong };
}

describe("fault injection (wrangler dev)", () => {
  it(
    "every accepted event ends in its expected terminal state, once per endpoint, and the receiver sees it",
    async () => {
      // All scenarios run at once: one slow or broken endpoint must not hold up the others.
      const prepared = await Promise.all(
        SCENARIOS.map(async (s, i) => {
          const r = await startFaultReceiver(s.kind, s.opts);
          receivers.push(r);
          const owner = `faults-${i}`;
          const ep = await worker.api("POST", "/v1/endpoints", { url: `${r.url}/hook`, owner_id: owner, ...s.endpoint });
          expect(ep.status, ep.text).toBe(201);
          const sub = await worker.api("POST", "/v1/subscriptions", { endpoint_id: ep.json.id, event_types: ["fault.*"] });
          expect(sub.status, sub.text).toBe(201);
          return { s, r, owner, endpointId: ep.json.id as string };
        }),
      );
      const accepted = await Promise.all(
        prepared.map(async (p) => {
          const events = Array.from({ length: EVENTS_PER_FAULT }, (_, n) => ({ payload: { n, fault: p.s.label }, owner_id: p.owner, event_type: `fault.${p.s.kind}` }));
          const res = await worker.api("POST", "/v1/events/batch", { events });
          expect(res.status, res.text).toBe(202);
          return res.json.ids as string[];
        }),
      );

      const results = await Promise.all(
        prepared.map(async (p, i) => {
          const ids = accepted[i]!;
          const { final, duplicates, wrong } = await settle(worker, ids, p.endpointId, p.s.expect, 60_000);
          const seen = new Set(p.r.hits.filter((h) => h.ok).map((h) => h.webhookId));
          // Lost: a delivery missing or not in its expected state, or (when the receiver answers 2xx) never received.
          const lost = wrong + (p.s.expect === "succeeded" ? ids.filter((id) => !seen.has(id)).length : 0);
          return { p, ids, final, duplicates, lost };
        }),
      );

      for (const { p, ids, final, duplicates, lost } of results) {
        const where = `${p.s.label}: ${JSON.stringify(final)}`;
        expect(duplicates, where).toBe(0);
        expect(lost, where).toBe(0);
        expect(p.r.redirectTargetHits, `${p.s.label}: a redirect was followed`).toEqual([]);
        // Each delivery's attempts are recorded, the first one describing the injected fault.
        const detail = await worker.api("GET", `/v1/deliveries/${final[0]!.find((d) => d.endpoint_id === p.endpointId)!.id}`);
        expect(detail.status).toBe(200);
        expect(p.s.firstAttempt(detail.json.attempts[0]), `${p.s.label}: first attempt ${JSON.stringify(detail.json.attempts[0])}`).toBe(true);
        for (const a of detail.json.attempts as { response_body: string | null }[]) {
          expect(new TextEncoder().encode(a.response_body ?? "").byteLength).toBeLessThanOrEqual(4096);
        }
        if (p.s.expect === "failed") expect(detail.json.attempt_count).toBe(p.s.endpoint.retry && (p.s.endpoint.retry as { max_attempts: number }).max_attempts);
        const survived = p.r.hits.filter((h) => h.faulted && ids.includes(h.webhookId)).length;
        outcomes.push({ label: p.s.label, events: ids.length, faultsInjected: p.r.faultsInjected(), survived, lost, duplicates });
        expect(p.r.faultsInjected(), `${p.s.label}: no fault was injected`).toBeGreaterThanOrEqual(ids.length);
      }
    },
    150_000,
  );
});

describe("runtime killed mid-drain (wrangler dev restarted on the same state)", () => {
  it(
    "every delivery stored before the kill ends succeeded after the restart, once per event, seen by the receiver",
    async () => {
      const adminKey = `faults-admin-${Math.random().toString(36).slice(2)}`;
      const vars = { ADMIN_API_KEY: adminKey, FAILURE_DISABLE_AFTER: "1000" };
      let first: RunningWorker | undefined = await startWorker({ vars });
      let second: RunningWorker | undefined;
      // Every answer takes 1.2 s and the endpoint takes one at a time: the drain is mid-way when the runtime dies.
      const r = await startFaultReceiver("slow-ok", { faultyAttempts: Infinity, delayMs: 1200 });
      receivers.push(r);
      try {
        const ep = await first.api("POST", "/v1/endpoints", { url: `${r.url}/hook`, owner_id: "killed", max_in_flight: 1, timeout_ms: 5000, retry: retry(5) });
        expect(ep.status, ep.text).toBe(201);
        expect((await first.api("POST", "/v1/subscriptions", { endpoint_id: ep.json.id, event_types: ["kill.*"] })).status).toBe(201);
        const events = Array.from({ length: 8 }, (_, n) => ({ payload: { n }, owner_id: "killed", event_type: "kill.test" }));
        const accepted = await first.api("POST", "/v1/events/batch", { events });
        expect(accepted.status).toBe(202);
        const ids = accepted.json.ids as string[];
        // Wait until the consumer stored every delivery (queue messages themselves live in memory locally), and
        // the endpoint is mid-drain.
        const w = first;
        await waitFor(async () => {
          const all = await Promise.all(ids.map((id) => deliveriesOfEvent(w, id)));
          return all.every((ds) => ds.length === 1) && r.hits.length >= 2;
        }, 30_000, 200);
        const receivedBeforeKill = r.hits.length;
        await first.stop({ keepState: true });
        const persistDir = first.persistDir;
        first = undefined;

        second = await startWorker({ vars, persistDir });
        // Pending work lives in the EndpointDO's storage: its alarm resumes the drain after the restart (the cron only
        // drives notifications, batch retry jobs and retention).
        const w2 = second;
        const { final, duplicates, wrong } = await (async () => {
          const deadline = Date.now() + 60_000;
          for (;;) {
            await w2.runCron();
            const all = await Promise.all(ids.map((id) => deliveriesOfEvent(w2, id)));
            if (all.every((ds) => ds.length >= 1 && ds.every((d) => d.status === "succeeded")) || Date.now() > deadline) break;
            await new Promise((res) => setTimeout(res, 1000));
          }
          return settle(w2, ids, ep.json.id, "succeeded", 5_000);
        })();
        const seen = new Set(r.hits.map((h) => h.webhookId));
        const lost = wrong + ids.filter((id) => !seen.has(id)).length;
        const redelivered = r.hits.length - new Set(r.hits.map((h) => h.webhookId)).size;
        outcomes.push({ label: "runtime killed mid-drain", events: ids.length, faultsInjected: 1, survived: lost === 0 && duplicates === 0 ? 1 : 0, lost, duplicates });
        console.log(JSON.stringify({ fault: "runtime-killed", received_before_kill: receivedBeforeKill, received_total: r.hits.length, receiver_duplicates: redelivered }));
        expect(duplicates, JSON.stringify(final)).toBe(0);
        expect(lost, JSON.stringify(final)).toBe(0);
      } finally {
        await first?.stop();
        await second?.stop();
      }
    },
    180_000,
  );
});

describe("Redis configured but dead (blackholed, then resetting connections)", () => {
  it(
    "ingest, auth and fanout fall back to D1: every event is delivered once per endpoint, and the API stays responsive",
    async () => {
      // The "Redis" is a loopback server that never answers (a blackhole): the worst case for a cache client.
      const redis = await startFaultReceiver("hang", { faultyAttempts: Infinity });
      receivers.push(redis);
      const w = await startWorker({ vars: { UPSTASH_REDIS_REST_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: "dead-redis-token", INGEST_RATE_LIMIT_PER_MINUTE: "100000" } });
      const sink = await startFaultReceiver("error-500", { faultyAttempts: 0 });
      receivers.push(sink);
      try {
        const ep = await w.api("POST", "/v1/endpoints", { url: `${sink.url}/hook`, owner_id: "redis-dead", retry: retry(3) });
        expect(ep.status, ep.text).toBe(201);
        expect((await w.api("POST", "/v1/subscriptions", { endpoint_id: ep.json.id, event_types: ["redis.*"] })).status).toBe(201);
        const key = await w.api("POST", "/v1/api-keys", { name: "k", owner_id: "redis-dead" });
        expect(key.status).toBe(201);

        // Owner-key requests go through the (cached) key lookup; each must still answer promptly.
        const ids: string[] = [];
        const latencies: number[] = [];
        for (let i = 0; i < 6; i++) {
          const started = Date.now();
          const res = await w.api("POST", "/v1/events", { payload: { i }, owner_id: "redis-dead", event_type: "redis.test" }, key.json.key);
          latencies.push(Date.now() - started);
          expect(res.status, res.text).toBe(202);
          ids.push(res.json.id);
        }
        const { final, duplicates, wrong } = await settle(w, ids, ep.json.id, "succeeded", 60_000);
        const seen = new Set(sink.hits.map((h) => h.webhookId));
        const lost = wrong + ids.filter((id) => !seen.has(id)).length;
        outcomes.push({ label: "Redis blackholed", events: ids.length, faultsInjected: redis.faultsInjected(), survived: lost === 0 ? redis.faultsInjected() : 0, lost, duplicates });
        console.log(JSON.stringify({ fault: "redis-dead", redis_requests: redis.hits.length, ingest_latency_ms: latencies }));
        expect(duplicates, JSON.stringify(final)).toBe(0);
        expect(lost, JSON.stringify(final)).toBe(0);
        // A dead cache may cost a timeout now and then, never a stall: every ingest answered well within 10 s.
        expect(Math.max(...latencies)).toBeLessThan(10_000);
      } finally {
        await w.stop();
      }
    },
    180_000,
  );
});
