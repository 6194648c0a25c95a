import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildRoutingIndex, matchEndpoints as matchWithFilters, patternMatches, type RoutingIndex, type SubscriptionRoute } from "../../src/domain/event-matching";

/** Type-only matching (no filters involved): the targets for an event of this type. */
const matchEndpoints = (index: RoutingIndex, eventType: string) => matchWithFilters(index, { eventType, ownerId: "acme", payload: "{}" }).targets;

describe("patternMatches", () => {
  it("matches exact types, prefix.* at any depth but not the bare prefix, and *", () => {
    expect(patternMatches("order.created", "order.created")).toBe(true);
    expect(patternMatches("order.created", "order.created.v2")).toBe(false);
    expect(patternMatches("invoice.*", "invoice.paid")).toBe(true);
    expect(patternMatches("invoice.*", "invoice.line.added")).toBe(true);
    expect(patternMatches("invoice.*", "invoice")).toBe(false);
    expect(patternMatches("invoice.*", "invoice.")).toBe(false);
    expect(patternMatches("invoice.*", "invoices.paid")).toBe(false);
    expect(patternMatches("*", "anything:at/all")).toBe(true);
  });
});

describe("matchEndpoints (routing index)", () => {
  const routes: SubscriptionRoute[] = [
    { endpointId: "ep_a", status: "active", patterns: ["order.created"] },
    { endpointId: "ep_b", status: "active", patterns: ["order.*", "invoice.paid"] },
    { endpointId: "ep_c", status: "disabled", patterns: ["*"] },
    { endpointId: "ep_d", status: "active", patterns: ["invoice.*"] },
  ];
  const index = buildRoutingIndex(routes);

  it("returns each matching endpoint once, sorted, with its status", () => {
    expect(matchEndpoints(index, "order.created")).toEqual([
      { endpointId: "ep_a", status: "active" },
      { endpointId: "ep_b", status: "active" },
      { endpointId: "ep_c", status: "disabled" },
    ]);
    expect(matchEndpoints(index, "invoice.paid").map((e) => e.endpointId)).toEqual(["ep_b", "ep_c", "ep_d"]);
    expect(matchEndpoints(index, "invoice").map((e) => e.endpointId)).toEqual(["ep_c"]);
    expect(matchEndpoints(buildRoutingIndex([]), "order.created")).toEqual([]);
  });

  it("agrees with the naive pattern check for arbitrary types and patterns", () => {
    const segment = fc.constantFrom("a", "b", "ab", "", "x-y", "c:d");
    const eventType = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(".")).filter((t) => t.length > 0);
    const pattern = fc.oneof(eventType, eventType.map((t) => `${t}.*`), fc.constant("*"));
    fc.assert(
      fc.property(
        fc.array(fc.array(pattern, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
        eventType,
        (patternLists, type) => {
          const routes = patternLists.map((patterns, i) => ({ endpointId: `ep_${i}`, status: "active" as const, patterns }));
          const expected = routes.filter((r) => r.patterns.some((p) => patternMatches(p, type))).map((r) => r.endpointId).sort();
          expect(matchEndpoints(buildRoutingIndex(routes), type).map((e) => e.endpointId)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("matchEndpoints with filtered subscriptions", () => {
  const routes: SubscriptionRoute[] = [
    // ep_a: an unfiltered subscription and a filtered one on the same types.
    { endpointId: "ep_a", status: "active", patterns: ["order.*"], filtered: [{ patterns: ["order.*"], filter: { "payload.total": { $gte: 100 } } }] },
    // ep_b: only filtered subscriptions, each with its own patterns.
    {
      endpointId: "ep_b",
      status: "active",
      patterns: [],
      filtered: [
        { patterns: ["order.created"], filter: { "payload.currency": "EUR" } },
        { patterns: ["invoice.*"], filter: { "payload.total": { $gt: 1000 } } },
      ],
    },
    // ep_c: a filter that can never compile (as if read back damaged) matches nothing.
    { endpointId: "ep_c", status: "disabled", patterns: [], filtered: [{ patterns: ["*"], filter: { $where: "true" } }] },
  ];
  const index = buildRoutingIndex(routes);
  const match = (eventType: string, payload: unknown) => {
    const result = matchWithFilters(index, { eventType, ownerId: "acme", payload: JSON.stringify(payload) });
    return { ids: result.targets.map((t) => t.endpointId), filteredOut: result.filteredOut };
  };

  it("delivers when any subscription of the endpoint matches by type and filter; counts each refusing filter", () => {
    expect(match("order.created", { total: 150, currency: "EUR" })).toEqual({ ids: ["ep_a", "ep_b"], filteredOut: 1 });
    // ep_a still matches through its unfiltered subscription; its filter and ep_b's and ep_c's refuse.
    expect(match("order.created", { total: 5, currency: "USD" })).toEqual({ ids: ["ep_a"], filteredOut: 3 });
    expect(match("invoice.paid", { total: 5000 })).toEqual({ ids: ["ep_b"], filteredOut: 1 });
    expect(match("invoice.paid", { total: 50 })).toEqual({ ids: [], filteredOut: 2 });
    // A filter only applies to its own patterns: not type-matched means neither delivered nor filtered out.
    expect(match("user.created", { total: 5000, currency: "EUR" })).toEqual({ ids: [], filteredOut: 1 });
  });

  it("a payload that is not JSON fails every filter but not unfiltered subscriptions", () => {
    const result = matchWithFilters(index, { eventType: "order.created", ownerId: "acme", payload: "{not json" });
    expect(result.targets.map((t) => t.endpointId)).toEqual(["ep_a"]);
    expect(result.filteredOut).toBe(3);
  });

  it("routes written before filters existed (no `filtered`) still index as unfiltered", () => {
    const legacy = buildRoutingIndex([{ endpointId: "ep_old", status: "active", patterns: ["*"] }]);
    expect(matchWithFilters(legacy, { eventType: "x", ownerId: "acme", payload: "1" })).toEqual({
      targets: [{ endpointId: "ep_old", status: "active" }],
      filteredOut: 0,
    });
  });
});
