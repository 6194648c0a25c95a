// A real HTTP receiver on 127.0.0.1 that records every request and answers as a test scripts it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface ReceivedRequest {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Responder = (req: ReceivedRequest, index: number, res: ServerResponse) => void | Promise<void>;

export interface Receiver {
  url: string;
  port: number;
  received: ReceivedRequest[];
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

export const ok200: Responder = (_req, _i, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("ok");
};

export async function startReceiver(responder: Responder = ok200): Promise<Receiver> {
  let current = responder;
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const record: ReceivedRequest = {
        at: Date.now(),
        method: req.method ?? "",
        path: req.url ?? "",
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")])),
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(record);
      try {
        await current(record, received.length - 1, res);
      } catch {
        if (!res.headersSent) res.writeHead(500).end();
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    respondWith(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Receivers started by one test file, closed together when it ends. */
export function receiverPool() {
  const open: Receiver[] = [];
  return {
    async start(responder?: Responder): Promise<Receiver> {
      const r = await startReceiver(responder);
      open.push(r);
      return r;
    },
    async closeAll(): Promise<void> {
      await Promise.all(open.map((r) => r.close()));
    },
  };
}
