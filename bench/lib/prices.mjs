// Cloudflare's published usage prices (Workers Paid plan, USD, beyond the monthly included amounts): the ONE
// table every cost figure in the benchmark is computed from. Update here when Cloudflare's pages change.
//
// Sources (looked up November 2026):
// - Workers: https://developers.cloudflare.com/workers/platform/pricing/ — Standard usage model:
//   10M requests/month included, then $0.30/million; 30M CPU-ms included, then $0.02/million CPU-ms.
// - Queues: https://developers.cloudflare.com/queues/platform/pricing/ — $0.40/million operations after 1M
//   included; one operation = each 64 KB written, read or deleted (a delivered message = write + read + delete).
// - Durable Objects: https://developers.cloudflare.com/durable-objects/platform/pricing/ — requests (HTTP, RPC
//   sessions, WebSocket messages, alarm invocations) $0.15/million after 1M; duration $12.50/million GB-s after
//   400,000 GB-s; SQLite storage rows read $0.001/million (25B included), rows written $1.00/million (50M included).
// - D1: https://developers.cloudflare.com/d1/platform/pricing/ — rows read $0.001/million (25B included),
//   rows written $1.00/million (50M included).
// Included monthly allowances are ignored on purpose: the figure is the marginal cost at scale.

export const PRICES_CHECKED = "2026-11";

/** USD per one million units, keyed by the operation names the cost model counts. */
export const USD_PER_MILLION = {
  worker_requests: 0.3,
  worker_cpu_ms: 0.02,
  queue_operations: 0.4,
  do_requests: 0.15,
  do_duration_gb_s: 12.5,
  do_sql_rows_read: 0.001,
  do_sql_rows_written: 1.0,
  d1_rows_read: 0.001,
  d1_rows_written: 1.0,
};

export const PRICE_SOURCES = {
  worker_requests: "https://developers.cloudflare.com/workers/platform/pricing/",
  worker_cpu_ms: "https://developers.cloudflare.com/workers/platform/pricing/",
  queue_operations: "https://developers.cloudflare.com/queues/platform/pricing/",
  do_requests: "https://developers.cloudflare.com/durable-objects/platform/pricing/",
  do_duration_gb_s: "https://developers.cloudflare.com/durable-objects/platform/pricing/",
  do_sql_rows_read: "https://developers.cloudflare.com/durable-objects/platform/pricing/",
  do_sql_rows_written: "https://developers.cloudflare.com/durable-objects/platform/pricing/",
  d1_rows_read: "https://developers.cloudflare.com/d1/platform/pricing/",
  d1_rows_written: "https://developers.cloudflare.com/d1/platform/pricing/",
};
