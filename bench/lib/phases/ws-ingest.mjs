// WebSocket ingest: one source, one socket, a bounded window of unanswered frames; accepted events/s and the
// frame → answer latency. Skipped with the reason when sources or /ingest/ws are not there yet.
import { describeAnswer } from "../http.mjs";
import { summarize } from "../stats.mjs";
import { INGEST_OWNER, payloadFor } from "./ingest.mjs";

export async function runWsIngest(ctx) {
  const { client, profile, worker } = ctx;
  let WebSocket;
  try {
    ({ WebSocket } = await import("ws"));
  } catch (err) {
    return { skipped: true, reason: `the ws package is not installed: ${err}` };
  }
  const created = await client.api("POST", "/v1/sources", { type: "websocket", name: "bench", owner_id: INGEST_OWNER, event_type: "bench.ws" });
  if (created.status !== 201 || !created.json?.token) {
    return { skipped: true, reason: `POST /v1/sources (websocket) answered ${describeAnswer(created.status, created.text)}` };
  }
  const path = created.json.ingest_url?.startsWith("/") ? created.json.ingest_url : `/ingest/ws/${created.json.id}`;
  const wsUrl = `${worker.url.replace(/^http/, "ws")}${new URL(path, worker.url).pathname}`;
  const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${created.json.token}` } });
  const opened = await new Promise((resolve) => {
    const t = setTimeout(() => resolve(new Error("no open within 10 s")), 10_000);
    ws.once("open", () => (clearTimeout(t), resolve(true)));
    ws.once("error", (e) => (clearTimeout(t), resolve(e)));
    ws.once("unexpected-response", (_req, res) => (clearTimeout(t), resolve(new Error(`upgrade refused: HTTP ${res.statusCode}`))));
  });
  if (opened !== true) {
    ws.terminate();
    return { skipped: true, reason: `WebSocket ${path} did not open: ${opened.message ?? opened}` };
  }

  const window = profile.wsWindow;
  const sentAt = new Map();
  const latencies = [];
  let accepted = 0;
  let refused = 0;
  let firstError = null;
  let next = 0;
  let stopSending = false;
  let wake = null;
  let closeInfo = null;
  ws.on("close", (code, reason) => {
    closeInfo = { code, reason: String(reason).slice(0, 200) };
    wake?.();
  });
  ws.on("message", (data) => {
    let msg;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return;
    }
    const t = sentAt.get(msg.ref);
    if (t === undefined) return;
    sentAt.delete(msg.ref);
    if (msg.ok) {
      accepted++;
      latencies.push(performance.now() - t);
    } else {
      refused++;
      firstError ??= JSON.stringify(msg.error).slice(0, 300);
    }
    wake?.();
  });
  const sendOne = () => {
    const ref = `r${next}`;
    sentAt.set(ref, performance.now());
    ws.send(JSON.stringify({ ref, payload: payloadFor(next), owner_id: INGEST_OWNER, event_type: "bench.ws" }));
    next++;
  };
  const t0 = performance.now();
  const deadline = t0 + profile.wsS * 1000;
  while (performance.now() < deadline && ws.readyState === ws.OPEN) {
    while (sentAt.size < window && !stopSending) sendOne();
    await new Promise((r) => {
      wake = r;
      setTimeout(r, 200);
    });
  }
  stopSending = true;
  const elapsedS = (performance.now() - t0) / 1000;
  // Let answers to the last frames arrive (bounded), then close.
  const drainUntil = performance.now() + 5000;
  while (sentAt.size > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
  const closedEarly = ws.readyState !== ws.OPEN;
  ws.close();
  return {
    route: `WebSocket ${path.replace(created.json.id, "{source_id}")}`,
    window,
    duration_s: Math.round(elapsedS * 100) / 100,
    frames_sent: next,
    accepted,
    refused,
    unanswered: sentAt.size,
    closed_early: closedEarly ? closeInfo ?? true : false,
    first_error: firstError,
    events_per_s: Math.round((accepted / elapsedS) * 10) / 10,
    latency: summarize(latencies),
  };
}
