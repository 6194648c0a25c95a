// Cost: a fixed number of events, fully delivered and idle again, with the app's operation counters and
// workerd's CPU read before and after — then priced by cost.mjs. Two shapes (issue 14): single events to one
// endpoint (POST /v1/events), and batch ingest (POST /v1/events/batch, 100 events per request) fanned out to 3.
import { costPerDelivery, readCounters } from "../cost.mjs";
import { bytesPerDelivery, storageBytes } from "../storage.mjs";
import { fixedLoad } from "./e2e.mjs";
import { payloadFor } from "./ingest.mjs";
import { createEndpoints, disableEndpoints } from "./setup.mjs";

/** Shape 1: single events to one endpoint. */
export function runCost(ctx) {
  const p = ctx.profile;
  return measureCost(ctx, { label: "cost", endpoints: 1, events: p.costEvents, eventsPerS: p.costEventsPerS, batchTicksPerS: 0 });
}

/** Shape 2: batch ingest, 100 events per request, each event fanned out to 3 endpoints. */
export function runCostBatch(ctx) {
  const p = ctx.profile;
  return measureCost(ctx, { label: "cost-batch", endpoints: 3, events: p.costBatchEvents, eventsPerS: p.costBatchEventsPerS, batchTicksPerS: p.costBatchEventsPerS / 100 });
}

async function measureCost(ctx, { label, endpoints, events, eventsPerS, batchTicksPerS }) {
  const { profile } = ctx;
  const owner = `bench-${label}`;
  const eventType = `bench.${label}`;
  const paths = Array.from({ length: endpoints }, (_, i) => `/${label}/${i}`);
  const ids = await createEndpoints(ctx, { owner, eventType, paths });
  await ctx.quiesce();
  const before = await readCounters(ctx.client);
  const bytesBefore = ctx.worker.persistDir ? await storageBytes(ctx.worker.persistDir) : null;
  const cpuBefore = ctx.workerdCpu();
  const load = await fixedLoad(ctx, { owner, eventType, paths, eventsPerS, durationS: events / eventsPerS, drainS: profile.costDrainS, batchTicksPerS });
  await ctx.quiesce();
  const after = await readCounters(ctx.client);
  const cpuAfter = ctx.workerdCpu();
  const bytesAfter = ctx.worker.persistDir ? await storageBytes(ctx.worker.persistDir) : null;
  await disableEndpoints(ctx, ids);
  if (load.deliveries_arrived === 0) return { skipped: true, reason: `none of ${load.events_accepted} accepted events arrived within ${profile.costDrainS} s` };
  const cost = costPerDelivery({
    deliveries: load.deliveries_arrived,
    ingestRequests: load.ingest.sent,
    before,
    after,
    workerdCpuS: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  });
  if (load.deliveries_missing) cost.notes.push(`${load.deliveries_missing} deliveries had not arrived when counting stopped: per-delivery figures are slightly high`);
  return {
    shape: batchTicksPerS ? `POST /v1/events/batch (100 events per request), fanout to ${endpoints} endpoints` : `POST /v1/events (one event per request), ${endpoints} endpoint`,
    endpoints,
    events: load.events_accepted,
    offered_events_per_s: eventsPerS,
    latency: load.latency,
    ...cost,
    /** Bytes each store grew by per delivery (local SQLite files): what the capacity model scales up. */
    storage_per_delivery: bytesPerDelivery(bytesBefore, bytesAfter, load.deliveries_arrived),
    deliveries_per_event: endpoints,
    /** Mean serialized size of the payloads sent, to tell record overhead from payload in the bytes above. */
    payload_bytes: Math.round(Array.from({ length: 100 }, (_, i) => JSON.stringify(payloadFor(i)).length).reduce((a, b) => a + b, 0) / 100),
  };
}
