// What subscription filters cost the fanout: events/s through ingest → fanout consumer for an owner whose events
// go to one unfiltered endpoint, with 0 and then 10 more filtered subscriptions of the same type. The unfiltered
// endpoint is disabled, so each event ends as one `held` delivery written by the consumer and no EndpointDO
// sends anything: the rate is the fanout's, not one endpoint's delivery rate. The 10 filters all refuse the
// events, and only at their last condition, so every event costs 10 full evaluations but no extra delivery.
import { describeAnswer } from "../http.mjs";
import { payloadFor } from "./ingest.mjs";
import { disableEndpoints, SkipError } from "./setup.mjs";

const EVENT_TYPE = "bench.filters";
const PER_BATCH = 100;

/** Holds for payloadFor()'s events until the `$or`, which none satisfies: the worst case short of a match. */
function refusingFilter(i) {
  return {
    "payload.amount_cents": { $gte: 0 },
    "payload.currency": { $in: ["EUR", "USD"] },
    "payload.customer.tier": { $startsWith: "g" },
    $or: [{ "payload.customer.id": `nobody_${i}` }, { "payload.rush": true }],
  };
}

async function endpointWith(ctx, owner, path, filter) {
  const { client, receiver } = ctx;
  const ep = await client.api("POST", "/v1/endpoints", { url: `${receiver.url}${path}`, owner_id: owner, description: `bench ${path}` });
  if (ep.status !== 201) throw new SkipError(`POST /v1/endpoints answered ${describeAnswer(ep.status, ep.text)}`);
  const sub = await client.api("POST", "/v1/subscriptions", { endpoint_id: ep.json.id, event_types: [EVENT_TYPE], filter });
  if (sub.status !== 201) throw new SkipError(`POST /v1/subscriptions with a filter answered ${describeAnswer(sub.status, sub.text)}`);
  return ep.json.id;
}

/** The target's held deliveries so far (the consumer records them), from the endpoint's stats. */
async function heldCount(ctx, endpointId) {
  const res = await ctx.client.api("GET", `/v1/endpoints/${endpointId}/stats`);
  if (res.status !== 200) throw new SkipError(`GET /v1/endpoints/{id}/stats answered ${describeAnswer(res.status, res.text)}`);
  return res.json?.counts?.held ?? 0;
}

/** Polls (every 250 ms, bounded) until `n` held deliveries exist; the time they were first seen, or null. */
async function waitForHeld(ctx, endpointId, n, timeoutMs) {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if ((await heldCount(ctx, endpointId)) >= n) return performance.now();
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

/** One round: `events` events in batches of 100 (closed loop, `concurrency` requests in flight), timed until all are fanned out. */
async function round(ctx, { filtered, events, concurrency, drainMs, tag }) {
  const { client, receiver } = ctx;
  const owner = `bench-filters-${tag}`;
  const path = `/filters-${tag}`;
  const ids = [await endpointWith(ctx, owner, path, null)];
  if ((await client.api("POST", `/v1/endpoints/${ids[0]}/disable`)).status !== 200) throw new SkipError("POST /v1/endpoints/{id}/disable failed");
  for (let i = 0; i < filtered; i++) ids.push(await endpointWith(ctx, owner, `${path}-f${i}`, refusingFilter(i)));
  await ctx.quiesce();

  const sent = [];
  const batches = Math.ceil(events / PER_BATCH);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < batches) {
      const b = next++;
      const body = { events: Array.from({ length: PER_BATCH }, (_, k) => ({ payload: payloadFor(b * PER_BATCH + k), owner_id: owner, event_type: EVENT_TYPE })) };
      const r = await client.request("POST", "/v1/events/batch", { body });
      if (r.status !== 202) throw new Error(`POST /v1/events/batch answered ${describeAnswer(r.status, r.body)}`);
      sent.push(...JSON.parse(r.body).ids);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const doneAt = await waitForHeld(ctx, ids[0], sent.length, drainMs);
  const drained = doneAt !== null;
  const seconds = ((doneAt ?? performance.now()) - t0) / 1000;
  // A filter that wrongly matched would have delivered to its endpoint: the variant would not measure what it says.
  const strayDeliveries = Array.from({ length: filtered }, (_, i) => receiver.uniqueAt(`${path}-f${i}`)).reduce((a, b) => a + b, 0);
  await disableEndpoints(ctx, ids);
  return {
    filtered_subscriptions: filtered,
    events: sent.length,
    held: await heldCount(ctx, ids[0]),
    drained,
    seconds: Math.round(seconds * 100) / 100,
    events_per_s: drained ? Math.round(sent.length / seconds) : null,
    stray_deliveries: strayDeliveries,
  };
}

/** Alternates the variants (0, 10, 0, 10, …) so drift on a shared machine loads both alike; reports medians. */
export async function runFanoutFilters(ctx, { events = ctx.profile.filterEvents ?? 2000, rounds = ctx.profile.filterRounds ?? 2 } = {}) {
  const runs = [];
  const stamp = Date.now().toString(36);
  for (let r = 0; r < rounds; r++) {
    for (const filtered of [0, 10]) {
      const res = await round(ctx, { filtered, events, concurrency: 4, drainMs: (ctx.profile.drainS ?? 30) * 1000, tag: `${stamp}-${r}-${filtered}` });
      ctx.log(`fanout_filters: ${filtered} filtered → ${res.events_per_s ?? "not drained"} events/s (${res.events} events, ${res.seconds} s)`);
      runs.push(res);
    }
  }
  const median = (xs) => {
    const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
    if (s.length === 0) return null;
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
  };
  const of = (filtered) => median(runs.filter((x) => x.filtered_subscriptions === filtered).map((x) => x.events_per_s));
  const [plain, filtered] = [of(0), of(10)];
  return {
    events_per_round: events,
    rounds,
    events_per_s_0_filtered: plain,
    events_per_s_10_filtered: filtered,
    ratio_10_to_0: plain && filtered ? Math.round((filtered / plain) * 1000) / 1000 : null,
    runs,
  };
}
