// Ingest throughput and latency: POST /v1/events at concurrency 50, POST /v1/events/batch with 100 events per
// request, and (when /ingest/ws exists) WebSocket frames — accepted events/s and per-request latency.
import { describeAnswer } from "../http.mjs";
import { closedLoop } from "../load.mjs";

export const INGEST_OWNER = "bench-ingest";
const EVENT_TYPE = "bench.ingest";

/** A small realistic payload (~150 bytes serialized). */
export function payloadFor(i) {
  return { order_id: `ord_${i}`, amount_cents: 1000 + (i % 997), currency: "EUR", customer: { id: `cus_${i % 5000}`, tier: "gold" } };
}

export async function runIngestSingle(ctx) {
  const { client, profile } = ctx;
  const send = async (i) => {
    const r = await client.request("POST", "/v1/events", {
      body: { payload: payloadFor(i), owner_id: INGEST_OWNER, event_type: EVENT_TYPE },
    });
    return { ...r, ok: r.status === 202, units: 1 };
  };
  const probe = await send(0);
  if (!probe.ok) return { skipped: true, reason: `POST /v1/events answered ${describeAnswer(probe.status, probe.body)}` };
  const result = await closedLoop({ concurrency: profile.concurrency, durationMs: profile.ingestS * 1000, send });
  return { route: "POST /v1/events", events_per_request: 1, ...result, events_per_s: result.units_per_s };
}

export async function runIngestBatch(ctx) {
  const { client, profile } = ctx;
  const size = 100;
  const send = async (i) => {
    const events = Array.from({ length: size }, (_, k) => ({ payload: payloadFor(i * size + k), owner_id: INGEST_OWNER, event_type: EVENT_TYPE }));
    const r = await client.request("POST", "/v1/events/batch", { body: { events } });
    return { ...r, ok: r.status === 202, units: size };
  };
  const probe = await send(0);
  if (!probe.ok) return { skipped: true, reason: `POST /v1/events/batch answered ${describeAnswer(probe.status, probe.body)}` };
  const result = await closedLoop({ concurrency: profile.batchConcurrency, durationMs: profile.ingestS * 1000, send });
  return { route: "POST /v1/events/batch", events_per_request: size, ...result, events_per_s: result.units_per_s };
}
