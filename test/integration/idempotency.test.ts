// The IdempotencyDO on its own: claim / commit / release semantics and the 24 h expiry alarm.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { IDEMPOTENCY_TTL_MS, type IdempotencyDO } from "../../src/ingest/idempotency.do";
import { idempotencyStub } from "../../src/ingest/idempotency-client";
import { accept } from "../../src/ingest/accept";
import type { Env } from "../../src/env";
import { testEnv } from "./fanout-helpers";

const stubFor = (key: string) => idempotencyStub(testEnv, ["idem-do"], key);

describe("IdempotencyDO", () => {
  it("answers committed ids to later claims, and a mismatch for a different event count", async () => {
    const stub = stubFor("commit");
    const claim = await stub.claim(["evt_a", "evt_b"]);
    expect(claim).toMatchObject({ outcome: "claimed", ids: ["evt_a", "evt_b"] });
    expect(await stub.commit((claim as { token: string }).token)).toBe(true);
    expect(await stub.claim(["evt_c", "evt_d"])).toEqual({ outcome: "committed", ids: ["evt_a", "evt_b"] });
    expect(await stub.claim(["evt_e"])).toEqual({ outcome: "mismatch", ids: ["evt_a", "evt_b"] });
  });

  it("after a release, the next request claims again with the same ids (a partial send is deduplicated downstream)", async () => {
    const stub = stubFor("release");
    const first = await stub.claim(["evt_1"]);
    await stub.release((first as { token: string }).token);
    const second = await stub.claim(["evt_2"]);
    expect(second).toMatchObject({ outcome: "claimed", ids: ["evt_1"] });
    expect((second as { token: string }).token).not.toBe((first as { token: string }).token);
    // The released token can no longer commit.
    expect(await stub.commit((first as { token: string }).token)).toBe(false);
  });

  it("makes a concurrent claim wait for the holder and then answer its ids", async () => {
    const stub = stubFor("wait");
    const holder = await stub.claim(["evt_h"]);
    const waiting = stub.claim(["evt_w"]);
    let answered = false;
    void waiting.then(() => (answered = true));
    // Calls on one stub reach the object in order: once this later call has answered, the claim has arrived and
    // is waiting (an unknown token commits nothing; its wake-up only makes the waiter look again and keep waiting).
    expect(await stub.commit("not-a-token")).toBe(false);
    expect(answered).toBe(false);
    await stub.commit((holder as { token: string }).token);
    expect(await waiting).toEqual({ outcome: "committed", ids: ["evt_h"] });
  });

  it("forgets the key when its 24 h alarm fires", async () => {
    const stub = stubFor("expire");
    const claim = await stub.claim(["evt_old"]);
    await stub.commit((claim as { token: string }).token);
    // Age the record past 24 h, as if a day had gone by.
    await runInDurableObject(stub, (_instance: IdempotencyDO, state) => {
      state.storage.sql.exec("UPDATE claim SET created_at = ?", Date.now() - IDEMPOTENCY_TTL_MS - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tables = await runInDurableObject(stub, (_instance: IdempotencyDO, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'claim'").toArray(),
    );
    expect(tables).toEqual([]);
    expect(await stub.claim(["evt_new"])).toMatchObject({ outcome: "claimed", ids: ["evt_new"] });
  });

  it("through accept(): a failed queue send releases the key, so the client's retry is accepted at once", async () => {
    const input = { events: [{ payload: { a: 1 }, owner_id: "idem-accept", event_type: "order.created" }], batch: false, idempotencyKey: "send-fails" };
    const failingQueue = { send: () => Promise.reject(new Error("queue down")), sendBatch: () => Promise.reject(new Error("queue down")) };
    await expect(accept({ ...testEnv, EVENTS_QUEUE: failingQueue } as unknown as Env, input)).rejects.toThrow(/queue down/);

    const started = Date.now();
    const retried = await accept(testEnv, input);
    expect(retried.replayed).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000); // did not wait out the failed request's lease
    const again = await accept(testEnv, input);
    expect(again).toEqual({ ids: retried.ids, replayed: true });
  });
});
