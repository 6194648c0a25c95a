import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { findSourceByTokenHash, getSource } from "../../src/db/repos/sources";
import { sha256Hex } from "../../src/domain/crypto";
import { call, createOwnerKey, expectProblem } from "./helpers";

const ORIGIN = "http://hookrelay.test"; // the origin helpers.call() sends requests to

async function createSource(body: Record<string, unknown>, key?: string) {
  const res = await call("POST", "/v1/sources", { key, body });
  if (res.status !== 201) throw new Error(`create source failed: ${res.status} ${res.text}`);
  return res.json;
}

async function dbRow(id: string) {
  return env.DB.prepare("SELECT * FROM sources WHERE id = ?").bind(id).first<Record<string, any>>();
}

/** Presents a token to the WebSocket ingest route without upgrading: 401 = refused, 426 = token accepted. */
async function wsAuthStatus(sourceId: string, token: string): Promise<number> {
  const res = await exports.default.fetch(new Request(`${ORIGIN}/ingest/ws/${sourceId}`, { headers: { authorization: `Bearer ${token}` } }));
  await res.text();
  return res.status;
}

describe("POST /v1/sources", () => {
  it("creates an SNS source pending confirmation, with an absolute ingest URL and no token", async () => {
    const src = await createSource({
      type: "sns",
      name: "orders topic",
      owner_id: "src-acme",
      event_type: "order.created",
      event_type_attribute: "eventType",
      topic_arn: "arn:aws:sns:eu-west-1:123456789012:orders",
    });
    expect(src.id).toMatch(/^src_[0-9a-z]{26}$/);
    expect(src).toMatchObject({
      type: "sns",
      name: "orders topic",
      owner_id: "src-acme",
      event_type: "order.created",
      event_type_attribute: "eventType",
      topic_arn: "arn:aws:sns:eu-west-1:123456789012:orders",
      status: "pending_confirmation",
      subscription_arn: null,
      ingest_url: `${ORIGIN}/ingest/sns/${src.id}`,
    });
    expect(src).not.toHaveProperty("token");
    expect(await dbRow(src.id)).toMatchObject({ token_hash: null, status: "pending_confirmation" });
    const got = await call("GET", `/v1/sources/${src.id}`);
    expect(got.json).toEqual(src);
  });

  it("creates an active WebSocket source whose token is shown once and stored only as SHA-256", async () => {
    const src = await createSource({ type: "websocket", name: "devices", owner_id: "src-acme", event_type: "device.ping" });
    expect(src).toMatchObject({ type: "websocket", status: "active", token_version: 1, ingest_url: `${ORIGIN}/ingest/ws/${src.id}` });
    expect(src.token).toMatch(/^hrs_[A-Za-z0-9_-]{40,}$/);
    const row = await dbRow(src.id);
    expect(row!.token_hash).toBe(await sha256Hex(src.token));
    expect(JSON.stringify(row)).not.toContain(src.token);

    const got = await call("GET", `/v1/sources/${src.id}`);
    expect(got.json).not.toHaveProperty("token");
    const listed = await call("GET", "/v1/sources?owner_id=src-acme");
    expect(JSON.stringify(listed.json)).not.toContain(src.token);

    expect((await findSourceByTokenHash(getDb(env.DB), await sha256Hex(src.token)))?.id).toBe(src.id);
    expect(await findSourceByTokenHash(getDb(env.DB), await sha256Hex("hrs_other"))).toBeUndefined();
    expect(await wsAuthStatus(src.id, src.token)).toBe(426);
  });

  it("answers malformed JSON with 400, schema violations with 422, and refuses SNS-only fields on WebSocket sources", async () => {
    expectProblem(await call("POST", "/v1/sources", { rawBody: "{'single': 'quotes'}" }), 400, "invalid_json");
    const problem = expectProblem(
      await call("POST", "/v1/sources", { body: { type: "kafka", name: "", owner_id: "src-acme", topic_arn: "not-an-arn", event_type: "bad type" } }),
      422,
      "validation_failed",
    );
    expect(problem.errors.map((e: any) => e.path).sort()).toEqual(["event_type", "name", "topic_arn", "type"]);
    const wsProblem = expectProblem(
      await call("POST", "/v1/sources", {
        body: { type: "websocket", name: "x", owner_id: "src-badws", topic_arn: "arn:aws:sns:us-east-1:123456789012:t", event_type_attribute: "a" },
      }),
      422,
      "validation_failed",
    );
    expect(wsProblem.errors.map((e: any) => e.path).sort()).toEqual(["event_type_attribute", "topic_arn"]);
    const none = await env.DB.prepare("SELECT count(*) AS n FROM sources WHERE owner_id = 'src-badws'").first<{ n: number }>();
    expect(none!.n).toBe(0);
  });

  it("scopes owner keys: own owner by default, 403 for another owner, 401 without a key", async () => {
    const key = await createOwnerKey("src-own");
    const mine = await createSource({ type: "websocket", name: "mine" }, key);
    expect(mine.owner_id).toBe("src-own");
    expectProblem(await call("POST", "/v1/sources", { key, body: { type: "sns", name: "x", owner_id: "src-else" } }), 403, "forbidden");
    expectProblem(await call("POST", "/v1/sources", { body: { type: "sns", name: "x" } }), 422, "validation_failed");
    expectProblem(await call("POST", "/v1/sources", { key: null, body: { type: "sns", name: "x", owner_id: "a" } }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/sources", { key: null }), 401, "unauthorized");
  });
});

describe("every sources route", () => {
  it("refuses a missing key with 401 before touching anything", async () => {
    const src = await createSource({ type: "websocket", name: "nokey", owner_id: "src-nokey" });
    for (const [method, path] of [
      ["GET", `/v1/sources/${src.id}`],
      ["PATCH", `/v1/sources/${src.id}`],
      ["DELETE", `/v1/sources/${src.id}`],
      ["POST", `/v1/sources/${src.id}/rotate-token`],
    ] as const) {
      expectProblem(await call(method, path, { key: null, body: method === "GET" ? undefined : { name: "changed" } }), 401, "unauthorized");
    }
    expect(await dbRow(src.id)).toMatchObject({ name: "nokey", token_version: 1 });
  });
});

describe("GET /v1/sources", () => {
  it("lists newest first with a cursor, filters by type, and keeps owners apart", async () => {
    const ids = [];
    for (const type of ["sns", "websocket", "sns"]) ids.push((await createSource({ type, name: type, owner_id: "src-list" })).id);
    const first = await call("GET", "/v1/sources?owner_id=src-list&limit=2");
    expect(first.json.data.map((s: any) => s.id)).toEqual([ids[2], ids[1]]);
    const second = await call("GET", `/v1/sources?owner_id=src-list&limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.data.map((s: any) => s.id)).toEqual([ids[0]]);
    expect(second.json.next_cursor).toBeNull();
    const sns = await call("GET", "/v1/sources?owner_id=src-list&type=sns");
    expect(sns.json.data.map((s: any) => s.id)).toEqual([ids[2], ids[0]]);

    const key = await createOwnerKey("src-list-other");
    const theirs = await call("GET", "/v1/sources", { key });
    expect(theirs.json.data.map((s: any) => s.id)).not.toContain(ids[0]);
    expectProblem(await call("GET", "/v1/sources?owner_id=src-list", { key }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/sources?cursor=xyz"), 400, "invalid_cursor");
    expectProblem(await call("GET", "/v1/sources?type=ftp"), 422, "validation_failed");
  });
});

describe("PATCH/DELETE /v1/sources/{id} and rotate-token", () => {
  it("changes name and mapping; null clears; WebSocket sources refuse SNS-only fields", async () => {
    const sns = await createSource({ type: "sns", name: "a", owner_id: "src-patch", event_type: "x.y", topic_arn: "arn:aws:sns:us-east-1:123456789012:t" });
    const res = await call("PATCH", `/v1/sources/${sns.id}`, { body: { name: "b", event_type: null, event_type_attribute: "kind", topic_arn: null } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ name: "b", event_type: null, event_type_attribute: "kind", topic_arn: null, status: "pending_confirmation" });
    expectProblem(await call("PATCH", `/v1/sources/${sns.id}`, { rawBody: "}" }), 400, "invalid_json");
    const bad = expectProblem(await call("PATCH", `/v1/sources/${sns.id}`, { body: { type: "websocket", name: 3 } }), 422, "validation_failed");
    expect(bad.errors.map((e: any) => e.path)).toContain("name");
    expect((await dbRow(sns.id))!.type).toBe("sns");

    const ws = await createSource({ type: "websocket", name: "w", owner_id: "src-patch" });
    const wsBad = expectProblem(await call("PATCH", `/v1/sources/${ws.id}`, { body: { topic_arn: "arn:aws:sns:us-east-1:123456789012:t" } }), 422, "validation_failed");
    expect(wsBad.errors[0].path).toBe("topic_arn");
  });

  it("rotates a WebSocket token: new token works, old one is refused, token_version increments", async () => {
    const src = await createSource({ type: "websocket", name: "rot", owner_id: "src-rot" });
    const rotated = await call("POST", `/v1/sources/${src.id}/rotate-token`);
    expect(rotated.status).toBe(200);
    expect(rotated.json.token).toMatch(/^hrs_/);
    expect(rotated.json.token).not.toBe(src.token);
    expect(rotated.json).toMatchObject({ id: src.id, token_version: 2, status: "active" });
    const row = (await getSource(getDb(env.DB), src.id))!;
    expect(row.tokenHash).toBe(await sha256Hex(rotated.json.token));
    expect(row.tokenVersion).toBe(2);
    expect(await wsAuthStatus(src.id, src.token)).toBe(401);
    expect(await wsAuthStatus(src.id, rotated.json.token)).toBe(426);
  });

  it("closes a WebSocket opened with the old token when the token is rotated", async () => {
    const src = await createSource({ type: "websocket", name: "live", owner_id: "src-live" });
    const res = await exports.default.fetch(
      new Request(`${ORIGIN}/ingest/ws/${src.id}`, { headers: { upgrade: "websocket", authorization: `Bearer ${src.token}` } }),
    );
    expect(res.status).toBe(101);
    const socket = res.webSocket!;
    const closed = new Promise<number>((resolve) => socket.addEventListener("close", (e) => resolve(e.code)));
    socket.accept();
    const rotated = await call("POST", `/v1/sources/${src.id}/rotate-token`);
    expect(rotated.status).toBe(200);
    const code = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
    expect(code).toBe(4001);
  });

  it("refuses rotate-token on SNS sources with 409 and hides other owners' sources behind 404", async () => {
    const sns = await createSource({ type: "sns", name: "s", owner_id: "src-sec" });
    const conflict = expectProblem(await call("POST", `/v1/sources/${sns.id}/rotate-token`), 409, "conflict");
    expect(conflict.detail).toMatch(/WebSocket/);

    const ws = await createSource({ type: "websocket", name: "w", owner_id: "src-sec" });
    const key = await createOwnerKey("src-intruder");
    for (const [method, path] of [
      ["GET", `/v1/sources/${ws.id}`],
      ["DELETE", `/v1/sources/${ws.id}`],
      ["POST", `/v1/sources/${ws.id}/rotate-token`],
    ] as const) {
      expectProblem(await call(method, path, { key }), 404, "not_found");
    }
    expectProblem(await call("PATCH", `/v1/sources/${ws.id}`, { key, body: { name: "pwned" } }), 404, "not_found");
    expect(await dbRow(ws.id)).toMatchObject({ name: "w", token_version: 1 });
    expect(await wsAuthStatus(ws.id, ws.token)).toBe(426);
  });

  it("deletes a source; its ingest URL stops accepting; unknown ids are 404", async () => {
    const ws = await createSource({ type: "websocket", name: "gone", owner_id: "src-del" });
    expect((await call("DELETE", `/v1/sources/${ws.id}`)).status).toBe(204);
    expect(await dbRow(ws.id)).toBeNull();
    expect(await wsAuthStatus(ws.id, ws.token)).toBe(404);
    for (const id of [ws.id, "src_00000000000000000000000000", "nope"]) {
      expectProblem(await call("GET", `/v1/sources/${id}`), 404, "not_found");
      expectProblem(await call("DELETE", `/v1/sources/${id}`), 404, "not_found");
      expectProblem(await call("PATCH", `/v1/sources/${id}`, { body: { name: "x" } }), 404, "not_found");
      expectProblem(await call("POST", `/v1/sources/${id}/rotate-token`), 404, "not_found");
    }
  });
});
