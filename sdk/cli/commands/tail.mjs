// `hookrelay tail`: follows an owner's (or one endpoint's) deliveries by polling the list, printing a line
// each time a delivery appears or changes status or attempt count. Deliveries that exist when it starts
// are not printed. Ctrl-C (SIGINT) or SIGTERM stops it cleanly with exit code 0.
import { UsageError } from "../output.mjs";
import { required } from "./args.mjs";

const PAGE = 100;
/** Pages read per poll at most: a burst larger than this between two polls shows its newest part only. */
const MAX_PAGES_PER_POLL = 5;
/** Remembered deliveries at most (oldest forgotten first), so a long tail's memory stays bounded. */
const MAX_TRACKED = 20_000;

export const tail = {
  "": {
    summary: "Follow new deliveries of an owner or endpoint",
    usage: "--owner O [--endpoint E] [--status S] [--interval SECONDS]",
    help: `Options:
  --owner O            owner to follow (required)
  --endpoint E         only this endpoint's deliveries
  --status S           only deliveries that reach this status
  --interval SECONDS   poll interval, 0.2..60 (default 2)
Prints one line per new delivery or status change: time, status, event type, delivery, endpoint, attempts,
last status code and duration. With --json, one JSON object per line. Stop with Ctrl-C.`,
    options: { owner: { type: "string" }, endpoint: { type: "string" }, status: { type: "string" }, interval: { type: "string" } },
    async run({ client, values, json, path }) {
      const owner_id = required(values, "owner", path);
      const interval = values.interval === undefined ? 2 : Number(values.interval);
      if (!Number.isFinite(interval) || interval < 0.2 || interval > 60) throw new UsageError("--interval must be 0.2..60 seconds", path);
      const query = { owner_id, endpoint_id: values.endpoint, status: values.status, limit: PAGE };

      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      /** @type {Map<string, string>} id → "status/attempts" last seen */
      const seen = new Map();
      const remember = (/** @type {any} */ d) => {
        seen.delete(d.id);
        seen.set(d.id, `${d.status}/${d.attempt_count}`);
        if (seen.size > MAX_TRACKED) seen.delete(seen.keys().next().value);
      };
      try {
        for (const d of await poll(client, query)) remember(d);
        process.stderr.write(`following deliveries of ${owner_id}${values.endpoint ? ` to ${values.endpoint}` : ""} every ${interval}s (Ctrl-C to stop)\n`);
        while (!stop.signal.aborted) {
          await sleep(interval * 1000, stop.signal);
          if (stop.signal.aborted) break;
          const fresh = (await poll(client, query)).filter((d) => seen.get(d.id) !== `${d.status}/${d.attempt_count}`);
          // Pages are newest first; print oldest first so the stream reads in time order.
          for (const d of fresh.reverse()) {
            remember(d);
            process.stdout.write(json ? JSON.stringify(d) + "\n" : line(d) + "\n");
          }
        }
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    },
  },
};

/** Reads the newest deliveries, following cursors while a page still holds something new (bounded). */
async function poll(client, query) {
  const out = [];
  let cursor;
  for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
    const res = await client.deliveries.list({ ...query, cursor });
    out.push(...res.data);
    if (!res.next_cursor || res.data.length < PAGE) break;
    cursor = res.next_cursor;
  }
  return out;
}

/** @param {any} d */
function line(d) {
  const time = new Date().toISOString().slice(11, 23);
  const code = d.last_status_code ?? "-";
  const ms = d.last_duration_ms === null || d.last_duration_ms === undefined ? "-" : `${d.last_duration_ms}ms`;
  return [time, d.status.padEnd(9), d.event_type, d.id, d.endpoint_id, `attempt ${d.attempt_count}`, code, ms, d.last_error ?? ""]
    .join("  ")
    .trimEnd();
}

/** @param {number} ms @param {AbortSignal} signal */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve(undefined)), { once: true });
  });
}
