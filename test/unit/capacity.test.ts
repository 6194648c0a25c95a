// The capacity model's arithmetic (bench/lib/capacity-model.mjs) against a case computed by hand.
import { describe, expect, it } from "vitest";
import { model, splitShard } from "../../bench/lib/capacity-model.mjs";

const store = (r: ReturnType<typeof model>, prefix: string) => {
  const s = r.stores.find((x) => x.store.startsWith(prefix));
  if (!s) throw new Error(`no store ${prefix}`);
  return s;
};

describe("capacity model", () => {
  // One owner, one endpoint, 1,000 events/s, 1 KB payloads, 30 days, the documented record sizes:
  // event 275 + 1024 = 1,299 B → 1,000 × 86,400 × 1,299 = 112,233,600,000 B a day → 12 buckets of 9,352,800,000 B;
  // delivery 540 + 255 = 795 B → 68,688,000,000 B a day → 7 buckets; EndpointDO 1,000 deliveries/s = the
  // ~1,000 req/s limit; one hour of outage backlog = 1,000 × 3,600 × (256 + 1,024) = 4,608,000,000 B.
  const r = model({ owners: 1, endpointsPerOwner: 1, eventsPerS: 1000, fanout: 1, payloadBytes: 1024, retentionDays: 30 });

  it("splits the event shard by bytes into the hand-computed bucket count", () => {
    const ev = store(r, "event log");
    expect(ev.buckets).toBe(12);
    expect(ev.largestBytes).toBeCloseTo(9_352_800_000, 0);
    expect(ev.largestRequestsPerS).toBeCloseTo(100 / 12, 6); // 10 events per write
    expect(ev.objects).toBe(360); // 30 days × 12 buckets
    expect(ev.splitBy).toBe("10 GB per object");
  });

  it("splits the delivery shard the same way", () => {
    const dl = store(r, "delivery log");
    expect(dl.buckets).toBe(7);
    expect(dl.largestBytes).toBeCloseTo(68_688_000_000 / 7, 0);
    expect(dl.objects).toBe(210);
  });

  it("finds EndpointDO's request rate as the first limit to bind", () => {
    const ep = store(r, "EndpointDO");
    expect(ep.largestBytes).toBe(4_608_000_000);
    expect(ep.binding).toEqual({ limit: "~1,000 req/s per object", share: 1 });
    expect(store(r, "events queue").binding.share).toBeCloseTo(0.2, 10);
    expect(store(r, "D1").largestBytes).toBe(1024 + 2048);
    expect(r.firstLimit.store).toMatch(/^EndpointDO/);
  });

  it("splits by request rate when that needs more buckets than bytes", () => {
    expect(splitShard({ bytes: 5e9, requestsPerS: 2500 })).toEqual({ buckets: 3, bytesPerBucket: 5e9 / 3, requestsPerBucket: 2500 / 3, boundBy: "~1,000 req/s per object" });
    expect(splitShard({ bytes: 1e6, requestsPerS: 1 }).buckets).toBe(1);
  });

  it("charges D1 per delivery, payload included, while history still lives there", () => {
    // 1 event/s × 86,400 s × (1,000 B + 1,024 B payload) + 3,072 B metadata, 1 day retained.
    const d1 = store(model({ owners: 1, endpointsPerOwner: 1, eventsPerS: 1, retentionDays: 1, d1BytesPerDelivery: 1000, d1HoldsPayload: 1, d1QueriesPerDelivery: 2 }), "D1");
    expect(d1.store).toBe("D1 (metadata and history)");
    expect(d1.largestBytes).toBe(86_400 * 2024 + 3072);
    expect(d1.largestRequestsPerS).toBe(2);
  });

  it("spreads many owners' events evenly and charges the queue per event", () => {
    const many = model({ owners: 10_000, endpointsPerOwner: 5, eventsPerS: 2000, fanout: 5 });
    expect(many.input.deliveriesPerS).toBe(10_000);
    // 0.2 events/s per owner × 86,400 × 1,299 B = 22,446,720 B per owner-day, one bucket, 300,000 objects alive.
    expect(store(many, "event log").largestBytes).toBeCloseTo(22_446_720, 0);
    expect(store(many, "event log").objects).toBe(300_000);
    expect(store(many, "events queue").largestRequestsPerS).toBe(2000);
    expect(many.firstLimit.store).toBe("events queue");
    expect(many.firstLimit.headroom).toBeCloseTo(2.5, 10);
  });
});
