// Runtime ceiling: requests/s of the trivial GET /healthz on the same workerd — the baseline every other
// throughput is divided by.
import { closedLoop } from "../load.mjs";

export async function runBaseline(ctx) {
  const { client, profile } = ctx;
  const send = async () => {
    const r = await client.request("GET", "/healthz", { auth: null });
    return { ...r, ok: r.status === 200 };
  };
  await closedLoop({ concurrency: profile.concurrency, durationMs: profile.warmupS * 1000, send }); // JIT + sockets
  const result = await closedLoop({ concurrency: profile.concurrency, durationMs: profile.baselineS * 1000, send });
  if (result.ok_requests === 0) return { skipped: true, reason: `GET /healthz never answered 200: ${result.first_error}` };
  return { route: "GET /healthz", ...result };
}
