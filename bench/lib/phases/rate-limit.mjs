// Rate-limit accuracy: endpoints with rate_limit N requests per second get a standing backlog; the observed
// arrival rate over a steady window (after the bucket's initial burst) is compared with N.
import { describeAnswer } from "../http.mjs";
import { r2 } from "../stats.mjs";
import { payloadFor } from "./ingest.mjs";
import { createEndpoints } from "./setup.mjs";

export async function runRateLimits(ctx) {
  const { client, receiver, profile } = ctx;
  const W = profile.rateWindowS;
  const setups = [];
  for (const limit of profile.rateLimits) {
    const owner = `bench-rl-${limit}`;
    const eventType = `bench.rl.${limit}`;
    const path = `/rl/${limit}`;
    await createEndpoints(ctx, { owner, eventType, paths: [path], rateLimit: limit });
    setups.push({ limit, owner, eventType, path });
  }
  // Enough backlog to outlast the burst and the window: limit × (window + 4 s) + burst.
  for (const s of setups) {
    const total = Math.ceil(s.limit * (W + 4)) + s.limit;
    for (let i = 0; i < total; i += 100) {
      const events = Array.from({ length: Math.min(100, total - i) }, (_, k) => ({ payload: payloadFor(i + k), owner_id: s.owner, event_type: s.eventType }));
      const r = await client.request("POST", "/v1/events/batch", { body: { events } });
      if (r.status !== 202) return { skipped: true, reason: `POST /v1/events/batch answered ${describeAnswer(r.status, r.body)}` };
    }
    s.sent = total;
  }
  // Wait until each endpoint has had its burst plus a full window of arrivals (bounded).
  const need = (s) => s.limit + Math.ceil(s.limit * W) + 1;
  await receiver.waitUntil(() => setups.every((s) => receiver.timesAt(s.path).length >= need(s)), (W + 20) * 1000);
  return {
    window_s: W,
    limits: setups.map((s) => {
      const times = receiver.timesAt(s.path);
      if (times.length <= s.limit + 1) {
        return { configured_per_s: s.limit, observed_per_s: null, reason: `only ${times.length} arrivals of ${s.sent} events within the time limit` };
      }
      const start = times[s.limit]; // skip the bucket's initial burst of `limit` requests
      const end = start + W * 1000;
      const inWindow = times.filter((t) => t > start && t <= end).length;
      const windowFull = times.at(-1) >= end;
      const observed = inWindow / W;
      let maxInAnySecond = 0;
      for (let i = s.limit, j = s.limit; i < times.length; i++) {
        while (times[j] <= times[i] - 1000) j++;
        maxInAnySecond = Math.max(maxInAnySecond, i - j + 1);
      }
      return {
        configured_per_s: s.limit,
        observed_per_s: r2(observed),
        accuracy: r2(observed / s.limit),
        arrivals: times.length,
        initial_burst_arrivals: s.limit,
        max_in_any_1s_after_burst: maxInAnySecond,
        window_complete: windowFull,
      };
    }),
  };
}
