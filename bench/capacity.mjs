// `npm run capacity [-- flags]`: the capacity model (bench/lib/capacity-model.mjs) for the default scenarios of
// issue 14, or for one scenario given by flags, with rows and messages per event taken from the latest bench
// results (bench/results/*.json) where present. Prints one markdown table per scenario.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SCENARIOS, DEFAULTS, LIMITS, model } from "./lib/capacity-model.mjs";

const ROOT = resolve(import.meta.dirname, "..");

/** Flag name → model key; every flag takes a number. */
const FLAGS = {
  owners: "owners",
  "endpoints-per-owner": "endpointsPerOwner",
  "events-per-s": "eventsPerS",
  fanout: "fanout",
  "payload-bytes": "payloadBytes",
  "retention-days": "retentionDays",
  "hot-owner-share": "hotOwnerShare",
  "event-overhead-bytes": "eventOverheadBytes",
  "delivery-bytes": "deliveryBytes",
  "attempt-bytes": "attemptBytes",
  attempts: "attemptsPerDelivery",
  "inflight-overhead-bytes": "inflightOverheadBytes",
  "outage-hours": "outageHours",
  "events-per-log-write": "eventsPerLogWrite",
  "deliveries-per-log-write": "deliveriesPerLogWrite",
  "queue-messages-per-event": "queueMessagesPerEvent",
  "d1-queries-per-delivery": "d1QueriesPerDelivery",
  "d1-bytes-per-delivery": "d1BytesPerDelivery",
  "d1-holds-payload": "d1HoldsPayload",
  "delivery-record-bytes": "deliveryRecordBytes",
};
const SCENARIO_KEYS = new Set(["owners", "endpointsPerOwner", "eventsPerS", "fanout", "hotOwnerShare"]);

const { values } = parseArgs({
  options: {
    ...Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: "string" }])),
    results: { type: "string" },
    "no-results": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(`npm run capacity [-- --owners N --endpoints-per-owner N --events-per-s N --fanout N ...]\n\nflags (defaults in bench/lib/capacity-model.mjs):\n${Object.entries(FLAGS).map(([f, k]) => `  --${f} (${DEFAULTS[k] ?? "scenario"})`).join("\n")}\n  --results FILE   bench results to read measured figures from (default: the latest in bench/results)\n  --no-results     use the defaults only\n  --json           print the model's output as JSON`);
  process.exit(0);
}

const overrides = {};
for (const [flag, key] of Object.entries(FLAGS)) {
  if (values[flag] === undefined) continue;
  const n = Number(values[flag]);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${flag} must be a non-negative number (got ${values[flag]})`);
    process.exit(2);
  }
  overrides[key] = n;
}

/** The latest full (or else quick) bench results with a measured cost phase, or null. */
function latestResults() {
  const dir = join(ROOT, "bench", "results");
  let files;
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json") && !f.includes("soak"));
  } catch {
    return null;
  }
  const parsed = files
    .map((f) => {
      try {
        return { file: join(dir, f), res: JSON.parse(readFileSync(join(dir, f), "utf8")) };
      } catch {
        return null;
      }
    })
    .filter((x) => x && x.res.phases?.cost && !x.res.phases.cost.skipped)
    .sort((a, b) => (a.res.mode === b.res.mode ? b.res.started_at.localeCompare(a.res.started_at) : a.res.mode === "full" ? -1 : 1));
  return parsed[0] ?? null;
}

/** Figures the model takes from a bench run: queue messages per event, D1 queries (and history bytes) per delivery. */
function measured(file) {
  const res = JSON.parse(readFileSync(file, "utf8"));
  const c = res.phases?.cost;
  if (!c || c.skipped) return { from: file, values: {}, notes: ["no measured cost phase in it"] };
  const v = {};
  const notes = [];
  const events = c.events;
  if (c.counter_deltas?.queue_messages_written && events) v.queueMessagesPerEvent = Math.round((c.counter_deltas.queue_messages_written / events) * 100) / 100;
  if (typeof c.counter_deltas?.d1_queries === "number" && c.deliveries) v.d1QueriesPerDelivery = Math.round((c.counter_deltas.d1_queries / c.deliveries) * 100) / 100;
  const d1 = c.rows_by_store?.d1_rows_written ?? c.per_delivery?.d1_rows_written;
  if (typeof d1 === "number") {
    // Rows per delivery in D1 means history still lives there: it then retains ~1,070 B per delivered event
    // (issue 14's measurement of the D1 layout: event 275 B, delivery 540 B, attempt 255 B with their indexes).
    if (d1 >= 2) v.d1HoldsPayload = 1;
    if (d1 >= 2 && !c.storage_per_delivery?.by_store?.d1) {
      v.d1BytesPerDelivery = 1070;
      notes.push(`${d1} D1 rows written per delivery: history is still in D1, modelled at 1,070 B retained per delivery there (--d1-bytes-per-delivery to change)`);
    }
  }
  // Bytes per delivery by store, measured from the local SQLite files (cost phase): D1 directly; log classes by
  // name (a class with "event" in it holds events, one with "deliver" finished deliveries).
  const by = c.storage_per_delivery?.by_store;
  if (by) {
    // Without the bench's own payload (stored once per event while events live in D1): the model adds the scenario's.
    if (by.d1) v.d1BytesPerDelivery = Math.max(0, Math.round(by.d1.allocated_bytes - (v.d1HoldsPayload ? (c.payload_bytes ?? 0) / (c.deliveries_per_event ?? 1) : 0)));
    const perEvent = c.deliveries_per_event ?? 1;
    for (const [name, x] of Object.entries(by)) {
      const cls = name.replace(/^do:/, "");
      if (!name.startsWith("do:") || /^Endpoint/i.test(cls) || x.allocated_bytes <= 0) continue;
      if (/event/i.test(cls)) {
        v.eventOverheadBytes = Math.max(0, x.allocated_bytes * perEvent - (c.payload_bytes ?? 0));
        notes.push(`event record measured in ${cls}: ${x.allocated_bytes * perEvent} B per event with a ${c.payload_bytes} B payload`);
      } else if (/deliver/i.test(cls)) {
        v.deliveryRecordBytes = x.allocated_bytes;
        notes.push(`delivery record measured in ${cls}: ${x.allocated_bytes} B per delivery (attempt inline)`);
      }
    }
    notes.push(`bytes per delivery measured by store: ${Object.entries(by).map(([k, x]) => `${k} ${x.allocated_bytes} B`).join(", ")}`);
  }
  return { from: `${file} (${res.mode}, ${res.started_at}, commit ${res.versions?.commit})`, values: v, notes };
}

const source = values["no-results"] ? null : values.results ? { file: resolve(values.results) } : latestResults();
const m = source ? measured(source.file) : { from: "none (defaults only)", values: {}, notes: [] };
const custom = Object.keys(overrides).some((k) => SCENARIO_KEYS.has(k));
const scenarios = custom
  ? [{ name: "custom", owners: 1, endpointsPerOwner: 1, eventsPerS: 100, ...overrides }]
  : DEFAULT_SCENARIOS.map((s) => ({ ...s, ...overrides }));
const outputs = scenarios.map((s) => ({ name: s.name, ...model({ ...m.values, ...s }) }));

if (values.json) {
  console.log(JSON.stringify({ measured_from: m.from, measured: m.values, limits: LIMITS, scenarios: outputs }, null, 2));
  process.exit(0);
}

const gb = (b) => (b === null ? "—" : b >= 1e9 ? `${(b / 1e9).toFixed(1)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} KB`);
const num = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : String(Math.round(x * 100) / 100));
const pct = (x) => `${x >= 10 ? Math.round(x * 100).toLocaleString("en-US") : (x * 100).toFixed(x < 0.01 ? 3 : 1)}%`;
console.log(`# Capacity model (npm run capacity)\n`);
console.log(`Measured figures from: ${m.from}${Object.keys(m.values).length ? ` → ${Object.entries(m.values).map(([k, v]) => `${k} ${v}`).join(", ")}` : ""}.`);
for (const n of m.notes) console.log(`Note: ${n}.`);
console.log(`Limits: 10 GB and ~1,000 req/s per Durable Object, 5,000 msg/s per queue, D1 10 GB and single-threaded (~1,000 queries/s). Log shards split into hash buckets when one would pass an object's limits.\n`);
for (const o of outputs) {
  const i = o.input;
  console.log(`## ${o.name}\n`);
  console.log(`${num(i.owners)} owners × ${i.endpointsPerOwner} endpoints, ${num(i.eventsPerS)} events/s → ${num(i.deliveriesPerS)} deliveries/s; ${i.payloadBytes} B payloads; ${i.retentionDays} days retained.\n`);
  console.log("| store | objects alive | largest object | req/s on it | hash buckets per shard | closest limit (share) | basis |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const s of o.stores) {
    console.log(`| ${s.store} | ${num(s.objects)} | ${gb(s.largestBytes)} | ${num(s.largestRequestsPerS)} | ${s.buckets === undefined ? "—" : `${s.buckets}${s.splitBy ? ` (split by ${s.splitBy})` : ""}`} | ${s.binding.limit} (${pct(s.binding.share)}) | ${s.note} |`);
  }
  const f = o.firstLimit;
  console.log(`\nFirst limit to bind: **${f.limit}** in ${f.store}, at ${pct(f.share)}${f.share > 1 ? " — over the limit" : f.headroom ? ` (room for ×${num(f.headroom)} the load)` : ""}.\n`);
}
