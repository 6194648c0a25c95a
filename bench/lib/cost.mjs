// Cost model: billable operations per delivered event from the harness's own request count and the app's
// operation counters (GET /v1/metrics), priced with the one table in prices.mjs. Missing counts stay null.
import { USD_PER_MILLION } from "./prices.mjs";

/** Counter snapshot from the Worker, or null with the reason when /v1/metrics is not there. */
export async function readCounters(client) {
  const r = await client.api("GET", "/v1/metrics");
  if (r.status !== 200 || !r.json?.counters) return { counters: null, reason: `GET /v1/metrics answered ${r.status}` };
  return { counters: r.json.counters };
}

/**
 * Rows per delivery by store, found generically: every counter named `<store>_rows_written` / `_rows_read` is one
 * store's total (`d1_…` is D1; every other prefix — `do_sql`, or any store the app adds — is Durable Object
 * SQLite, priced alike). A counter named `<total>:<label>` is a breakdown of that total (e.g. one DO class) and is
 * reported but never added in, so a store is not counted twice.
 */
export function rowsByStore(d, deliveries) {
  if (!d) return null;
  const per = (x) => Math.round((x / deliveries) * 1000) / 1000;
  const out = { written: {}, read: {}, breakdown: {}, d1_rows_written: 0, do_rows_written: 0, d1_rows_read: 0, do_rows_read: 0 };
  for (const [name, value] of Object.entries(d)) {
    const m = /^(.+)_rows_(written|read)(?::(.+))?$/.exec(name);
    if (!m || typeof value !== "number") continue;
    const [, store, kind, label] = m;
    if (label !== undefined) {
      out.breakdown[name] = per(value);
      continue;
    }
    out[kind][store] = per(value);
    out[`${store === "d1" ? "d1" : "do"}_rows_${kind}`] += value;
  }
  for (const k of ["d1_rows_written", "do_rows_written", "d1_rows_read", "do_rows_read"]) out[k] = per(out[k]);
  out.total_rows_written = Math.round((out.d1_rows_written + out.do_rows_written) * 1000) / 1000;
  return out;
}

function diff(before, after) {
  if (!before || !after) return null;
  return Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));
}

/**
 * `deliveries`: unique deliveries that arrived; `ingestRequests`: HTTP requests the harness made to the Worker
 * for them; `before`/`after`: counter snapshots around the phase (after it fully drained and went idle);
 * `workerdCpuS`: CPU seconds the local workerd used meanwhile.
 */
export function costPerDelivery({ deliveries, ingestRequests, before, after, workerdCpuS }) {
  const d = diff(before?.counters, after?.counters);
  const notes = [];
  const per = (x) => (x === null || x === undefined ? null : Math.round((x / deliveries) * 1000) / 1000);
  // A family whose counter stayed 0 while deliveries happened cannot have been counted (each delivery needs it).
  const counted = (...names) => d !== null && names.some((n) => (d[n] ?? 0) > 0);
  const unavailable = (what, names) => {
    notes.push(
      d === null
        ? `${what}: not counted (${before?.reason ?? after?.reason ?? "no counters"})`
        : `${what}: app counter${names.length > 1 ? "s" : ""} ${names.join(", ")} read 0 across ${deliveries} deliveries — not wired in the app yet`,
    );
    return null;
  };

  const stores = rowsByStore(d, deliveries);
  const queueInvocations = counted("worker_queue_invocations") ? d.worker_queue_invocations + (d.worker_scheduled_invocations ?? 0) : null;
  if (queueInvocations === null) notes.push("worker requests: queue consumer invocations not counted (counter worker_queue_invocations not wired): figure is the ingest requests only, a lower bound");
  const ops = {
    worker_requests: per(ingestRequests + (queueInvocations ?? 0)),
    queue_operations: counted("queue_messages_written")
      ? per(d.queue_messages_written + d.queue_messages_read + d.queue_messages_acked)
      : unavailable("queue operations", ["queue_messages_written"]),
    do_requests: counted("do_requests", "do_alarms")
      ? per(d.do_requests + d.do_alarms + (d.do_websocket_messages ?? 0) / 20)
      : unavailable("Durable Object requests", ["do_requests", "do_alarms"]),
    // Every store's rows, summed generically (rowsByStore): new Durable Object stores count without naming them here.
    do_sql_rows_read: stores && stores.do_rows_written + stores.do_rows_read > 0 ? stores.do_rows_read : unavailable("DO SQLite rows read", ["do_sql_rows_read"]),
    do_sql_rows_written: stores && stores.do_rows_written > 0 ? stores.do_rows_written : unavailable("DO SQLite rows written", ["do_sql_rows_written"]),
    d1_rows_read: counted("d1_rows_read", "d1_rows_written") ? per(d.d1_rows_read) : unavailable("D1 rows read", ["d1_rows_read"]),
    // D1 at 0 is a real figure once the app counts other stores (issue 14: D1 holds metadata only).
    d1_rows_written: counted("d1_rows_written") || (stores && stores.do_rows_written > 0) ? per(d.d1_rows_written ?? 0) : unavailable("D1 rows written", ["d1_rows_written"]),
    worker_cpu_ms: workerdCpuS === null ? null : per(workerdCpuS * 1000),
  };
  if (workerdCpuS === null) notes.push("CPU: workerd process not found in /proc");
  else notes.push("worker_cpu_ms is the local workerd process's CPU (it also simulates D1, Queues and DO storage): an upper bound of billed Workers CPU");
  notes.push("DO duration (GB-s) is not measured: workerd does not expose per-object wall time; its cost is left out");

  const usd = {};
  let total = 0;
  for (const [k, v] of Object.entries(ops)) {
    usd[k] = v === null ? null : Math.round(v * USD_PER_MILLION[k] * 10_000) / 10_000; // per million deliveries
    if (usd[k] !== null) total += usd[k];
  }
  const missing = Object.entries(ops).filter(([, v]) => v === null).map(([k]) => k);
  return {
    deliveries,
    ingest_requests: ingestRequests,
    counter_deltas: d,
    per_delivery: ops,
    /** Rows per delivery by store (D1, each DO SQLite store) and their total: the issue-14 figure. */
    rows_by_store: stores,
    usd_per_million_deliveries: { ...usd, total: Math.round(total * 10_000) / 10_000, complete: missing.length === 0, missing },
    notes,
  };
}
