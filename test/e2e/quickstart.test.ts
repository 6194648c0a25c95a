// The quick start's promise: a real `wrangler dev` comes up migrated and serves health, docs and the API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "./support/worker";

let worker: RunningWorker;
beforeAll(async () => {
  worker = await startWorker();
});
afterAll(async () => {
  await worker?.stop();
});

describe("wrangler dev", () => {
  it("serves /healthz, /openapi.json, /docs and the authenticated API", async () => {
    expect((await worker.api("GET", "/healthz", undefined, null)).json).toEqual({ ok: true });
    const spec = await worker.api("GET", "/openapi.json", undefined, null);
    expect(spec.json.openapi).toBe("3.1.0");
    const docs = await fetch(`${worker.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/openapi.json");
    expect((await worker.api("GET", "/v1/api-keys", undefined, null)).status).toBe(401);
    const created = await worker.api("POST", "/v1/api-keys", { name: "e2e", owner_id: "acme" });
    expect(created.status).toBe(201);
  });

  it("serves the dashboard at /", async () => {
    const res = await fetch(`${worker.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
  });
});
