// `hookrelay listen`: brings an owner's webhooks to a local URL. It creates (or reuses, by name) a `relay`
// endpoint, holds a WebSocket to GET /v1/endpoints/{id}/listen, POSTs each delivery frame to --forward-to with
// the exact headers and body, and answers with the local outcome so HookRelay records it as the attempt.
// The protocol is API.md "SDK and CLI"; the server side is src/http/routes/endpoint-listen.ts and the EndpointDO.
import WebSocket from "ws";
import { HookRelayError } from "../../dist/index.js";
import { printJson, UsageError } from "../output.mjs";
import { jsonOf, required } from "./args.mjs";

/** Headers a proxy must not copy: they describe the hop, not the message. */
const HOP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade"]);
const RESPONSE_BODY_LIMIT = 4096;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;
/**
 * Keepalive: a WebSocket ping this often (the server's runtime answers pings itself, without waking anything).
 * It keeps idle-timeout proxies from closing a quiet connection, and two pings in a row left unanswered for a
 * whole interval each mean the connection is dead: it is dropped and re-made. (Two, so that one stall of this
 * process, which runs its timers before reading the pong that waits, is not taken for a dead peer.)
 * HOOKRELAY_LISTEN_PING_MS overrides the interval (tests).
 */
const PING_INTERVAL_MS = Number(process.env.HOOKRELAY_LISTEN_PING_MS) > 0 ? Number(process.env.HOOKRELAY_LISTEN_PING_MS) : 30_000;

export const listen = {
  "": {
    summary: "Relay an owner's webhooks to a local URL over a WebSocket",
    usage: "--owner O --forward-to URL [--types T…] [--filter JSON] [--name N] [--timeout-ms N]",
    help: `Options:
  --owner O          owner whose events to receive (required)
  --forward-to URL   local receiver, e.g. http://localhost:3000/hook (required)
  --types T          event types (comma-separated or repeated; default *)
  --filter JSON      a subscription filter
  --name N           name of the relay endpoint to create or reuse (default "hookrelay listen")
  --timeout-ms N     local request timeout, 1000..30000 (default 10000)
Prints a line per delivery: time, event type, delivery id, local status, duration. Stop with Ctrl-C.
While nothing listens, the relay endpoint's deliveries are held; they flow when a listener connects.`,
    options: {
      owner: { type: "string" },
      "forward-to": { type: "string" },
      types: { type: "string", multiple: true },
      filter: { type: "string" },
      name: { type: "string" },
      "timeout-ms": { type: "string" },
    },
    async run({ client, values, json, settings, path }) {
      const owner = required(values, "owner", path);
      const forwardTo = checkUrl(required(values, "forward-to", path), path);
      const types = (values.types ?? ["*"]).flatMap((t) => t.split(",")).map((t) => t.trim()).filter(Boolean);
      const filter = values.filter ? jsonOf(values.filter, "--filter", path) : undefined;
      const name = values.name ?? "hookrelay listen";
      const timeoutMs = values["timeout-ms"] === undefined ? 10_000 : Number(values["timeout-ms"]);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1000 || timeoutMs > 30_000) throw new UsageError("--timeout-ms must be 1000..30000", path);

      const endpoint = await ensureRelayEndpoint(client, { owner, name, types, filter });
      const wsUrl = `${settings.url.replace(/^http/, "ws")}/v1/endpoints/${encodeURIComponent(endpoint.id)}/listen`;
      const log = (/** @type {string} */ text) => process.stderr.write(text + "\n");
      log(`relaying ${owner}'s ${types.join(",")} events (endpoint ${endpoint.id}) to ${forwardTo} — Ctrl-C to stop`);
      await relay({ wsUrl, key: settings.key, forwardTo, timeoutMs, json, log });
    },
  },
};

/** @param {string} raw @param {string} path */
function checkUrl(raw, path) {
  try {
    const url = new URL(raw);
    if (url.protocol === "http:" || url.protocol === "https:") return url.href;
  } catch {}
  throw new UsageError(`--forward-to must be an http(s) URL: ${raw}`, path);
}

/** Finds the owner's relay endpoint of this name or creates it; makes its subscription carry `types`/`filter`. */
async function ensureRelayEndpoint(client, { owner, name, types, filter }) {
  let endpoint;
  for await (const ep of client.endpoints.iterate({ owner_id: owner })) {
    if (ep.kind === "relay" && ep.description === name) {
      endpoint = ep;
      break;
    }
  }
  endpoint ??= await client.endpoints.create({ kind: "relay", owner_id: owner, description: name });
  const subs = (await client.subscriptions.list({ endpoint_id: endpoint.id, limit: 500 })).data;
  const wanted = /** @type {any} */ ({ event_types: types, ...(filter === undefined ? {} : { filter }) });
  if (subs.length === 0) await client.subscriptions.create({ endpoint_id: endpoint.id, ...wanted });
  else if (subs[0].event_types.join(",") !== types.join(",") || filter !== undefined) await client.subscriptions.update(subs[0].id, wanted);
  return endpoint;
}

/**
 * Holds the socket until SIGINT/SIGTERM, reconnecting with capped backoff. Frames are forwarded one at a
 * time, in arrival order, so the local receiver sees deliveries as HookRelay sent them.
 */
function relay({ wsUrl, key, forwardTo, timeoutMs, json, log }) {
  return new Promise((resolve, reject) => {
    let stopping = false;
    let delay = RECONNECT_MIN_MS;
    /** @type {WebSocket | undefined} */
    let socket;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const stop = () => {
      stopping = true;
      clearTimeout(timer);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.once("close", () => resolve(undefined));
        socket.close(1000, "listener stopped");
        setTimeout(() => resolve(undefined), 2000).unref();
      } else {
        socket?.terminate();
        resolve(undefined);
      }
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);

    const connect = () => {
      let chain = Promise.resolve();
      const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${key}` } });
      socket = ws;
      /** @type {ReturnType<typeof setInterval> | undefined} */
      let pinger;
      let unanswered = 0;
      ws.on("open", () => {
        delay = RECONNECT_MIN_MS;
        log("connected");
        pinger = setInterval(() => {
          if (unanswered >= 2) {
            log("no answer to keepalive pings; reconnecting");
            ws.terminate();
            return;
          }
          unanswered++;
          ws.ping();
        }, PING_INTERVAL_MS);
        pinger.unref(); // the socket keeps the process alive, never the timer
      });
      ws.on("pong", () => {
        unanswered = 0;
      });
      ws.on("unexpected-response", (_req, res) => {
        const status = res.statusCode ?? 0;
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          // A refusal that retrying cannot fix (bad key, unknown endpoint, no relay support) ends the command.
          if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
            let problem = null;
            try {
              problem = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {}
            stopping = true;
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
            const requestId = res.headers["x-request-id"];
            reject(new HookRelayError(status, problem, typeof requestId === "string" ? requestId : null));
          } else log(`listen refused: HTTP ${status}`);
          ws.terminate();
        });
      });
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        chain = chain.then(() => handleFrame(ws, String(data), { forwardTo, timeoutMs, json }));
      });
      ws.on("error", (err) => log(`socket error: ${err.message}`));
      ws.on("close", (code, reason) => {
        clearInterval(pinger);
        if (stopping) return;
        const why = reason.length > 0 ? ` (${code} ${reason})` : code === 1006 ? "" : ` (${code})`;
        log(`disconnected${why}; reconnecting in ${(delay / 1000).toFixed(1)}s`);
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      });
    };
    connect();
  });
}

/** Forwards one delivery frame and answers with the outcome. A frame that is not a delivery is reported and skipped. */
async function handleFrame(ws, text, { forwardTo, timeoutMs, json }) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    process.stderr.write(`ignored a frame that is not JSON: ${text.slice(0, 80)}\n`);
    return;
  }
  if (typeof frame?.delivery_id !== "string" || typeof frame.body !== "string") {
    process.stderr.write(`ignored a frame that is not a delivery: ${text.slice(0, 80)}\n`);
    return;
  }
  const outcome = await forward(frame, forwardTo, timeoutMs);
  const answer = { delivery_id: frame.delivery_id, attempt: frame.attempt, ...outcome };
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(answer));
  const headers = lowerKeys(frame.headers);
  if (json) printJson({ ...answer, event_type: headers["hookrelay-event-type"] ?? null, event_id: headers["webhook-id"] ?? null });
  else {
    const status = outcome.status_code ?? `error ${outcome.error}`;
    process.stdout.write(`${new Date().toISOString().slice(11, 23)}  ${headers["hookrelay-event-type"] ?? "-"}  ${frame.delivery_id}  → ${status}  ${outcome.duration_ms}ms\n`);
  }
}

/** POSTs the delivery exactly as a real endpoint would receive it; never throws. */
async function forward(frame, url, timeoutMs) {
  const headers = Object.fromEntries(Object.entries(lowerKeys(frame.headers)).filter(([k]) => !HOP_HEADERS.has(k)));
  const started = performance.now();
  try {
    const res = await fetch(url, { method: "POST", headers, body: frame.body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    return { status_code: res.status, duration_ms: Math.round(performance.now() - started), response_body: body.slice(0, RESPONSE_BODY_LIMIT) };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
    return { status_code: null, duration_ms: Math.round(performance.now() - started), error: timedOut ? "timeout" : `network: ${cause}` };
  }
}

/** @param {unknown} headers @returns {Record<string, string>} */
function lowerKeys(headers) {
  if (!headers || typeof headers !== "object") return {};
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
}
