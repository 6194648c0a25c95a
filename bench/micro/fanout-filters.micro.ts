// Micro benchmark of the fanout's matching step with subscription filters, in plain Node (no workerd):
// `npx vitest run --config bench/micro/vitest.config.ts` (vitest 5 has no `bench` API; this times plain loops).
// One owner, one unfiltered endpoint, plus 0 or 10 filtered subscriptions of the same event type that refuse
// every event at their last condition (the worst case short of a match). Each iteration matches one event:
// type lookup, payload parse (only when a filter needs it) and the filters' evaluation.
import { expect, it } from "vitest";
import { buildRoutingIndex, matchEndpoints, type SubscriptionRoute } from "../../src/domain/event-matching";

const EVENT_TYPE = "bench.filters";

function routes(filtered: number): SubscriptionRoute[] {
  const out: SubscriptionRoute[] = [{ endpointId: "ep_plain", status: "active", patterns: [EVENT_TYPE] }];
  for (let i = 0; i < filtered; i++) {
    out.push({
      endpointId: `ep_f${i}`,
      status: "active",
      patterns: [],
      filtered: [
        {
          patterns: [EVENT_TYPE],
          filter: {
            "payload.amount_cents": { $gte: 0 },
            "payload.currency": { $in: ["EUR", "USD"] },
            "payload.customer.tier": { $startsWith: "g" },
            $or: [{ "payload.customer.id": `nobody_${i}` }, { "payload.rush": true }],
          },
        },
      ],
    });
  }
  return out;
}

// The bench harness's payload shape (bench/lib/phases/ingest.mjs payloadFor).
const payloads = Array.from({ length: 1000 }, (_, i) =>
  JSON.stringify({ order_id: `ord_${i}`, amount_cents: 1000 + (i % 997), currency: "EUR", customer: { id: `cus_${i % 5000}`, tier: "gold" } }),
);

/** Matches per second over `ms` of wall time, after a warm-up, checking every result. */
function measure(filtered: number, ms: number): number {
  const index = buildRoutingIndex(routes(filtered));
  let i = 0;
  const once = () => {
    const result = matchEndpoints(index, { eventType: EVENT_TYPE, ownerId: "acme", payload: payloads[i++ % payloads.length]! });
    if (result.targets.length !== 1 || result.filteredOut !== filtered) throw new Error("unexpected match");
  };
  for (let w = 0; w < 20_000; w++) once();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let k = 0; k < 1000; k++) once();
    n += 1000;
  }
  return n / ((performance.now() - t0) / 1000);
}

it("matchEndpoints per event: 0 vs 10 filtered subscriptions", () => {
  const rounds: Record<number, number[]> = { 0: [], 10: [] };
  // Alternate the variants so drift on a shared machine loads both alike; report medians.
  for (let r = 0; r < 3; r++) for (const filtered of [0, 10]) rounds[filtered]!.push(measure(filtered, 700));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [plain, filtered] = [median(rounds[0]!), median(rounds[10]!)];
  console.log(
    `matchEndpoints: 0 filtered ${Math.round(plain).toLocaleString("en")} events/s, 10 filtered ${Math.round(filtered).toLocaleString("en")} events/s ` +
      `(${((1e6 / filtered) - (1e6 / plain)).toFixed(2)} µs more per event, ${(((1e6 / filtered) - (1e6 / plain)) / 10).toFixed(2)} µs per filter)`,
  );
  expect(filtered).toBeGreaterThan(0);
});
