// Environment for every local `wrangler dev` this repo starts (npm start, npm test's e2e, npm run bench).
//
// X_LOCAL_OBSERVABILITY: wrangler 4.164 turns local tracing on by default — every invocation, subrequest,
// D1 query and storage call of the Worker and its Durable Objects is streamed to a collector in the same
// workerd process and written to a SQLite trace store under .wrangler/state/v3/observability, competing for
// the one thread everything runs on locally. On this machine, one endpoint at 200 single events/s got 63–109
// deliveries/s with it and up to 199/s without; the store grew 80 MB in four minutes (README, "Soak and local
// tracing"). It is off unless the caller sets it: `X_LOCAL_OBSERVABILITY=true npm start` brings the Local
// Explorer's traces back.
// It does not touch production: wrangler.toml's [observability] (Workers Logs) is a deploy setting.
export function localRuntimeEnv(base = process.env) {
  return {
    ...base,
    WRANGLER_SEND_METRICS: "false",
    X_LOCAL_OBSERVABILITY: base.X_LOCAL_OBSERVABILITY || "false", // empty counts as unset (wrangler refuses "")
  };
}
