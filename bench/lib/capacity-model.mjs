// Capacity model (issue 14): for a deployment shape (owners, endpoints, rates, payload, retention), how big the
// largest object of each store gets, how many requests per second it takes, and which platform limit binds
// first. Pure arithmetic on plain numbers, so `npm run capacity` and test/unit/capacity.test.ts share it.
//
// The storage layout modelled (issue 14): events in log objects sharded by owner × day, finished deliveries
// (attempts inline) in log objects sharded by endpoint × day, a shard that would exceed one object's limits
// split into N hash buckets; EndpointDO holds only in-flight work; D1 holds metadata only.

/** Cloudflare's published limits (shared/PLATFORM-NOTES.md). */
export const LIMITS = {
  objectBytes: 10e9, // 10 GB per Durable Object (SQLite storage)
  objectRequestsPerS: 1000, // ~1,000 requests/s per object (soft)
  queueMessagesPerS: 5000, // per queue
  d1Bytes: 10e9, // 10 GB per D1 database
  d1QueriesPerS: 1000, // single-threaded: ~1,000 queries/s at ~1 ms each, reads and writes alike
};

/**
 * Defaults for what one record costs, used when the bench results do not say (and overridable by flags).
 * Bytes are SQLite bytes including index entries; the record sizes come from issue 14's measurement of the D1
 * layout (event row with 4 indexes 275 B + payload; delivery row with 6 indexes 540 B; attempt 255 B).
 */
export const DEFAULTS = {
  payloadBytes: 1024,
  retentionDays: 30,
  fanout: 1, // endpoints each event is delivered to
  eventOverheadBytes: 275, // event record without its payload
  deliveryBytes: 540, // finished delivery record without attempts
  attemptBytes: 255, // one attempt, inline in the delivery record
  attemptsPerDelivery: 1,
  inflightOverheadBytes: 256, // an in-flight row in EndpointDO (the payload is held alongside it)
  outageHours: 1, // how long an endpoint may be down while its in-flight work piles up in its EndpointDO
  eventsPerLogWrite: 10, // events the fanout consumer writes to one event shard per call
  deliveriesPerLogWrite: 10, // finished deliveries EndpointDO writes to one delivery shard per call
  queueMessagesPerEvent: 1, // events queue messages per event (measured 1.0 by the bench)
  d1QueriesPerDelivery: 0, // D1 holds metadata only, routing reads cached (bench-measured when results exist)
  d1BytesPerDelivery: 0, // D1 bytes retained per delivery without the payload: 0 once history is off D1
  d1HoldsPayload: 0, // 1 while events (with their payloads) are stored in D1: adds payload ÷ fanout per delivery
  endpointMetadataBytes: 2048, // D1: an endpoint with its subscriptions and indexes
  ownerMetadataBytes: 1024, // D1: an owner's API keys, sources, channels
};

const DAY_S = 86_400;

/**
 * Splits a shard into the fewest hash buckets that keep each bucket under both object limits.
 * → { buckets, bytesPerBucket, requestsPerBucket, boundBy } (boundBy: the limit that forced the split, or null).
 */
export function splitShard({ bytes, requestsPerS }, limits = LIMITS) {
  const byBytes = Math.ceil(bytes / limits.objectBytes);
  const byRequests = Math.ceil(requestsPerS / limits.objectRequestsPerS);
  const buckets = Math.max(1, byBytes, byRequests);
  const boundBy = buckets === 1 ? null : byBytes >= byRequests ? "10 GB per object" : "~1,000 req/s per object";
  return { buckets, bytesPerBucket: bytes / buckets, requestsPerBucket: requestsPerS / buckets, boundBy };
}

/**
 * One scenario. `owners`, `endpointsPerOwner`, `eventsPerS` (all owners together, spread evenly unless
 * `hotOwnerShare` gives the busiest owner's share), plus any DEFAULTS key. → { input, stores, firstLimit }.
 * Each store: { store, objects, largestBytes, largestRequestsPerS, buckets?, utilization: {limit: share},
 * binding: the limit with the highest share, note }.
 */
export function model(scenario, limits = LIMITS) {
  const s = { ...DEFAULTS, ...scenario };
  const owners = s.owners;
  const endpoints = owners * s.endpointsPerOwner;
  const hotShare = s.hotOwnerShare ?? 1 / owners;
  const hotOwnerEventsPerS = s.eventsPerS * hotShare;
  const fanout = Math.min(s.fanout, s.endpointsPerOwner);
  const deliveriesPerS = s.eventsPerS * fanout;
  // The busiest endpoint: the busiest owner's deliveries spread over its endpoints.
  const hotEndpointDeliveriesPerS = (hotOwnerEventsPerS * fanout) / s.endpointsPerOwner;

  const eventBytes = s.eventOverheadBytes + s.payloadBytes;
  // A measured record size (deliveryRecordBytes, one attempt inline) replaces delivery + attempt; more attempts add theirs.
  const deliveryRecordBytes =
    s.deliveryRecordBytes !== undefined ? s.deliveryRecordBytes + s.attemptBytes * (s.attemptsPerDelivery - 1) : s.deliveryBytes + s.attemptBytes * s.attemptsPerDelivery;
  const stores = [];

  // Event log: owner × day, split by hash bucket when hot.
  {
    const shard = splitShard({ bytes: hotOwnerEventsPerS * DAY_S * eventBytes, requestsPerS: hotOwnerEventsPerS / s.eventsPerLogWrite }, limits);
    const perOwnerBuckets = (share) => splitShard({ bytes: s.eventsPerS * share * DAY_S * eventBytes, requestsPerS: (s.eventsPerS * share) / s.eventsPerLogWrite }, limits).buckets;
    const otherOwners = owners - 1;
    const objects = s.retentionDays * (shard.buckets + (otherOwners > 0 ? otherOwners * perOwnerBuckets((1 - hotShare) / otherOwners) : 0));
    stores.push(logStore("event log (owner × day)", shard, objects, limits, `${fmtRate(hotOwnerEventsPerS)} events/s from the busiest owner, ${eventBytes} B each, ${s.eventsPerLogWrite} per write`));
  }
  // Delivery log: endpoint × day, same split rule.
  {
    const shard = splitShard({ bytes: hotEndpointDeliveriesPerS * DAY_S * deliveryRecordBytes, requestsPerS: hotEndpointDeliveriesPerS / s.deliveriesPerLogWrite }, limits);
    const objects = s.retentionDays * endpoints * shard.buckets; // upper bound: every endpoint split like the busiest
    stores.push(logStore("delivery log (endpoint × day)", shard, objects, limits, `${fmtRate(hotEndpointDeliveriesPerS)} deliveries/s at the busiest endpoint, ${deliveryRecordBytes} B each (${s.attemptsPerDelivery} attempt inline), ${s.deliveriesPerLogWrite} per write`));
  }
  // EndpointDO: one per endpoint, in-flight work only; its delivery rate is serial work in one object.
  {
    const bytes = hotEndpointDeliveriesPerS * s.outageHours * 3600 * (s.inflightOverheadBytes + s.payloadBytes);
    const utilization = { "~1,000 req/s per object": hotEndpointDeliveriesPerS / limits.objectRequestsPerS, "10 GB per object": bytes / limits.objectBytes };
    stores.push({
      store: "EndpointDO (in-flight only)",
      objects: endpoints,
      largestBytes: bytes,
      largestRequestsPerS: hotEndpointDeliveriesPerS,
      utilization,
      binding: binding(utilization),
      note: `one delivery = one unit of the object's serial work; bytes = ${s.outageHours} h of outage backlog at the busiest endpoint`,
    });
  }
  // Queues: the events queue carries one message per event for the whole deployment.
  {
    const msgs = s.eventsPerS * s.queueMessagesPerEvent;
    const utilization = { "5,000 msg/s per queue": msgs / limits.queueMessagesPerS };
    stores.push({ store: "events queue", objects: 1, largestBytes: null, largestRequestsPerS: msgs, utilization, binding: binding(utilization), note: `${s.queueMessagesPerEvent} message per event` });
  }
  // D1: metadata, plus whatever queries and bytes per delivery the bench still measures there.
  {
    const metadata = owners * s.ownerMetadataBytes + endpoints * s.endpointMetadataBytes;
    const perDelivery = s.d1BytesPerDelivery + (s.d1HoldsPayload ? s.payloadBytes / fanout : 0);
    const bytes = metadata + deliveriesPerS * DAY_S * s.retentionDays * perDelivery;
    const queries = deliveriesPerS * s.d1QueriesPerDelivery;
    const utilization = { "D1 10 GB": bytes / limits.d1Bytes, "D1 single thread (~1,000 queries/s)": queries / limits.d1QueriesPerS };
    stores.push({
      store: perDelivery ? "D1 (metadata and history)" : "D1 (metadata)",
      objects: 1,
      largestBytes: bytes,
      largestRequestsPerS: queries,
      utilization,
      binding: binding(utilization),
      note: `${s.d1QueriesPerDelivery} queries per delivery; ${Math.round(perDelivery)} B retained per delivery${s.d1HoldsPayload ? " (payload included)" : ""}; metadata ${owners} × ${s.ownerMetadataBytes} B + ${endpoints} × ${s.endpointMetadataBytes} B`,
    });
  }
  // Log stores split freely (objects are unbounded in number), so they never bind; the others do.
  const fixed = stores.filter((x) => x.buckets === undefined);
  const worst = fixed.reduce((a, b) => (b.binding.share > a.binding.share ? b : a));
  return {
    input: { ...s, endpoints, fanout, deliveriesPerS, hotOwnerEventsPerS, hotEndpointDeliveriesPerS, eventBytes, deliveryRecordBytes },
    stores,
    firstLimit: { store: worst.store, limit: worst.binding.limit, share: worst.binding.share, headroom: worst.binding.share > 0 ? 1 / worst.binding.share : null },
  };
}

function logStore(store, shard, objects, limits, note) {
  const utilization = { "10 GB per object": shard.bytesPerBucket / limits.objectBytes, "~1,000 req/s per object": shard.requestsPerBucket / limits.objectRequestsPerS };
  return {
    store,
    objects,
    buckets: shard.buckets,
    largestBytes: shard.bytesPerBucket,
    largestRequestsPerS: shard.requestsPerBucket,
    utilization,
    binding: binding(utilization),
    splitBy: shard.boundBy,
    note,
  };
}

function binding(utilization) {
  const [limit, share] = Object.entries(utilization).reduce((a, b) => (b[1] > a[1] ? b : a));
  return { limit, share };
}

function fmtRate(x) {
  return x >= 10 ? Math.round(x).toLocaleString("en-US") : String(Math.round(x * 1000) / 1000);
}

/** The scenarios `npm run capacity` prints by default (issue 14), all with 1 KB payloads and 30 days. */
export const DEFAULT_SCENARIOS = [
  { name: "one owner, one endpoint, 1,000 deliveries/s, 30 days", owners: 1, endpointsPerOwner: 1, eventsPerS: 1000, fanout: 1 },
  { name: "10,000 owners × 5 endpoints, 2,000 events/s in total, each event to 1 endpoint", owners: 10_000, endpointsPerOwner: 5, eventsPerS: 2000, fanout: 1 },
  { name: "10,000 owners × 5 endpoints, 2,000 events/s in total, each event to all 5", owners: 10_000, endpointsPerOwner: 5, eventsPerS: 2000, fanout: 5 },
];
