// A loopback webhook receiver: answers 200 at once and records, per endpoint path, the first arrival time
// of each webhook-id (duplicates counted separately) on the harness's own clock (performance.now()).
import http from "node:http";

export async function startReceiver() {
  /** path → Map(webhook-id → first arrival ms) */
  const firsts = new Map();
  /** path → arrival times of every request (duplicates included), in order */
  const times = new Map();
  let total = 0;
  let duplicates = 0;
  let missingId = 0;
  const waiters = new Set();

  const server = http.createServer((req, res) => {
    const at = performance.now();
    req.resume();
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0];
      const id = req.headers["webhook-id"];
      total++;
      if (!times.has(path)) times.set(path, []);
      times.get(path).push(at);
      if (typeof id !== "string" || !id) missingId++;
      else {
        if (!firsts.has(path)) firsts.set(path, new Map());
        const seen = firsts.get(path);
        if (seen.has(id)) duplicates++;
        else seen.set(id, at);
      }
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
      for (const w of waiters) w();
    });
  });
  server.keepAliveTimeout = 5000;
  server.maxRequestsPerSocket = 0;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}`,
    /** First arrival time of webhook-id `id` at `path`, or undefined. */
    arrival: (path, id) => firsts.get(path)?.get(id),
    /** Unique ids received at `path`. */
    uniqueAt: (path) => firsts.get(path)?.size ?? 0,
    /** Every arrival time at `path` (duplicates included). */
    timesAt: (path) => times.get(path) ?? [],
    stats: () => ({ requests: total, duplicates, missing_webhook_id: missingId }),
    /** Resolves when `check()` is true or `timeoutMs` passed; → whether it became true. */
    async waitUntil(check, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (!check()) {
        const left = deadline - performance.now();
        if (left <= 0) return false;
        await new Promise((r) => {
          const t = setTimeout(done, Math.min(left, 250));
          function done() {
            clearTimeout(t);
            waiters.delete(done);
            r();
          }
          waiters.add(done);
        });
      }
      return true;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
