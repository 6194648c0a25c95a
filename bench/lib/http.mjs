// Minimal keep-alive HTTP client for load generation on loopback: one request, its status, body and
// latency in ms (high-resolution clock), never throwing for HTTP errors.
import http from "node:http";

export function createClient(baseUrl, { maxSockets = 64, adminKey } = {}) {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });

  /** → { status, body, ms, error? }; status 0 on a network error. */
  function request(method, path, { body, headers = {}, auth = adminKey, timeoutMs = 30_000 } = {}) {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const h = { ...headers };
    if (auth) h.authorization = `Bearer ${auth}`;
    if (payload !== undefined) {
      h["content-type"] = "application/json";
      h["content-length"] = Buffer.byteLength(payload);
    }
    const started = performance.now();
    return new Promise((resolve) => {
      const req = http.request(
        { host: base.hostname, port: base.port, method, path, headers: h, agent, timeout: timeoutMs },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started }),
          );
          res.on("error", (err) => resolve({ status: 0, body: "", ms: performance.now() - started, error: String(err) }));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (err) => resolve({ status: 0, body: "", ms: performance.now() - started, error: String(err.message ?? err) }));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** JSON convenience for setup calls: → { status, json, text }. */
  async function api(method, path, body, auth = adminKey) {
    const res = await request(method, path, { body, auth });
    let json;
    try {
      json = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text: res.body };
  }

  return { request, api, close: () => agent.destroy() };
}

/** A short description of an unexpected answer: status plus problem+json code and detail when present. */
export function describeAnswer(status, body) {
  try {
    const p = JSON.parse(body);
    if (p && typeof p === "object" && (p.code || p.detail)) return `${status} ${p.code ?? ""}: ${String(p.detail ?? p.title ?? "").slice(0, 200)}`;
  } catch {
    // not JSON
  }
  return `${status} ${String(body ?? "").slice(0, 200)}`;
}
