/// <reference types="node" />
// A hostile peer for outbound reads (Node side): answers with a body far larger than any reader should
// take, written as fast as the client reads it, and records how much it wrote before the client hung up.
import { createServer, type Server, type ServerResponse } from "node:http";

export interface FloodRecord {
  /** Bytes handed to the socket (what the client read plus what sits in socket buffers). */
  written: number;
  /** The whole body was written: the client read (or buffered) all of it. */
  finished: boolean;
  /** The connection closed before the body was finished: the client hung up early. */
  cutOff: boolean;
}

export interface FloodOptions {
  status?: number;
  /** Bytes of the body in total (the prefix included). */
  bytes: number;
  /** Sent first, e.g. the start of a PEM certificate. */
  prefix?: string;
}

const CHUNK = Buffer.alloc(64 * 1024, "x");

/** Streams `bytes` bytes (chunked, no content-length) with backpressure; stops when the client goes away. */
export function flood(res: ServerResponse, opts: FloodOptions): FloodRecord {
  const record: FloodRecord = { written: 0, finished: false, cutOff: false };
  res.writeHead(opts.status ?? 200, { "content-type": "text/plain" });
  res.on("close", () => {
    if (!record.finished) record.cutOff = true;
  });
  const prefix = Buffer.from(opts.prefix ?? "");
  const write = () => {
    // Bounded: every turn writes at least one non-empty chunk towards `bytes`, or returns.
    while (!res.destroyed && record.written < opts.bytes) {
      const chunk = record.written === 0 && prefix.length ? prefix : CHUNK.subarray(0, Math.min(CHUNK.length, opts.bytes - record.written));
      record.written += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", write);
    }
    if (!res.destroyed && record.written >= opts.bytes) {
      record.finished = true;
      res.end();
    }
  };
  write();
  return record;
}

export interface FloodServer {
  url: string;
  /** One record per request, in arrival order. */
  records: FloodRecord[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1 that floods every request with `opts`. */
export async function startFloodServer(opts: FloodOptions): Promise<FloodServer> {
  const records: FloodRecord[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => records.push(flood(res, opts)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
