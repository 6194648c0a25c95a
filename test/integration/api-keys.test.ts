import { describe, expect, it } from "vitest";
import { call, createOwnerKey, expectProblem } from "./helpers";

describe("/v1/api-keys", () => {
  it("creates an owner key shown once, which then authenticates for its owner only", async () => {
    const created = await call("POST", "/v1/api-keys", { body: { name: "ci", owner_id: "acme" } });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^hr_/);
    expect(created.json.id).toMatch(/^key_/);
    expect(created.json.owner_id).toBe("acme");

    const list = await call("GET", "/v1/api-keys", { key: created.json.key });
    expect(list.status).toBe(200);
    expect(list.json.data.map((k: any) => k.id)).toContain(created.json.id);
    expect(JSON.stringify(list.json)).not.toContain(created.json.key);

    expectProblem(await call("GET", "/v1/api-keys?owner_id=globex", { key: created.json.key }), 403, "forbidden");
    expectProblem(
      await call("POST", "/v1/api-keys", { key: created.json.key, body: { name: "x", owner_id: "globex" } }),
      403,
      "forbidden",
    );
  });

  it("refuses missing and invalid keys with 401", async () => {
    expectProblem(await call("GET", "/v1/api-keys", { key: null }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/api-keys", { key: "hr_not-a-real-key" }), 401, "unauthorized");
  });

  it("answers malformed JSON with 400 and schema failures with 422", async () => {
    expectProblem(await call("POST", "/v1/api-keys", { rawBody: "{nope" }), 400, "invalid_json");
    const problem = expectProblem(await call("POST", "/v1/api-keys", { body: { name: 5 } }), 422, "validation_failed");
    expect(problem.errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(["name", "owner_id"]));
  });

  it("revokes a key; a foreign or unknown key id is 404", async () => {
    const acmeKey = await createOwnerKey("acme-del");
    const other = await call("POST", "/v1/api-keys", { body: { name: "other", owner_id: "globex-del" } });
    expectProblem(await call("DELETE", `/v1/api-keys/${other.json.id}`, { key: acmeKey }), 404, "not_found");
    expectProblem(await call("DELETE", "/v1/api-keys/key_00000000000000000000000000"), 404, "not_found");
    expect((await call("DELETE", `/v1/api-keys/${other.json.id}`)).status).toBe(204);
    expectProblem(await call("GET", "/v1/api-keys", { key: other.json.key }), 401, "unauthorized");
  });

  it("paginates newest first with an opaque cursor; a malformed cursor is 400", async () => {
    for (let i = 0; i < 3; i++) await call("POST", "/v1/api-keys", { body: { name: `p${i}`, owner_id: "pager" } });
    const first = await call("GET", "/v1/api-keys?owner_id=pager&limit=2");
    expect(first.json.data).toHaveLength(2);
    expect(first.json.next_cursor).toBeTypeOf("string");
    const second = await call("GET", `/v1/api-keys?owner_id=pager&limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.data).toHaveLength(1);
    expect(second.json.next_cursor).toBeNull();
    expect(first.json.data[0].name).toBe("p2");
    expectProblem(await call("GET", "/v1/api-keys?cursor=garbage!"), 400, "invalid_cursor");
    expectProblem(await call("GET", "/v1/api-keys?limit=501"), 422, "validation_failed");
  });
});
