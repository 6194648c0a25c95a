// New deliveries kept in an EndpointDO's memory instead of SQLite rows (src/delivery/fresh-work.ts), and the
// recovery scan (src/delivery/recovery.ts) that finds them again in history when the object lost its memory.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { attemptRows, received, receiverUrl, script, seedDeliveries, seedEndpoint, uniqueKey, waitFor, waitForStatus } from "./delivery-fixtures";

type Stub = ReturnType<typeof endpointStub>;

async function storedRows(stub: Stub): Promise<number> {
  return runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM inflight").one().n);
}

async function recoveryMark(stub: Stub): Promise<string | null> {
  return runInDurableObject(stub, (_instance, state) => {
    const rows = state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'unsettled_since'").toArray();
    return rows[0]?.value ?? null;
  });
}

function perDelivery(reqs: { headers: Record<string, string> }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of reqs) out.set(r.headers["hookrelay-delivery-id"]!, (out.get(r.headers["hookrelay-delivery-id"]!) ?? 0) + 1);
  return out;
}

/** The recovery mark is set (a cleared one would read as 0 and pass any bound) and at or before `ms`. */
async function expectMarkAtOrBefore(stub: Stub, ms: number) {
  const mark = await recoveryMark(stub);
  expect(mark).not.toBeNull();
  expect(Number(mark)).toBeLessThanOrEqual(ms);
}

/** An endpoint answering 200 at once, with default settings, handed `count` new deliveries. */
async function endpointWithWork(label: string, count: number) {
  const key = uniqueKey(label);
  await script(key, [{ status: 200 }]);
  return handedWork(key, await seedEndpoint({ url: receiverUrl(key) }), count);
}

/** An endpoint answering 200 after `delayMs`, one request at a time, handed `count` new deliveries. */
async function slowEndpointWithWork(label: string, count: number, delayMs: number, timeoutMs?: number) {
  const key = uniqueKey(label);
  await script(key, [{ status: 200, delay_ms: delayMs }]);
  return handedWork(key, await seedEndpoint({ url: receiverUrl(key), maxInFlight: 1, ...(timeoutMs === undefined ? {} : { timeoutMs }) }), count);
}

async function handedWork(key: string, ep: Awaited<ReturnType<typeof seedEndpoint>>, count: number) {
  const works = await seedDeliveries(ep, count);
  const stub = endpointStub(env, ep.id);
  await stub.enqueue(works);
  return { key, ep, works, stub };
}

describe("fresh work", () => {
  it("new deliveries wait in memory, not as rows, and each is delivered once", async () => {
    const { key, works, stub } = await slowEndpointWithWork("fresh", 6, 150);

    // While they wait: counted as in flight, none of them stored as a row, the recovery mark set.
    const inspection = await stub.inspect();
    expect(inspection.work).toBe(6);
    expect(inspection.memory.fresh).toBe(6);
    expect(await storedRows(stub)).toBe(0);
    await expectMarkAtOrBefore(stub, Math.min(...works.map((w) => w.accepted_at)));
    // Lists see them beside history.
    const listed = await stub.listInFlight(undefined, 50);
    expect(new Set(listed.map((d) => d.id))).toEqual(new Set(works.map((w) => w.delivery_id)));

    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 20_000);
    expect([...perDelivery(await received(key)).values()]).toEqual(works.map(() => 1));
    expect(await storedRows(stub)).toBe(0);
    const after = await stub.inspect();
    expect(after.memory.fresh).toBe(0);
    expect(after.memory.freshBytes).toBe(0);
  });

  it("a repeated handoff of a delivery kept in memory adds nothing", async () => {
    const { key, works, stub } = await slowEndpointWithWork("fresh-dup", 3, 300);
    // The same deliveries again, plainly and as a redelivered message would carry them.
    expect((await stub.enqueue(works)).queued).toBe(0);
    expect((await stub.enqueue(works.map((w) => ({ ...w, maybe_seen: true })))).queued).toBe(0);
    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 20_000);
    expect([...perDelivery(await received(key)).values()]).toEqual(works.map(() => 1));
    expect(await storedRows(stub)).toBe(0);
  });

  it("a fresh delivery that needs a retry is stored as a row then, and its attempts stay together", async () => {
    const key = uniqueKey("fresh-retry");
    await script(key, [{ status: 500 }, { status: 200 }]);
    const ep = await seedEndpoint({ url: receiverUrl(key), retry: { strategy: "constant", max_attempts: 3, delay_s: 1, max_delay_s: 1, jitter: false } });
    const [work] = await seedDeliveries(ep, 1);
    const stub = endpointStub(env, ep.id);
    await stub.enqueue([work!]);
    await waitFor(async () => (await storedRows(stub)) === 1);
    const done = await waitForStatus(work!.delivery_id, "succeeded", 20_000);
    expect(done.attempts).toBe(2);
    expect((await attemptRows(work!.delivery_id)).map((a) => a.statusCode)).toEqual([500, 200]);
    // The row goes once the outcome is in history (within a flush interval).
    await waitFor(async () => (await storedRows(stub)) === 0);
  });

  it("after the object loses its memory, the recovery scan finds every fresh delivery in history: each delivered, none lost", async () => {
    // Slow answers: most of the work is still waiting in memory when the object is reset.
    const { key, ep, works, stub } = await slowEndpointWithWork("fresh-lost", 8, 400, 5000);
    await waitFor(async () => (await received(key)).length >= 1);
    await runInDurableObject(stub, (_instance, state) => state.abort("reset by the fresh-work test")).catch(() => undefined);

    // The watchdog alarm brings the object back; its scan stores the lost deliveries as rows and drains them.
    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 40_000);
    const counts = perDelivery(await received(key));
    expect(counts.size).toBe(works.length);
    // At least once: only what was in flight or finished-but-unwritten at the reset may have gone out twice.
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(works.length + 2);
    for (const w of works) {
      const attempts = await attemptRows(w.delivery_id);
      expect(new Set(attempts.map((a) => a.attempt)).size).toBe(attempts.length);
    }
    // A stub that saw the reset stays broken: talk to the new instance through a new one.
    expect((await endpointStub(env, ep.id).inspect()).memory.recovered).toBeGreaterThan(0);
  }, 60_000);

  it("a restart with nothing lost reads history and attempts nothing again", async () => {
    const { key, ep, works, stub } = await endpointWithWork("fresh-nothing-lost", 4);
    for (const w of works) await waitForStatus(w.delivery_id, "succeeded", 20_000);
    // Outcomes in history (an outcome lost with the object would be attempted again: at least once).
    await waitFor(async () => (await stub.inspect()).unlogged === 0);
    // Reset right away: the mark is still set (it clears only after an idle spell), so the new instance scans.
    expect(await recoveryMark(stub)).not.toBeNull();
    await runInDurableObject(stub, (_instance, state) => state.abort("reset after the work was done")).catch(() => undefined);
    // Any call brings it back; its next run scans (an alarm is armed for it) and finds everything in history.
    const fresh = endpointStub(env, ep.id);
    await fresh.configChanged();
    await waitFor(async () => !(await fresh.inspect()).recovering, 20_000);
    expect((await fresh.inspect()).memory.recovered).toBe(0);
    expect([...perDelivery(await received(key)).values()]).toEqual(works.map(() => 1));
  }, 60_000);

  it("once a large spell is all settled, the mark moves past it: a restart does not read that spell again", async () => {
    const { key, ep, works, stub } = await endpointWithWork("fresh-spell", 200);
    const newest = Math.max(...works.map((w) => w.accepted_at));
    // While the spell is unsettled the mark stays before its oldest event…
    await expectMarkAtOrBefore(stub, Math.min(...works.map((w) => w.accepted_at)));
    // …and after the last outcome is in history, it passes the newest one (long before the 30 s idle clearing).
    await waitFor(async () => Number(await recoveryMark(stub)) > newest, 30_000);
    expect((await stub.inspect()).unlogged).toBe(0);
    expect(perDelivery(await received(key)).size).toBe(works.length);

    // A late handoff of an older event still moves the mark back before it.
    const [late] = await seedDeliveries(ep, 1);
    const older = { ...late!, accepted_at: newest - 60_000 };
    await stub.enqueue([older]);
    await expectMarkAtOrBefore(stub, older.accepted_at);
    await waitForStatus(older.delivery_id, "succeeded", 20_000);
  }, 60_000);
});
