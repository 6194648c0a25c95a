import { describe, expect, it } from "vitest";
import { derivedId, idTimestamp, isIdOf, newId } from "../../src/domain/ids";

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
});
