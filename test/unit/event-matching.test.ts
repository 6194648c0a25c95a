import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildRoutingIndex, matchEndpoints, patternMatches, type SubscriptionRoute } from "../../src/domain/event-matching";

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
