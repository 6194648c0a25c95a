// Errors explain themselves: a sweep over every /v1 operation in /openapi.json with wrong bodies, wrong query
// values and wrong content-types. No 4xx answer may carry the validator's raw wording, every 422 field
// error names its field, and every JSON route refuses a non-JSON body with 415.
import { beforeAll, describe, expect, it } from "vitest";
import { call, expectProblem } from "./helpers";

type Json = any;
const HTTP_METHODS = ["get", "post", "patch", "put", "delete"] as const;

/** Wording that only a validator writes: a person reading it learns nothing about what to send. */
const RAW_VALIDATOR_WORDING =
  /Invalid input|expected \w+, received|Too (small|big):|Unrecognized key|Invalid (option|string|discriminator|ISO|URL|type)|must match pattern|received undefined|Required$/;

let doc: Json;
const seen = { responses: 0, fieldErrors: 0 };

beforeAll(async () => {
  doc = (await call("GET", "/openapi.json", { key: null })).json;
});

function resolve(schema: Json): Json {
  let s = schema;
  for (let i = 0; s?.$ref && i < 10; i++) s = doc.components.schemas[s.$ref.split("/").at(-1)];
  return s ?? {};
}

/** A value of the wrong JSON type for a property schema. */
function wrongValue(schema: Json): unknown {
  const s = resolve(schema);
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== "null") : s.type;
  if (type === "string") return 12345;
  if (type === "integer" || type === "number") return "not a number";
  if (type === "boolean") return "yes";
  if (type === "array") return "not an array";
  if (type === "object") return "not an object";
  return ["not", { any: "of the forms" }];
}

interface Operation {
  method: string;
  path: string;
  op: Json;
}

function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [template, item] of Object.entries<Json>(doc.paths)) {
    if (!template.startsWith("/v1/")) continue;
    for (const method of HTTP_METHODS) {
      if (item[method]) out.push({ method: method.toUpperCase(), path: template.replace(/\{[^}]+\}/g, "xyz_unknown"), op: item[method] });
    }
  }
  return out;
}

function bodySchemaOf(op: Json): Json | undefined {
  const schema = op.requestBody?.content?.["application/json"]?.schema;
  return schema ? resolve(schema) : undefined;
}

/** Every variant of bad input for one operation (each answer must still read well). */
function badRequests({ op }: Operation): { body?: unknown; query?: string }[] {
  const variants: { body?: unknown; query?: string }[] = [];
  const schema = bodySchemaOf(op);
  if (schema) {
    variants.push({ body: {} }, { body: { no_such_field: 1 } }, { body: "a string, not an object" }, { body: [1, 2] });
    const props = Object.entries<Json>(schema.properties ?? {});
    if (props.length > 0) variants.push({ body: Object.fromEntries(props.map(([k, v]) => [k, wrongValue(v)])) });
    for (const variant of schema.oneOf ?? schema.anyOf ?? []) {
      const branch = resolve(variant);
      variants.push({ body: Object.fromEntries(Object.entries<Json>(branch.properties ?? {}).map(([k, v]) => [k, wrongValue(v)])) });
    }
  }
  for (const param of (op.parameters ?? []) as Json[]) {
    if (param.in !== "query") continue;
    for (const value of ["not-a-number", "-7", "99999", "yesterday", ""]) variants.push({ query: `${param.name}=${encodeURIComponent(value)}` });
  }
  return variants;
}

function assertReadable(where: string, res: Awaited<ReturnType<typeof call>>) {
  if (res.status < 400 || res.status >= 500) return;
  seen.responses++;
  expect(res.text, `${where} answered with raw validator wording`).not.toMatch(RAW_VALIDATOR_WORDING);
  if (res.status !== 422) return;
  const errors: { path: string; message: string }[] = res.json.errors ?? [];
  for (const e of errors) {
    seen.fieldErrors++;
    // The message names the field (its full path, or "the body" for the root).
    const named = e.path === "(root)" ? /^the body|^\(root\)/ : new RegExp(`^${e.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`);
    expect(e.message, `${where}: "${e.message}" does not name ${e.path}`).toMatch(named);
  }
  expect(res.json.detail, `${where}: the detail repeats what to fix`).not.toBe("The request does not match the schema.");
}

describe("every /v1 operation's 4xx answers", () => {
  it("carry no raw validator wording and name the field", async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(40);
    for (const operation of ops) {
      for (const variant of badRequests(operation)) {
        const path = variant.query ? `${operation.path}?${variant.query}` : operation.path;
        const res = await call(operation.method, path, variant.body === undefined ? {} : { body: variant.body });
        assertReadable(`${operation.method} ${path} ${JSON.stringify(variant.body ?? null)}`, res);
      }
    }
    // The sweep really looked at answers: hundreds of 4xx and many field errors, not a vacuous pass.
    expect(seen.responses).toBeGreaterThan(150);
    expect(seen.fieldErrors).toBeGreaterThan(100);
  });

  it("refuse a non-JSON body with 415 on every operation that takes JSON, ingest included", async () => {
    const withBody = operations().filter((o) => bodySchemaOf(o.op));
    expect(withBody.map((o) => `${o.method} ${o.path}`)).toEqual(expect.arrayContaining(["POST /v1/events", "POST /v1/events/batch"]));
    for (const { method, path } of withBody) {
      for (const [contentType, body] of [
        ["text/plain", '{"owner_id":"acme","event_type":"a.b","payload":{}}'],
        ["application/x-www-form-urlencoded", "owner_id=acme&event_type=a.b"],
      ] as const) {
        const res = await call(method, path, { rawBody: body, headers: { "content-type": contentType } });
        const problem = expectProblem(res, 415, "unsupported_media_type");
        expect(problem.detail).toContain("content-type: application/json");
        expect(problem.detail).toContain(contentType);
      }
    }
  });

  it("still lets bodiless actions through whatever their content-type, and accepts JSON with parameters", async () => {
    const res = await call("POST", "/v1/events", {
      rawBody: JSON.stringify({ owner_id: "wording-owner", event_type: "a.b", payload: {} }),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(res.status).toBe(202);
    const action = await call("POST", "/v1/endpoints/ep_unknown/disable", { headers: { "content-type": "text/plain" } });
    expect(action.status).toBe(404);
  });
});

describe("specific messages", () => {
  it("a missing owner_id on an event names the field and what it expects", async () => {
    const res = await call("POST", "/v1/events", { body: { event_type: "a.b", payload: {} } });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "owner_id", message: "owner_id is required: a string" }]);
    expect(problem.detail).toBe("owner_id is required: a string.");
  });

  it("batch errors name the event's index", async () => {
    const res = await call("POST", "/v1/events/batch", { body: { events: [{ owner_id: "o", event_type: "a.b", payload: {} }, { owner_id: 7, event_type: "a.b", payload: {} }] } });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "events.1.owner_id", message: "events.1.owner_id must be a string, not a number" }]);
  });

  it("a URL without a scheme says what is expected, even where http is allowed", async () => {
    const res = await call("POST", "/v1/endpoints", { body: { url: "localhost:9000/hook", owner_id: "acme" } });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors[0].message).toBe("url must be an absolute http(s) URL, like https://example.com/hook");
    expect(problem.errors[0].message).not.toMatch(/must use https/);
  });

  it("a key sent without `Bearer ` gets a message that shows the expected header", async () => {
    const bare = await call("GET", "/v1/endpoints", { key: null, headers: { authorization: "test-admin-key" } });
    const problem = expectProblem(bare, 401, "unauthorized");
    expect(problem.detail).toContain('"Authorization: Bearer <api key>"');
    expect(problem.detail).toContain("must start with");
    const none = expectProblem(await call("GET", "/v1/endpoints", { key: null }), 401, "unauthorized");
    expect(none.detail).toMatch(/^Missing API key\. .*Authorization: Bearer <api key>/);
  });

  it("unknown fields are named one by one", async () => {
    const res = await call("POST", "/v1/api-keys", { body: { name: "k", owner_id: "acme", onwer: "x" } });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "onwer", message: "onwer is not a field this request accepts (check the spelling)" }]);
  });

  it("enum and range errors list what is allowed", async () => {
    const status = expectProblem(await call("GET", "/v1/endpoints?status=paused"), 422, "validation_failed");
    expect(status.errors[0].message).toBe('status must be one of "active", "disabled"');
    const limit = expectProblem(await call("GET", "/v1/endpoints?limit=9999"), 422, "validation_failed");
    expect(limit.errors[0].message).toBe("limit must be at most 500");
  });
});
