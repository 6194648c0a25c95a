import { describe, expect, it } from "vitest";
import { derivedId, eventIdTimeBounds, IDEMPOTENCY_TTL_MS, idAtTime, idTimestamp, isIdOf, newId } from "../../src/domain/ids";

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
