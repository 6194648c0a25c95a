import { describe, expect, it } from "vitest";
import { compileFilter, compileFilterOrNever, filterMatches, type FilterDocument } from "../../src/domain/filter-eval";
import { filterIssues, MAX_FILTER_BYTES } from "../../src/domain/filter-shape";

const event = (payload: unknown, event_type = "order.created", owner_id = "acme"): FilterDocument => ({ payload, event_type, owner_id });
const order = event({
  total: 150,
  currency: "EUR",
  customer: { tier: "gold", name: "Ada Lovelace" },
  items: [{ sku: "A-1", qty: 2 }, { sku: "B-7", qty: 1 }],
  tags: ["vip", "eu"],
  note: null,
  rush: false,
});
const matches = (filter: Record<string, unknown>, doc: FilterDocument = order) => filterMatches(filter, doc);

describe("filter evaluation: operators", () => {
  it("literal equality compares deeply, objects and arrays included", () => {
    expect(matches({ "payload.currency": "EUR" })).toBe(true);
    expect(matches({ "payload.currency": "USD" })).toBe(false);
    expect(matches({ "payload.customer": { tier: "gold", name: "Ada Lovelace" } })).toBe(true);
    expect(matches({ "payload.customer": { tier: "gold" } })).toBe(false);
    expect(matches({ "payload.tags": ["vip", "eu"] })).toBe(true);
    expect(matches({ "payload.tags": ["eu", "vip"] })).toBe(false);
    expect(matches({ "payload.note": null })).toBe(true);
    expect(matches({ event_type: "order.created", owner_id: "acme" })).toBe(true);
    expect(matches({ owner_id: "other" })).toBe(false);
  });

  it("$eq and $ne", () => {
    expect(matches({ "payload.total": { $eq: 150 } })).toBe(true);
    expect(matches({ "payload.total": { $eq: 151 } })).toBe(false);
    expect(matches({ "payload.total": { $ne: 151 } })).toBe(true);
    expect(matches({ "payload.total": { $ne: 150 } })).toBe(false);
    expect(matches({ "payload.rush": { $eq: false } })).toBe(true);
  });

  it("$gt $gte $lt $lte on numbers and on strings", () => {
    expect(matches({ "payload.total": { $gt: 100 } })).toBe(true);
    expect(matches({ "payload.total": { $gt: 150 } })).toBe(false);
    expect(matches({ "payload.total": { $gte: 150 } })).toBe(true);
    expect(matches({ "payload.total": { $lt: 150 } })).toBe(false);
    expect(matches({ "payload.total": { $lte: 150 } })).toBe(true);
    expect(matches({ "payload.total": { $gt: 100, $lt: 200 } })).toBe(true);
    expect(matches({ "payload.total": { $gt: 100, $lt: 120 } })).toBe(false);
    expect(matches({ "payload.currency": { $gt: "ABC", $lt: "USD" } })).toBe(true);
  });

  it("$in and $nin (deep equality per element)", () => {
    expect(matches({ "payload.currency": { $in: ["EUR", "USD"] } })).toBe(true);
    expect(matches({ "payload.currency": { $in: ["GBP"] } })).toBe(false);
    expect(matches({ "payload.currency": { $nin: ["GBP"] } })).toBe(true);
    expect(matches({ "payload.currency": { $nin: ["EUR"] } })).toBe(false);
    expect(matches({ "payload.customer": { $in: [{ tier: "gold", name: "Ada Lovelace" }] } })).toBe(true);
    expect(matches({ "payload.currency": { $in: [] } })).toBe(false);
  });

  it("$exists", () => {
    expect(matches({ "payload.total": { $exists: true } })).toBe(true);
    expect(matches({ "payload.note": { $exists: true } })).toBe(true); // present with the value null
    expect(matches({ "payload.discount": { $exists: true } })).toBe(false);
    expect(matches({ "payload.discount": { $exists: false } })).toBe(true);
    expect(matches({ "payload.total": { $exists: false } })).toBe(false);
  });

  it("$startsWith $endsWith $contains on strings", () => {
    expect(matches({ event_type: { $startsWith: "order." } })).toBe(true);
    expect(matches({ event_type: { $startsWith: "invoice." } })).toBe(false);
    expect(matches({ "payload.customer.name": { $endsWith: "Lovelace" } })).toBe(true);
    expect(matches({ "payload.customer.name": { $endsWith: "Ada" } })).toBe(false);
    expect(matches({ "payload.customer.name": { $contains: "a Lov" } })).toBe(true);
    expect(matches({ "payload.customer.name": { $contains: "Byron" } })).toBe(false);
  });

  it("$contains on arrays: an element equal to the value, deeply", () => {
    expect(matches({ "payload.tags": { $contains: "vip" } })).toBe(true);
    expect(matches({ "payload.tags": { $contains: "vi" } })).toBe(false);
    expect(matches({ "payload.items": { $contains: { sku: "B-7", qty: 1 } } })).toBe(true);
    expect(matches({ "payload.items": { $contains: { sku: "B-7" } } })).toBe(false);
  });
});

describe("filter evaluation: types, missing paths, arrays", () => {
  it("comparisons between different JSON types are false", () => {
    expect(matches({ "payload.total": "150" })).toBe(false);
    expect(matches({ "payload.total": { $gt: "100" } })).toBe(false);
    expect(matches({ "payload.currency": { $lt: 5 } })).toBe(false);
    expect(matches({ "payload.total": { $in: ["150"] } })).toBe(false);
    expect(matches({ "payload.total": { $startsWith: "1" } })).toBe(false);
    expect(matches({ "payload.total": { $contains: 1 } })).toBe(false);
    expect(matches({ "payload.customer.name": { $contains: 1 } })).toBe(false);
    expect(matches({ "payload.note": { $eq: false } })).toBe(false);
    expect(matches({ "payload.rush": { $eq: 0 } })).toBe(false);
    // An array is its own type: no implicit "any element" matching (that is what $contains is for).
    expect(matches({ "payload.tags": "vip" })).toBe(false);
    expect(matches({ "payload.tags": { $in: ["vip"] } })).toBe(false);
    expect(matches({ "payload.items.qty": { $gt: 0 } })).toBe(false);
  });

  it("a missing path satisfies only $exists:false, $ne and $nin", () => {
    const missing = "payload.nothing.here";
    expect(matches({ [missing]: { $exists: false } })).toBe(true);
    expect(matches({ [missing]: { $ne: 1 } })).toBe(true);
    expect(matches({ [missing]: { $ne: null } })).toBe(true);
    expect(matches({ [missing]: { $nin: [1, null] } })).toBe(true);
    for (const condition of [null, 1, { $eq: null }, { $in: [null] }, { $gt: 0 }, { $lte: "z" }, { $startsWith: "" }, { $contains: "" }, { $exists: true }]) {
      expect(matches({ [missing]: condition })).toBe(false);
    }
    // All operators of a path must hold, missing or not.
    expect(matches({ [missing]: { $ne: 1, $gt: 0 } })).toBe(false);
    // A path through a scalar, or past an array's end, is missing too.
    expect(matches({ "payload.total.value": { $exists: false } })).toBe(true);
    expect(matches({ "payload.items.5.sku": { $exists: false } })).toBe(true);
    expect(matches({ "payload.items.5.sku": "A-1" })).toBe(false);
  });

  it("dotted paths index arrays with integers only", () => {
    expect(matches({ "payload.items.0.sku": "A-1" })).toBe(true);
    expect(matches({ "payload.items.1.qty": { $lt: 2 } })).toBe(true);
    expect(matches({ "payload.items.01.sku": { $exists: true } })).toBe(false);
    expect(matches({ "payload.items.sku": { $exists: true } })).toBe(false);
    expect(matches({ "payload.tags.1": "eu" })).toBe(true);
    expect(matches({ "payload.tags.length": { $exists: true } })).toBe(false);
    // A payload that is itself an array or a scalar.
    expect(matches({ "payload.0": 7 }, event([7, 8]))).toBe(true);
    expect(matches({ payload: "plain" }, event("plain"))).toBe(true);
    expect(matches({ "payload.x": { $exists: false } }, event("plain"))).toBe(true);
  });

  it("never follows inherited properties", () => {
    expect(matches({ "payload.constructor": { $exists: true } })).toBe(false);
    expect(matches({ "payload.__proto__": { $exists: true } }, event(JSON.parse('{"__proto__": {"a": 1}}')))).toBe(true);
  });
});

describe("filter evaluation: combinators", () => {
  it("the contract's example", () => {
    const filter = {
      "payload.total": { $gte: 100 },
      "payload.currency": { $in: ["EUR", "USD"] },
      $or: [{ "payload.customer.tier": "gold" }, { "payload.rush": true }],
    };
    expect(matches(filter)).toBe(true);
    expect(matches(filter, event({ total: 100, currency: "USD", customer: { tier: "silver" }, rush: true }))).toBe(true);
    expect(matches(filter, event({ total: 100, currency: "USD", customer: { tier: "silver" }, rush: false }))).toBe(false);
    expect(matches(filter, event({ total: 99, currency: "EUR", customer: { tier: "gold" } }))).toBe(false);
  });

  it("$and, $or, $not, nested", () => {
    expect(matches({ $and: [{ "payload.total": 150 }, { "payload.currency": "EUR" }] })).toBe(true);
    expect(matches({ $and: [{ "payload.total": 150 }, { "payload.currency": "USD" }] })).toBe(false);
    expect(matches({ $or: [{ "payload.total": 1 }, { "payload.currency": "USD" }] })).toBe(false);
    expect(matches({ $not: { "payload.currency": "USD" } })).toBe(true);
    expect(matches({ $not: { "payload.missing": 1 } })).toBe(true);
    expect(matches({ $not: { $or: [{ "payload.total": 150 }, { "payload.x": 1 }] } })).toBe(false);
    expect(matches({})).toBe(true);
    expect(filterMatches(null, order)).toBe(true);
  });
});

describe("filter evaluation: failure is no match", () => {
  it("compiling a malformed filter throws; the storage-side compile turns it into never-matching", () => {
    expect(() => compileFilter({ "payload.x": { $where: "true" } })).toThrow();
    expect(() => compileFilter({ $nor: [{}] })).toThrow();
    expect(compileFilterOrNever({ "payload.x": { $regex: "." } })(order)).toBe(false);
    expect(compileFilterOrNever("not an object")(order)).toBe(false);
  });

  it("an operand of the wrong shape that slipped past validation makes no match rather than throwing", () => {
    const predicate = compileFilterOrNever({ "payload.currency": { $startsWith: 5 } });
    expect(() => predicate(order)).not.toThrow();
    expect(predicate(order)).toBe(false);
  });
});

describe("filter validation", () => {
  const paths = (filter: unknown) => filterIssues(filter).map((i) => i.path.join("."));

  it("accepts the contract's shapes and null", () => {
    expect(filterIssues(null)).toEqual([]);
    expect(filterIssues({})).toEqual([]);
    expect(
      filterIssues({
        "payload.total": { $gte: 100 },
        event_type: { $startsWith: "order." },
        owner_id: "acme",
        $or: [{ "payload.a": [1, 2] }, { $not: { "payload.b": { $exists: true } } }],
        "payload.c": { tier: "gold" },
      }),
    ).toEqual([]);
  });

  it("names the path of each problem", () => {
    expect(paths({ "payload.x": { $regex: "a" } })).toEqual(["payload.x.$regex"]);
    expect(paths({ "payload.x": { $gt: 1, other: 2 } })).toEqual(["payload.x.other"]);
    expect(paths({ $nor: [] })).toEqual(["$nor"]);
    expect(paths({ $or: [{ "payload.a": 1 }, { "payload.b": { $in: "x" } }] })).toEqual(["$or.1.payload.b.$in"]);
    expect(paths({ $and: [] })).toEqual(["$and"]);
    expect(paths({ $not: [{ "payload.a": 1 }] })).toEqual(["$not"]);
    expect(paths({ body: 1, "event_type.x": "y", "payload..a": 1 })).toEqual(["body", "event_type.x", "payload..a"]);
    expect(paths({ "payload.x": { $gt: true } })).toEqual(["payload.x.$gt"]);
    expect(paths({ "payload.x": { $gte: [1] } })).toEqual(["payload.x.$gte"]);
    expect(paths({ "payload.x": { $exists: 1 } })).toEqual(["payload.x.$exists"]);
    expect(paths({ "payload.x": { $startsWith: 1, $endsWith: null } })).toEqual(["payload.x.$startsWith", "payload.x.$endsWith"]);
    expect(paths({ "payload.x": { $in: [{ $gt: 1 }] } })).toEqual(["payload.x.$in"]);
    expect(paths([])).toEqual([""]);
    expect(paths("x")).toEqual([""]);
  });

  it("bounds depth at 8 levels and size at 4 KiB", () => {
    const nest = (levels: number): Record<string, unknown> => {
      // `levels` objects deep: {"$not": {"$not": … {"payload.a": 1}}}
      let node: Record<string, unknown> = { "payload.a": 1 };
      for (let i = 1; i < levels; i++) node = { $not: node };
      return node;
    };
    expect(filterIssues(nest(8))).toEqual([]);
    expect(filterIssues(nest(9))[0]!.message).toMatch(/8 levels/);
    expect(filterIssues({ "payload.a": { $in: [[[[[[[[1]]]]]]]] } })[0]!.message).toMatch(/8 levels/);

    const sized = (bytes: number) => ({ "payload.a": "x".repeat(bytes - JSON.stringify({ "payload.a": "" }).length) });
    expect(JSON.stringify(sized(MAX_FILTER_BYTES)).length).toBe(MAX_FILTER_BYTES);
    expect(filterIssues(sized(MAX_FILTER_BYTES))).toEqual([]);
    expect(filterIssues(sized(MAX_FILTER_BYTES + 1))[0]!.message).toMatch(/4096 bytes/);
    // Bytes, not characters: "é" is two bytes of UTF-8.
    expect(filterIssues({ "payload.a": "é".repeat(2041) })[0]!.message).toMatch(/bytes/);
  });
});
