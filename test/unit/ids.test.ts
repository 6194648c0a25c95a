import { describe, expect, it } from "vitest";
import { attemptId, deliveryId, derivedId, eventIdTimeBounds, IDEMPOTENCY_TTL_MS, idAtTime, idTimestamp, isIdOf, newEventId, newId } from "../../src/domain/ids";

describe("ids", () => {
  it("are prefixed and sort by creation time", () => {
    const a = newId("evt", 1_700_000_000_000);
    const b = newId("evt", 1_700_000_000_001);
    expect(isIdOf("evt", a)).toBe(true);
    expect(a < b).toBe(true);
    expect(idTimestamp(a)).toBe(1_700_000_000_000);
  });

  it("derive deterministically from a parent and keep its time", async () => {
    const evt = newId("evt", 1_800_000_000_000);
    const d1 = await derivedId("dlv", evt, "ep_x");
    const d2 = await derivedId("dlv", evt, "ep_x");
    const d3 = await derivedId("dlv", evt, "ep_y");
    expect(d1).toBe(d2);
    expect(d1).not.toBe(d3);
    expect(isIdOf("dlv", d1)).toBe(true);
    expect(idTimestamp(d1)).toBe(1_800_000_000_000);
  });

  it("bound the ids of events accepted in a time range, ids reused by an idempotent retry included", () => {
    const proposed = 1_800_000_000_000;
    const id = newId("evt", proposed);
    expect(idAtTime("evt", proposed) < id && id < idAtTime("evt", proposed + 1)).toBe(true);
    // Accepted by a retry with the same Idempotency-Key, as late as the key is remembered.
    const acceptedAt = proposed + IDEMPOTENCY_TTL_MS - 1;
    const after = eventIdTimeBounds(acceptedAt - 1, undefined);
    expect(id > idAtTime("evt", after.from!)).toBe(true);
    const before = eventIdTimeBounds(undefined, proposed + 1);
    expect(id < idAtTime("evt", before.before!)).toBe(true);
    expect(idAtTime("evt", -5_000)).toBe("evt_0000000000");
  });
});

describe("attemptId", () => {
  it("is stable per (delivery, attempt), distinct across both, sorts with its delivery and has the id shape", async () => {
    const event = newEventId("owner-1", Date.UTC(2026, 11, 5));
    const a = await deliveryId(event, "ep_01jabcdefghjkmnpqrstvwxyz0");
    const b = await deliveryId(event, "ep_01jabcdefghjkmnpqrstvwxyz1");
    expect(attemptId(a, 1)).toBe(attemptId(a, 1));
    const ids = [attemptId(a, 1), attemptId(a, 2), attemptId(a, 40), attemptId(b, 1)];
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^att_[0-9a-hjkmnp-tv-z]{26}$/);
    expect(attemptId(a, 1).slice(4, 14)).toBe(event.slice(4, 14)); // the event's time
    expect([attemptId(a, 10), attemptId(a, 9), attemptId(a, 2)].sort()).toEqual([attemptId(a, 2), attemptId(a, 9), attemptId(a, 10)]);
    expect(attemptId("dlv_x", 1)).toMatch(/^att_[0-9a-hjkmnp-tv-z]{26}$/);
    expect(attemptId("dlv_x", 1)).not.toBe(attemptId("dlv_y", 1));
  });
});
