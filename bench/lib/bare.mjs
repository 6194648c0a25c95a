// Starts the bare pipeline (bench/bare: queue → consumer → one DO per target → fetch, no bookkeeping) under the
// same `wrangler dev` as HookRelay, from a frozen copy on its own port and state dir, and posts events to it.
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { launchWranglerDev } from "./worker.mjs";

const BARE_DIR = resolve(import.meta.dirname, "..", "bare");

/** → { url, port, pid, logs, startup_ms, stop() } like startWorker(); retried on a port race. */
export async function startBare({ log = () => {} } = {}) {
  for (let attempt = 1; ; attempt++) {
    const cwd = mkdtempSync(join(tmpdir(), "hookrelay-bench-bare-src-"));
    for (const f of ["wrangler.toml", "index.mjs"]) cpSync(join(BARE_DIR, f), join(cwd, f));
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
