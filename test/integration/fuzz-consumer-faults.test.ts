// Fault properties of the fanout consumer and the EndpointDO inside workerd: duplicate queue messages, D1
// errors (before and after a write commits), failed hand-offs, an object reset mid-drain, a failed outbox flush.
// Faults are injected by wrapping the bindings the test passes in (env proxies), so production code has no hooks.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { findDeliveryViews } from "../../src/delivery/delivery-views";
import { deliveryId } from "../../src/domain/ids";
import type { Env } from "../../src/env";
import { findEvent } from "../../src/history/event-history";
import { assertProperty, fuzzSettings } from "../fuzz/arbitraries";
import { attemptRows, deliveryRow, received, receiverUrl, script, seedDelivery, seedEndpoint, uniqueKey, waitForStatus } from "./delivery-fixtures";
import { call } from "./helpers";
import { eventMessage, eventually, runEvents, subscribe, testEnv } from "./fanout-helpers";

const raw = env as unknown as { HOOKRELAY_FUZZ_SEED?: string; HOOKRELAY_FUZZ_RUNS?: string };
const SETTINGS = fuzzSettings({ seed: raw.HOOKRELAY_FUZZ_SEED, runs: raw.HOOKRELAY_FUZZ_RUNS ? String(Math.ceil(Number(raw.HOOKRELAY_FUZZ_RUNS) / 20)) : undefined }, 40);

type Fault = "none" | "d1-error-before-write" | "d1-error-after-write" | "handoff-fails" | "history-fails";

class InjectedFault extends Error {}

/** Whether an error (or any error it wraps, e.g. drizzle's query error) is one this test injected. */
function isInjected(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof InjectedFault || String(e).includes("injected")) return true;
  }
  return false;
}

/** D1 that is down: every batch and every statement fails (reads included). */
function unavailableDb(real: D1Database): D1Database {
  const fail = async () => {
    throw new InjectedFault("D1_ERROR: injected outage");
  };
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "batch" || prop === "exec") return fail;
      if (prop === "prepare") {
        return (sql: string) =>
          new Proxy(target.prepare(sql), {
            get(st, p) {
              if (p === "first" || p === "all" || p === "run" || p === "raw") return fail;
              const v = Reflect.get(st, p, st);
              return typeof v === "function" ? v.bind(st) : v;
            },
          });
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** D1 whose batch() fails, before or after really committing (the "response lost" case). */
function faultyDb(real: D1Database, when: "before" | "after"): D1Database {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          if (when === "after") await target.batch(statements);
          throw new InjectedFault(`D1_ERROR: injected ${when} the write`);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Gives a running EndpointDO this D1 from now on: its own env is swapped, no production hook needed. */
async function useDb(stub: ReturnType<typeof endpointStub>, db: D1Database): Promise<void> {
  await runInDurableObject(stub, (instance) => {
    (instance as unknown as { env: Env }).env = { ...testEnv, DB: db } as Env;
  });
}

/** A Durable Object namespace whose stubs refuse every RPC. */
function failingNamespace<T extends object>(real: T): T {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "get") {
        return () =>
          new Proxy({}, {
            get: () => async () => {
              throw new InjectedFault("EndpointDO unreachable (injected)");
            },
          });
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function envWith(fault: Fault): Env {
  if (fault === "none") return testEnv;
  if (fault === "handoff-fails") return { ...testEnv, ENDPOINT_DO: failingNamespace(testEnv.ENDPOINT_DO) } as Env;
  if (fault === "history-fails") return { ...testEnv, LOG_SHARD: failingNamespace(testEnv.LOG_SHARD) } as Env;
  return { ...testEnv, DB: faultyDb(testEnv.DB, fault === "d1-error-before-write" ? "before" : "after") } as Env;
}

const OWNER = "cf-owner";
let active: { id: string; key: string }[] = [];
let heldEndpoint = "";

beforeAll(async () => {
  active = [];
  for (const label of ["cf-a", "cf-b"]) {
    const key = uniqueKey(label);
    const res = await call("POST", "/v1/endpoints", { body: { url: receiverUrl(key), owner_id: OWNER, retry: { strategy: "constant", max_attempts: 3, delay_s: 1, jitter: false } } });
    expect(res.status, res.text).toBe(201);
    await subscribe(res.json.id, ["cf.*"]);
    active.push({ id: res.json.id, key });
  }
  const held = await call("POST", "/v1/endpoints", { body: { url: receiverUrl(uniqueKey("cf-held")), owner_id: OWNER } });
  await subscribe(held.json.id, ["cf.*"]);
  expect((await call("POST", `/v1/endpoints/${held.json.id}/disable`)).status).toBe(200);
  heldEndpoint = held.json.id;
});

const figures = { runs: 0, packedMessages: 0, invocations: 0, faultsInjected: 0, duplicateMessages: 0, events: 0, lost: 0, duplicateRecords: 0 };

describe("fanout consumer under faults (property)", () => {
  it(`delivers every event once per endpoint whatever fails and however often messages repeat (seed ${SETTINGS.seed}, ${SETTINGS.numRuns} runs)`, async () => {
    const scenario = fc.record({
      events: fc.integer({ min: 1, max: 5 }),
      // Events per queue message: 1 = single-event messages, more = packed `kind: "events"` messages.
      pack: fc.integer({ min: 1, max: 3 }),
      // Each invocation: which messages it carries (indexes; repeats = duplicates in one batch) and its fault.
      invocations: fc.array(
        fc.record({
          picks: fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 7 }),
          fault: fc.constantFrom<Fault>("none", "d1-error-before-write", "d1-error-after-write", "handoff-fails", "history-fails"),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    });

    await assertProperty(
      "consumer faults",
      fc.asyncProperty(scenario, async ({ events: eventCount, pack, invocations }) => {
        figures.runs++;
        const events = Array.from({ length: eventCount }, (_, i) => eventMessage(OWNER, `cf.e${i}`, { i, run: figures.runs }));
        const messages = Array.from({ length: Math.ceil(eventCount / pack) }, (_, m) => {
          const group = events.slice(m * pack, (m + 1) * pack);
          return group.length === 1 ? group[0]! : { kind: "events", events: group.map(({ kind: _kind, ...entry }) => entry) };
        });
        figures.packedMessages += messages.filter((m) => m.kind === "events").length;
        const acked = new Set<number>();
        for (const inv of invocations) {
          const picks = inv.picks.map((p) => p % messages.length);
          figures.invocations++;
          figures.duplicateMessages += picks.length - new Set(picks).size + picks.filter((p) => acked.has(p)).length;
          if (inv.fault !== "none") figures.faultsInjected++;
          try {
            const result = await runEvents(picks.map((p) => messages[p]), envWith(inv.fault));
            result.explicitAcks.forEach((id) => acked.add(picks[result.ids.indexOf(id)]!));
          } catch (err) {
            // A throwing invocation acks nothing: the platform redelivers its whole batch.
            if (!isInjected(err)) throw err;
          }
        }
        // Redelivery: the queue keeps offering what was not acked (bounded), now without faults.
        for (let round = 0; round < 3 && acked.size < messages.length; round++) {
          const pending = messages.map((_, i) => i).filter((i) => !acked.has(i));
          const result = await runEvents(pending.map((i) => messages[i]));
          result.explicitAcks.forEach((id) => acked.add(pending[result.ids.indexOf(id)]!));
        }
        expect(acked.size).toBe(messages.length);

        for (const m of events) {
          figures.events++;
          const deliveriesOf = async () => {
            const event = await findEvent(testEnv, m.id, OWNER);
            const ids = await Promise.all((event?.endpoints ?? []).map((endpointId) => deliveryId(m.id, endpointId)));
            return { event, views: [...(await findDeliveryViews(testEnv, ids)).values()] };
          };
          const rows = await eventually(async () => {
            const { views } = await deliveriesOf();
            const settled = views.length === 3 && views.every((r) => (r.endpoint_id === heldEndpoint ? r.status === "held" : r.status === "succeeded"));
            return settled ? views : null;
          }, 15_000).catch(() => null);
          const { event, views: now } = await deliveriesOf();
          // One record per (event, endpoint): the routed endpoints are distinct and each has one delivery id.
          figures.duplicateRecords += (event?.endpoints?.length ?? 0) - new Set(event?.endpoints ?? []).size;
          if (!rows) {
            figures.lost++;
            throw new Error(`event ${m.id} did not settle: ${JSON.stringify(now.map((d) => [d.endpoint_id, d.status]))}`);
          }
          for (const ep of active) {
            const seen = (await received(ep.key)).filter((r) => r.headers["webhook-id"] === m.id);
            if (seen.length < 1) {
              figures.lost++;
              throw new Error(`receiver ${ep.key} never saw ${m.id}`);
            }
          }
        }
      }),
      SETTINGS,
    );
    console.log(JSON.stringify({ fuzz: "consumer-faults", seed: SETTINGS.seed, ...figures }));
    expect(figures.lost).toBe(0);
    expect(figures.duplicateRecords).toBe(0);
  }, 120_000);
});

describe("EndpointDO under faults", () => {
  it("an object reset mid-attempt (evicted while draining) retries the delivery from its stored work", async () => {
    const key = uniqueKey("evict");
    // The first answer is slow enough to reset the object while it waits; later ones are immediate.
    await script(key, [{ status: 200, delay_ms: 1500 }, { status: 200 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), timeoutMs: 5000 });
    const work = await seedDelivery(ep, { evict: true });
    const stub = endpointStub(testEnv, ep.id);
    await stub.enqueue([work]);
    await eventually(async () => (await received(key)).length >= 1);
    await runInDurableObject(stub, (_instance, state) => {
      state.abort("evicted by the fault-injection test");
    }).catch(() => undefined);

    // The stored work and the watchdog alarm survive the reset; the next run attempts again.
    const done = await waitForStatus(work.delivery_id, "succeeded", 25_000);
    expect(done.status).toBe("succeeded");
    const seen = (await received(key)).filter((r) => r.headers["webhook-id"] === work.event_id);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect((await deliveryRow(work.delivery_id))!.attempts).toBeGreaterThanOrEqual(1);
    console.log(JSON.stringify({ fault: "endpoint-do-reset", receiver_requests: seen.length, attempts_recorded: (await attemptRows(work.delivery_id)).length }));
  }, 40_000);
});
