// The bare pipeline (see wrangler.toml): what delivering a webhook costs the runtime alone, so HookRelay's
// figures can be read against it. No storage, no retries beyond the queue's own, nothing kept per event.
import { DurableObject } from "cloudflare:workers";
import { readEventsRequest } from "./events-request.mjs";

/**
 * Fetches in flight at once per call (one target's items of one consumer batch): HookRelay's default
 * `max_in_flight` per endpoint. Calls from concurrent consumer invocations each get their own lanes.
 */
const PER_TARGET_CONCURRENCY = 6;

/** One object per target URL: receives a consumer batch's items for that target and fetches them. */
export class Target extends DurableObject {
  async deliver(url, items) {
    let next = 0;
    let delivered = 0;
    const lane = async () => {
      while (next < items.length) {
        const item = items[next++];
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "webhook-id": item.id },
          body: JSON.stringify(item.payload),
        });
        await res.arrayBuffer();
        if (res.ok) delivered++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PER_TARGET_CONCURRENCY, items.length) }, lane));
    return delivered;
  }
}

export default {
  /** POST /events {targets: [url], events: [payload]} → one queue message per event, sent 100 at a time. */
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/healthz") return new Response("ok");
    if (request.method !== "POST" || pathname !== "/events") return new Response("not found", { status: 404 });
    const parsed = await readEventsRequest(request);
    if (parsed instanceof Response) return parsed;
    const { targets, events } = parsed;
    const ids = events.map(() => `msg_${crypto.randomUUID().replaceAll("-", "")}`);
    await env.EVENTS.sendBatch(events.map((payload, i) => ({ body: { id: ids[i], targets, payload } })));
    return Response.json({ ids }, { status: 202 });
  },

  /** Groups the batch by target and hands each target's items to its object in one RPC call. */
  async queue(batch, env) {
    const byTarget = new Map();
    for (const m of batch.messages) {
      for (const url of m.body.targets) {
        if (!byTarget.has(url)) byTarget.set(url, []);
        byTarget.get(url).push({ id: m.body.id, payload: m.body.payload });
      }
    }
    await Promise.all([...byTarget].map(([url, items]) => env.TARGET.get(env.TARGET.idFromName(url)).deliver(url, items)));
    batch.ackAll();
  },
};
