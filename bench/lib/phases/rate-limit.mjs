// Rate-limit accuracy: endpoints with rate_limit N requests per second get a standing backlog; the observed
// arrival rate over a steady window (after the bucket's initial burst) is compared with N.
import { describeAnswer } from "../http.mjs";
import { r2 } from "../stats.mjs";
import { payloadFor } from "./ingest.mjs";
import { createEndpoints, disableEndpoints } from "./setup.mjs";

export async function runRateLimits(ctx) {
  const { client, receiver, profile } = ctx;
  const W = profile.rateWindowS;
  const setups = [];
  for (const limit of profile.rateLimits) {
    const owner = `bench-rl-${limit}`;
    const eventType = `bench.rl.${limit}`;
    const path = `/rl/${limit}`;
    const [id] = await createEndpoints(ctx, { owner, eventType, paths: [path], rateLimit: limit });
    setups.push({ limit, owner, eventType, path, id });
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
  // Wait until each endpoint's window (which starts after its initial burst) has fully passed (bounded).
  const windowDone = (s) => {
    const times = receiver.timesAt(s.path);
    return times.length > s.limit && performance.now() >= times[s.limit] + W * 1000 + 200;
  };
  await receiver.waitUntil(() => setups.every(windowDone), (W + 20) * 1000);
  const measuredAt = performance.now();
  await disableEndpoints(ctx, setups.map((s) => s.id));
  return {
    window_s: W,
    limits: setups.map((s) => {
      const times = receiver.timesAt(s.path);
      if (times.length <= s.limit + 1) {
        return { configured_per_s: s.limit, observed_per_s: null, reason: `only ${times.length} arrivals of ${s.sent} events within the time limit` };
      }
      const start = times[s.limit]; // skip the bucket's initial burst of `limit` requests
      const end = start + W * 1000;
      const windowTimes = times.filter((t) => t >= start && t <= end);
      const inWindow = windowTimes.length - 1; // arrivals after the window's first one
      const windowFull = measuredAt >= end;
      // Rate from the spacing of the window's arrivals ((n−1) gaps over their span): counting arrivals per
      // fixed window would quantize to ±1/W per second (±5% at 2/s over 10 s).
      const span = (windowTimes.at(-1) - windowTimes[0]) / 1000;
      const observed = inWindow >= 2 && span > 0 ? inWindow / span : null;
      let maxInAnySecond = 0;
      for (let i = s.limit, j = s.limit; i < times.length; i++) {
        while (times[j] <= times[i] - 1000) j++;
        maxInAnySecond = Math.max(maxInAnySecond, i - j + 1);
      }
      return {
        configured_per_s: s.limit,
        observed_per_s: r2(observed),
        accuracy: observed === null ? null : Math.round((observed / s.limit) * 1000) / 1000,
        arrivals_in_window: inWindow + 1,
        arrivals: times.length,
        initial_burst_arrivals: s.limit,
        max_in_any_1s_after_burst: maxInAnySecond,
        window_complete: windowFull,
      };
    }),
  };
}
