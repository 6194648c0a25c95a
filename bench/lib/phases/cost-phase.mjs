// Cost: a fixed number of events to one endpoint at a moderate rate, fully delivered and idle again, with the
// app's operation counters and workerd's CPU read before and after — then priced by cost.mjs.
import { costPerDelivery, readCounters } from "../cost.mjs";
import { fixedLoad } from "./e2e.mjs";
import { createEndpoints, disableEndpoints } from "./setup.mjs";

export async function runCost(ctx) {
  const { profile } = ctx;
  const paths = ["/cost/0"];
  const ids = await createEndpoints(ctx, { owner: "bench-cost", eventType: "bench.cost", paths });
  await ctx.quiesce();
  const before = await readCounters(ctx.client);
  const cpuBefore = ctx.workerdCpu();
  const load = await fixedLoad(ctx, {
    owner: "bench-cost",
    eventType: "bench.cost",
    paths,
    eventsPerS: profile.costEventsPerS,
    durationS: profile.costEvents / profile.costEventsPerS,
    drainS: profile.costDrainS,
  });
  await ctx.quiesce();
  const after = await readCounters(ctx.client);
  const cpuAfter = ctx.workerdCpu();
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
  return { events: load.events_accepted, offered_events_per_s: profile.costEventsPerS, latency: load.latency, ...cost };
}
