// Misbehaving webhook receivers on 127.0.0.1 for the fault-injection suite: each one injects its fault on the
// first attempts of every event (reset, hang, stall, redirect, enormous body, 500) and then answers 200.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export type FaultKind = "reset" | "hang" | "slow-headers" | "stall-body" | "redirect" | "enormous-body" | "error-500" | "slow-ok";

export interface FaultHit {
  at: number;
  path: string;
  webhookId: string;
  attempt: string;
  /** Whether this request got the fault (true) or a clean 200 (false). */
  faulted: boolean;
  /** Whether the answer was a 2xx (a clean 200, or a slow / enormous 200 fault). */
  ok: boolean;
}

export interface FaultReceiver {
  kind: FaultKind;
  url: string;
  hits: FaultHit[];
  /** Requests that reached the redirect target (must stay empty: redirects are never followed). */
  redirectTargetHits: FaultHit[];
  faultsInjected(): number;
  close(): Promise<void>;
}

export interface FaultOptions {
  /** How many attempts of each event get the fault before a clean 200; Infinity = always. */
  faultyAttempts: number;
  /** hang / slow-headers / stall-body / slow-ok: how long to wait (ms). */
  delayMs?: number;
  /** enormous-body: bytes to send (streamed in 64 KiB chunks). */
  bodyBytes?: number;
  /** redirect: the status to answer with. */
  redirectStatus?: 301 | 302 | 303 | 307 | 308;
}

const CHUNK = Buffer.alloc(64 * 1024, "z");

export async function startFaultReceiver(kind: FaultKind, opts: FaultOptions): Promise<FaultReceiver> {
  const hits: FaultHit[] = [];
  const redirectTargetHits: FaultHit[] = [];
  const attemptsByEvent = new Map<string, number>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const webhookId = String(req.headers["webhook-id"] ?? "");
      const hit: FaultHit = { at: Date.now(), path: req.url ?? "", webhookId, attempt: String(req.headers["hookrelay-attempt"] ?? ""), faulted: false, ok: false };
      if ((req.url ?? "").startsWith("/redirect-target")) {
        redirectTargetHits.push(hit);
        res.writeHead(200).end("followed");
        return;
      }
      const seen = (attemptsByEvent.get(webhookId) ?? 0) + 1;
      attemptsByEvent.set(webhookId, seen);
      hit.faulted = seen <= opts.faultyAttempts;
      hit.ok = !hit.faulted || kind === "slow-ok" || kind === "enormous-body";
      hits.push(hit);
      if (!hit.faulted) {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
        return;
      }
      inject(req, res);
    });
  });

  function inject(req: IncomingMessage, res: ServerResponse) {
    const delay = opts.delayMs ?? 2000;
    switch (kind) {
      case "reset":
        // TCP RST, not a clean close: the client sees ECONNRESET mid-request.
        req.socket.resetAndDestroy();
        return;
      case "hang":
        // Never answers; the socket is destroyed when the receiver closes (or the client gives up).
        return;
      case "slow-headers":
        later(delay, () => {
          if (!res.destroyed) res.writeHead(500).end("too late");
        });
        return;
      case "stall-body":
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("partial ");
        later(delay, () => {
          if (!res.destroyed) res.end("done");
        });
        return;
      case "slow-ok":
        later(delay, () => {
          if (!res.destroyed) res.writeHead(200).end("slow but fine");
        });
        return;
      case "redirect":
        res.writeHead(opts.redirectStatus ?? 302, { location: `http://127.0.0.1:${port}/redirect-target${req.url ?? ""}` }).end();
        return;
      case "enormous-body": {
        let left = opts.bodyBytes ?? 8 * 1024 * 1024;
        res.writeHead(200, { "content-type": "text/plain" });
        const pump = () => {
          while (left > 0 && !res.destroyed) {
            const n = Math.min(left, CHUNK.length);
            left -= n;
            if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
              res.once("drain", pump);
              return;
            }
          }
          if (!res.destroyed) res.end();
        };
        res.on("error", () => {});
        pump();
        return;
      }
      case "error-500":
        res.writeHead(500, { "content-type": "text/plain" }).end("boom");
        return;
    }
  }

  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    kind,
    url: `http://127.0.0.1:${port}`,
    hits,
    redirectTargetHits,
    faultsInjected: () => hits.filter((h) => h.faulted).length,
    close: () =>
      new Promise<void>((resolve) => {
        if (closing) return resolve();
        closing = true;
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
