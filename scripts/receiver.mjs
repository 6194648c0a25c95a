// A tiny webhook receiver for trying HookRelay locally: prints every delivery it gets and answers 200.
// Usage: node scripts/receiver.mjs [port]   (default 9000; listens on 127.0.0.1)
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? process.env.RECEIVER_PORT ?? 9000);
createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const h = req.headers;
    console.log(
      `${new Date().toISOString()} ${req.method} ${req.url} ${h["hookrelay-event-type"] ?? "-"} ` +
        `id=${h["webhook-id"] ?? "-"} attempt=${h["hookrelay-attempt"] ?? "-"}\n  ${Buffer.concat(chunks).toString("utf8")}`,
    );
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
}).listen(port, "127.0.0.1", () => console.log(`receiver listening on http://127.0.0.1:${port}`));
