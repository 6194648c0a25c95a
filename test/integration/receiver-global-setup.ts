// Global setup (Node side) for integration tests: a real HTTP receiver on 127.0.0.1 that tests inside
// workerd script and inspect over HTTP, since a Node server cannot run inside workerd itself.
//   PUT  /__script/<key>   {"responses":[{status, body?, headers?, delay_ms?, stall_body_ms?}...]}  (last one repeats)
//   GET  /__received/<key> → [{at, method, headers, body}]
//   GET  /__flooded/<key>  → [{written, finished, cutOff}] for answers scripted with flood_bytes
//   any other request to /<key>… is recorded under <key> and answered by that key's script (default 200 "ok")
import { createServer, type Server, type ServerResponse } from "node:http";
import type { TestProject } from "vitest/node";
import { flood, type FloodRecord } from "../support/flood-server";

interface Scripted {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before sending headers. */
  delay_ms?: number;
  /** Send headers and part of the body, then wait this long before ending it. */
  stall_body_ms?: number;
  /** Stream a body of this many bytes as fast as the client reads it (test/support/flood-server.ts). */
  flood_bytes?: number;
}

interface Recorded {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    receiverPort: number;
  }
}

let server: Server | undefined;

export default async function setup(project: TestProject) {
  const scripts = new Map<string, { responses: Scripted[]; next: number }>();
  const received = new Map<string, Recorded[]>();
  const flooded = new Map<string, FloodRecord[]>();
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://x");
      const body = Buffer.concat(chunks).toString("utf8");
      const [, first, second] = url.pathname.split("/");
      if (first === "__script" && second && req.method === "PUT") {
        scripts.set(second, { responses: JSON.parse(body).responses, next: 0 });
        return send(res, { status: 204 });
      }
      if (first === "__received" && second) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify(received.get(second) ?? []));
      }
      if (first === "__flooded" && second) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify(flooded.get(second) ?? []));
      }
      const key = first ?? "";
      const list = received.get(key) ?? [];
      list.push({
        at: Date.now(),
        method: req.method ?? "",
        path: req.url ?? "",
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")])),
        body,
      });
      received.set(key, list);
      const script = scripts.get(key);
      let reply: Scripted = { status: 200, body: "ok" };
      if (script && script.responses.length > 0) {
        reply = script.responses[Math.min(script.next, script.responses.length - 1)]!;
        script.next++;
      }
      if (reply.delay_ms) await wait(reply.delay_ms);
      if (res.destroyed) return;
      if (reply.flood_bytes) {
        flooded.set(key, [...(flooded.get(key) ?? []), flood(res, { status: reply.status, bytes: reply.flood_bytes })]);
        return;
      }
      if (reply.stall_body_ms) {
        res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
        res.write("partial ");
        await wait(reply.stall_body_ms);
        if (!res.destroyed) res.end(reply.body ?? "");
        return;
      }
      send(res, reply);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  project.provide("receiverPort", typeof address === "object" && address ? address.port : 0);

  return async () => {
    for (const t of timers) clearTimeout(t);
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  };
}

function send(res: ServerResponse, reply: Scripted) {
  res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
  res.end(reply.body ?? "");
}
