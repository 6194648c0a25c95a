// Rate-limit accuracy: endpoints with rate_limit N per second (1, 5, 20, 100) each get a long backlog that
// drains at the limit; the sustained rate is measured over the whole drain and compared with N, and every
// 1-second window of arrivals (the first included) is counted.
import { describeAnswer } from "../http.mjs";
import { r2 } from "../stats.mjs";
import { payloadFor } from "./ingest.mjs";
import { createEndpoints, disableEndpoints } from "./setup.mjs";

/** Limits measured, per second. Fixed here (not in the run profile) so that every run reports the same ones. */
export const RATE_LIMITS = [1, 5, 20, 100];

export async function runRateLimits(ctx) {
  const { client, receiver, profile } = ctx;
  // The backlog lasts three measuring windows at the limit: 30 s in the full profile, 9 s in --quick.
  const drainS = profile.rateWindowS * 3;
  const setups = [];
  for (const limit of RATE_LIMITS) {
    const owner = `bench-rl-${limit}`;
    const eventType = `bench.rl.${limit}`;
    const path = `/rl/${limit}`;
    const [id] = await createEndpoints(ctx, { owner, eventType, paths: [path], rateLimit: limit });
    setups.push({ limit, owner, eventType, path, id });
  }
  // The first window's `limit` plus `drainS` seconds' worth at the limit.
  for (const s of setups) {
    const total = s.limit * (drainS + 1);
    for (let i = 0; i < total; i += 100) {
      const events = Array.from({ length: Math.min(100, total - i) }, (_, k) => ({ payload: payloadFor(i + k), owner_id: s.owner, event_type: s.eventType }));
      const r = await client.request("POST", "/v1/events/batch", { body: { events } });
      if (r.status !== 202) return { skipped: true, reason: `POST /v1/events/batch answered ${describeAnswer(r.status, r.body)}` };
    }
    s.sent = total;
  }
  // Until every backlog has drained (bounded: half as long again, plus the fanout's start-up).
  const drained = (s) => receiver.timesAt(s.path).length >= s.sent;
  await receiver.waitUntil(() => setups.every(drained), (drainS * 1.5 + 30) * 1000);
  await disableEndpoints(ctx, setups.map((s) => s.id));
  return {
    drain_s: drainS,
    limits: setups.map((s) => {
      const times = [...receiver.timesAt(s.path)].sort((a, b) => a - b);
      const n = s.limit;
      if (times.length <= n + 1) {
        return { configured_per_s: n, observed_per_s: null, reason: `only ${times.length} arrivals of ${s.sent} events within the time limit` };
      }
      // Arrivals after the first window over the time from the end of the initial burst to the last arrival.
      // The limiter sends in groups (each start waits for the one N before it to leave the window), so a
      // fixed measuring window would count a whole group in or out; the drain's own ends do not.
      const observed = (times.length - n) / ((times.at(-1) - times[n - 1]) / 1000);
      let maxInAnySecond = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[j] <= times[i] - 1000) j++;
        maxInAnySecond = Math.max(maxInAnySecond, i - j + 1);
      }
      return {
        configured_per_s: n,
        observed_per_s: r2(observed),
        accuracy: Math.round((observed / n) * 1000) / 1000,
        arrivals: times.length,
        events_sent: s.sent,
        drain_s: Math.round((times.at(-1) - times[0]) / 100) / 10,
        // Counted at the receiver as it saw them (loopback jitter included): the first window too.
        max_in_any_1s: maxInAnySecond,
        complete: times.length >= s.sent,
      };
    }),
  };
}
