// Helpers for integration tests: call the Worker through its real fetch handler.
import { exports } from "cloudflare:workers";

export const ADMIN_KEY = "test-admin-key";
const BASE = "http://hookrelay.test";

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export async function call(method: string, path: string, opts: CallOptions = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? ADMIN_KEY : opts.key;
  if (key) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body }));
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Asserts the documented problem+json shape and returns the body. */
export function expectProblem(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  if (res.status !== status || res.json?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${res.text}`);
  }
  if (!res.headers.get("content-type")?.startsWith("application/problem+json")) {
    throw new Error(`expected application/problem+json, got ${res.headers.get("content-type")}`);
  }
  for (const field of ["type", "title", "status", "code", "detail", "request_id"]) {
    if (!(field in res.json)) throw new Error(`problem body lacks ${field}: ${res.text}`);
  }
  return res.json;
}

export async function createOwnerKey(ownerId: string): Promise<string> {
  const res = await call("POST", "/v1/api-keys", { body: { name: `key for ${ownerId}`, owner_id: ownerId } });
  if (res.status !== 201) throw new Error(`could not create key: ${res.text}`);
  return res.json.key as string;
}
