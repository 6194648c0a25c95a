// Starts the bare pipeline (bench/bare: queue → consumer → one DO per target → fetch, no bookkeeping) — or the
// floor (bench/floor: the same plus the per-delivery work issue 14 requires) — under the same `wrangler dev` as
// HookRelay, from a frozen copy on its own port and state dir, and posts events to it.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { launchWranglerDev } from "./worker.mjs";

const BARE_DIR = resolve(import.meta.dirname, "..", "bare");
const FLOOR_DIR = resolve(import.meta.dirname, "..", "floor");

/**
 * HookRelay's front door, for the copy started with `front: true`: static assets with `run_worker_first` routes,
 * as HookRelay serves its dashboard. Under `wrangler dev` every request to such a Worker first passes Miniflare's
 * asset proxy and router workers — two more isolates on the one workerd thread. In production they run outside the
 * Worker's isolate and are not billed, so this copy tells how much of a local comparison is that front door and
 * how much is HookRelay's own work.
 */
const ASSET_FRONT = `
[assets]
directory = "./public"
not_found_handling = "single-page-application"
run_worker_first = ["/events", "/history", "/healthz"]
`;

/**
 * Writes the bare pipeline (or the floor) into `cwd`; the bare front-door copy gets its own Worker and queue names
 * beside the plain one.
 */
function writeSource(cwd, { front, floor }) {
  const dir = floor ? FLOOR_DIR : BARE_DIR;
  // The floor shares the bare pipeline's request parsing (events-request.mjs).
  const sources = [...(floor ? [join(BARE_DIR, "events-request.mjs")] : []), ...readdirSync(dir).filter((f) => f.endsWith(".mjs")).map((f) => join(dir, f))];
  for (const source of sources) cpSync(source, join(cwd, basename(source)));
  let toml = readFileSync(join(dir, "wrangler.toml"), "utf8");
  if (front && !floor) toml = toml.replaceAll("hookrelay-bench-bare", "hookrelay-bench-bare-front");
  if (front) {
    toml += ASSET_FRONT;
    mkdirSync(join(cwd, "public"));
    writeFileSync(join(cwd, "public", "index.html"), "<!doctype html><title>bare pipeline</title>\n");
  }
  writeFileSync(join(cwd, "wrangler.toml"), toml);
}

/**
 * → { url, port, pid, logs, startup_ms, stop() } like startWorker(); retried on a port race. `front`: behind the
 * same asset front door as HookRelay (ASSET_FRONT). `floor`: bench/floor instead of bench/bare.
 */
export async function startBare({ log = () => {}, front = false, floor = false } = {}) {
  for (let attempt = 1; ; attempt++) {
    const cwd = mkdtempSync(join(tmpdir(), "hookrelay-bench-bare-src-"));
    writeSource(cwd, { front, floor });
    const persistDir = mkdtempSync(join(tmpdir(), "hookrelay-bench-bare-"));
    try {
      return await launchWranglerDev({ cwd, persistDir });
    } catch (err) {
      if (attempt >= 4 || !/Address already in use/.test(String(err?.message))) throw err;
      log(`${floor ? "floor" : "bare pipeline"}: wrangler dev could not bind its ports (attempt ${attempt}); retrying on new ports`);
    }
  }
}

/**
 * A `post(events)` for fixedLoad() against the bare pipeline: events (payloads) to every target URL.
 * → { status, ids, body } with the ids the pipeline assigned (they arrive as the `webhook-id` header).
 */
export function barePoster(client, targets) {
  return async (events) => {
    const r = await client.request("POST", "/events", { body: { targets, events }, auth: null });
    let ids = [];
    if (r.status === 202) {
      try {
        ids = JSON.parse(r.body).ids ?? [];
      } catch {
        // unmatched: shows up as missing deliveries
      }
    }
    return { ...r, ids };
  };
}
