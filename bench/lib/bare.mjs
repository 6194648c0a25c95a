// Starts the bare pipeline (bench/bare: queue → consumer → one DO per target → fetch, no bookkeeping) under the
// same `wrangler dev` as HookRelay, from a frozen copy on its own port and state dir, and posts events to it.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { launchWranglerDev } from "./worker.mjs";

const BARE_DIR = resolve(import.meta.dirname, "..", "bare");

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
run_worker_first = ["/events", "/healthz"]
`;

/** Writes the bare pipeline into `cwd`; the front-door copy gets its own Worker and queue names beside the plain one. */
function writeSource(cwd, front) {
  cpSync(join(BARE_DIR, "index.mjs"), join(cwd, "index.mjs"));
  let toml = readFileSync(join(BARE_DIR, "wrangler.toml"), "utf8");
  if (front) {
    toml = toml.replaceAll("hookrelay-bench-bare", "hookrelay-bench-bare-front") + ASSET_FRONT;
    mkdirSync(join(cwd, "public"));
    writeFileSync(join(cwd, "public", "index.html"), "<!doctype html><title>bare pipeline</title>\n");
  }
  writeFileSync(join(cwd, "wrangler.toml"), toml);
}

/**
 * → { url, port, pid, logs, startup_ms, stop() } like startWorker(); retried on a port race. `front`: behind the
 * same asset front door as HookRelay (ASSET_FRONT).
 */
export async function startBare({ log = () => {}, front = false } = {}) {
  for (let attempt = 1; ; attempt++) {
    const cwd = mkdtempSync(join(tmpdir(), "hookrelay-bench-bare-src-"));
    writeSource(cwd, front);
    const persistDir = mkdtempSync(join(tmpdir(), "hookrelay-bench-bare-"));
    try {
      return await launchWranglerDev({ cwd, persistDir });
    } catch (err) {
      if (attempt >= 4 || !/Address already in use/.test(String(err?.message))) throw err;
      log(`bare pipeline: wrangler dev could not bind its ports (attempt ${attempt}); retrying on new ports`);
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
