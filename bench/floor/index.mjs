// The floor (issue 14): the bare pipeline (bench/bare) plus only the work issue 14 requires of every delivery, done
// the plain way — what any webhook service meeting the issue costs on this runtime, HookRelay or not:
// - each event recorded in its owner's history shard before it is handed over (one RPC and SQLite row per event);
// - a deterministic delivery id per (event, target), so a delivery has exactly one record;
// - a Standard Webhooks signature and the headers API.md promises an endpoint;
// - a timeout on every attempt and a bounded read of the response (its first 4 KiB are kept for debugging);
// - one history row per delivery, attempt inline, written in batches (200 or 250 ms) to the target's log shard.
// Nothing else: no retries, rate limits, settings, recovery, metrics or API. Events and records are about the shape
// and size of HookRelay's, so the rows cost about the same.
import { DurableObject } from "cloudflare:workers";
import { readEventsRequest } from "./events-request.mjs";
import { SIGNING_SECRET } from "./signing-secret.mjs";

/** As the bare pipeline: fetches in flight at once per target (HookRelay's default `max_in_flight`). */
const PER_TARGET_CONCURRENCY = 6;
const FLUSH_BATCH = 200;
const FLUSH_AFTER_MS = 250;
const BODY_LIMIT = 4096;
const TIMEOUT_MS = 30_000;
const OWNER = "floor-owner";

const encoder = new TextEncoder();
let hmacKey = null;

function base64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function signingKey() {
  if (!hmacKey) {
    const raw = Uint8Array.from(atob(SIGNING_SECRET.slice("whsec_".length)), (c) => c.charCodeAt(0));
    hmacKey = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  }
  return hmacKey;
}

/** History: one owner's events (`e:`), or one target's delivery records (`d:`). */
export class Shard extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, event_type TEXT NOT NULL, payload TEXT NOT NULL, accepted_at INTEGER NOT NULL, endpoints TEXT NOT NULL, owner_id TEXT NOT NULL) WITHOUT ROWID",
    );
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, event_id TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, event_accepted_at INTEGER NOT NULL, record TEXT NOT NULL) WITHOUT ROWID",
    );
  }

  putEvents(events) {
    this.ctx.storage.transactionSync(() => {
      for (const e of events) {
        this.sql.exec(
          "INSERT INTO events (id, event_type, payload, accepted_at, endpoints, owner_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
          e.id, e.type, e.payload, e.at, JSON.stringify(e.targets), e.owner,
        );
      }
    });
  }

  putDeliveries(records) {
    this.ctx.storage.transactionSync(() => {
      for (const r of records) {
        this.sql.exec(
          "INSERT INTO deliveries (id, event_id, status, created_at, event_accepted_at, record) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
          r.id, r.event_id, r.status, r.created_at, r.event_accepted_at, JSON.stringify(r),
        );
      }
    });
  }

  counts() {
    const n = (table) => this.sql.exec(`SELECT count(*) AS n FROM ${table}`).one().n;
    return { events: n("events"), deliveries: n("deliveries") };
  }
}

/** The first BODY_LIMIT bytes of a response, in one read when the body is declared small enough. */
async function readPrefix(res) {
  if (!res.body) return "";
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared >= 0 && declared <= BODY_LIMIT) return await res.text();
  const reader = res.body.getReader({ mode: "byob" });
  const { value, done } = await reader.readAtLeast(BODY_LIMIT + 1, new Uint8Array(BODY_LIMIT + 1));
  if (!done && value && value.byteLength > BODY_LIMIT) await reader.cancel();
  return new TextDecoder().decode(value?.subarray(0, BODY_LIMIT));
}

async function attempt(url, item, deliveryId) {
  const startedAt = Date.now();
  const timestamp = Math.floor(startedAt / 1000);
  const mac = await crypto.subtle.sign("HMAC", await signingKey(), encoder.encode(`${item.id}.${timestamp}.${item.payload}`));
  const headers = {
    "content-type": "application/json",
    "user-agent": "HookRelay-floor/1",
    "webhook-id": item.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": `v1,${base64(new Uint8Array(mac))}`,
    "hookrelay-event-type": item.type,
    "hookrelay-owner-id": item.owner,
    "hookrelay-delivery-id": deliveryId,
    "hookrelay-attempt": "1",
  };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let statusCode = null;
  let responseBody = null;
  let error = null;
  try {
    const res = await fetch(url, { method: "POST", body: item.payload, headers, redirect: "manual", signal: controller.signal });
    statusCode = res.status;
    responseBody = await readPrefix(res);
  } catch (err) {
    error = controller.signal.aborted ? "timeout" : `network: ${String(err)}`;
  } finally {
    clearTimeout(timer);
  }
  const durationMs = Date.now() - startedAt;
  const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
  return {
    id: deliveryId,
    event_id: item.id,
    endpoint_url: url,
    owner_id: item.owner,
    event_type: item.type,
    status: ok ? "succeeded" : "failed",
    attempt_count: 1,
    event_accepted_at: item.at,
    created_at: startedAt,
    completed_at: startedAt + durationMs,
    attempts: [{ id: `${deliveryId}_1`, attempt: 1, started_at: startedAt, duration_ms: durationMs, status_code: statusCode, error, response_body: responseBody }],
    attempts_dropped: 0,
  };
}

/** One object per target URL: attempts its items and records each outcome in its log shard, in batches. */
export class Target extends DurableObject {
  waiting = [];
  timer = null;

  async deliver(url, items) {
    this.url = url;
    let next = 0;
    let delivered = 0;
    const lane = async () => {
      while (next < items.length) {
        const item = items[next++];
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`${item.id}\u0000${url}`)));
        const record = await attempt(url, item, `dlv_${base64(digest.subarray(0, 15)).replaceAll("/", "_").replaceAll("+", "-")}`);
        if (record.status === "succeeded") delivered++;
        this.record(record);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PER_TARGET_CONCURRENCY, items.length) }, lane));
    return delivered;
  }

  record(record) {
    this.waiting.push(record);
    if (this.waiting.length >= FLUSH_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  async flush() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length > 0) await shard(this.env, `d:${this.url}`).putDeliveries(batch);
  }
}

const shard = (env, name) => env.SHARD.get(env.SHARD.idFromName(name));

export default {
  /** POST /events {targets: [url], events: [payload]} as the bare pipeline; GET /history?target=url → counts. */
  async fetch(request, env) {
    const { pathname, searchParams } = new URL(request.url);
    if (pathname === "/healthz") return new Response("ok");
    if (request.method === "GET" && pathname === "/history") {
      const target = searchParams.get("target");
      const [events, deliveries] = await Promise.all([shard(env, `e:${OWNER}`).counts(), target ? shard(env, `d:${target}`).counts() : null]);
      return Response.json({ events: events.events, deliveries: deliveries?.deliveries ?? null });
    }
    if (request.method !== "POST" || pathname !== "/events") return new Response("not found", { status: 404 });
    const parsed = await readEventsRequest(request);
    if (parsed instanceof Response) return parsed;
    const { targets, events } = parsed;
    const ids = events.map(() => `msg_${crypto.randomUUID().replaceAll("-", "")}`);
    const at = Date.now();
    await env.EVENTS.sendBatch(
      events.map((payload, i) => ({ body: { id: ids[i], targets, payload: JSON.stringify(payload), owner: OWNER, type: "bench.floor", at } })),
    );
    return Response.json({ ids }, { status: 202 });
  },

  /** Records the batch's events in the owner's shard, then hands each target its items and waits for them. */
  async queue(batch, env) {
    const events = batch.messages.map((m) => m.body);
    await shard(env, `e:${OWNER}`).putEvents(events);
    const byTarget = new Map();
    for (const e of events) {
      for (const url of e.targets) {
        if (!byTarget.has(url)) byTarget.set(url, []);
        byTarget.get(url).push({ id: e.id, payload: e.payload, owner: e.owner, type: e.type, at: e.at });
      }
    }
    await Promise.all([...byTarget].map(([url, items]) => env.TARGET.get(env.TARGET.idFromName(url)).deliver(url, items)));
    batch.ackAll();
  },
};
