import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { call } from "./helpers";

type Json = any;

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/**
 * Structural checks of an OpenAPI 3.1 document against the rules of the specification that a generator can
 * break: required fields, response keys, parameter shapes, path templating, unique operationIds, resolvable
 * $refs and declared security schemes. Returns every violation found (empty = valid).
 */
function openApi31Problems(doc: Json): string[] {
  const problems: string[] = [];
  const fail = (where: string, what: string) => problems.push(`${where}: ${what}`);

  if (typeof doc?.openapi !== "string" || !/^3\.1\.\d+$/.test(doc.openapi)) fail("openapi", `not 3.1.x: ${doc?.openapi}`);
  if (typeof doc?.info?.title !== "string") fail("info.title", "missing");
  if (typeof doc?.info?.version !== "string") fail("info.version", "missing");
  if (doc?.info?.license && typeof doc.info.license.name !== "string") fail("info.license.name", "missing");
  if (!doc.paths && !doc.components && !doc.webhooks) fail("(root)", "needs paths, components or webhooks");

  const schemes = doc.components?.securitySchemes ?? {};
  for (const [name, scheme] of Object.entries<Json>(schemes)) {
    if (!["apiKey", "http", "mutualTLS", "oauth2", "openIdConnect"].includes(scheme.type)) fail(`securitySchemes.${name}`, "bad type");
    if (scheme.type === "http" && typeof scheme.scheme !== "string") fail(`securitySchemes.${name}`, "http needs scheme");
  }
  for (const name of Object.keys(doc.components?.schemas ?? {})) {
    if (!/^[a-zA-Z0-9._-]+$/.test(name)) fail(`components.schemas.${name}`, "invalid component name");
  }

  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    if (!path.startsWith("/")) fail(path, "path must start with /");
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const params: Json[] = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      for (const p of params) {
        if (typeof p.name !== "string" || !["query", "header", "path", "cookie"].includes(p.in)) fail(where, `bad parameter ${JSON.stringify(p)}`);
        if (p.in === "path" && p.required !== true) fail(where, `path parameter ${p.name} must be required`);
        if (p.in === "path" && !templated.includes(p.name)) fail(where, `path parameter ${p.name} is not in the path`);
        if (!p.schema && !p.content) fail(where, `parameter ${p.name} needs schema or content`);
      }
      for (const name of templated) {
        if (!params.some((p) => p.in === "path" && p.name === name)) fail(where, `{${name}} is not declared as a path parameter`);
      }
      if (op.operationId !== undefined) {
        if (operationIds.has(op.operationId)) fail(where, `duplicate operationId ${op.operationId}`);
        operationIds.add(op.operationId);
      }
      if (op.requestBody && typeof op.requestBody.content !== "object") fail(where, "requestBody needs content");
      const responses = Object.entries<Json>(op.responses ?? {});
      if (responses.length === 0) fail(where, "no responses");
      for (const [status, response] of responses) {
        if (status !== "default" && !/^[1-5](\d\d|XX)$/.test(status)) fail(where, `bad response key ${status}`);
        if (!response.$ref && typeof response.description !== "string") fail(where, `response ${status} needs a description`);
      }
      for (const requirement of op.security ?? doc.security ?? []) {
        for (const name of Object.keys(requirement)) if (!schemes[name]) fail(where, `unknown security scheme ${name}`);
      }
    }
  }

  // Every local $ref must resolve.
  const resolve = (ref: string) =>
    ref
      .slice(2)
      .split("/")
      .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce<Json>((node, key) => (node === undefined ? undefined : node[key]), doc);
  const walk = (node: Json, where: string) => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}[${i}]`));
    else if (node && typeof node === "object") {
      if (typeof node.$ref === "string" && node.$ref.startsWith("#/") && resolve(node.$ref) === undefined) fail(where, `unresolved $ref ${node.$ref}`);
      for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`);
    }
  };
  walk(doc, "$");
  return problems;
}

/** Every method+path the app serves under /v1 and /ingest, in OpenAPI path syntax. */
function mountedApiRoutes(): string[] {
  const seen = new Set<string>();
  for (const route of createApp().routes) {
    if (!/^\/(v1|ingest)\//.test(route.path) || route.method === "ALL") continue;
    const path = route.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}").replace(/\/$/, "");
    seen.add(`${route.method.toLowerCase()} ${path}`);
  }
  return [...seen].sort();
}

describe("/openapi.json", () => {
  it("is a structurally valid OpenAPI 3.1 document, served without a key", async () => {
    const res = await call("GET", "/openapi.json", { key: null });
    if (res.status !== 200) {
      // The generator's own message says which route broke the document (the 500 body cannot).
      let generatorError = "";
      try {
        createApp().getOpenAPI31Document({ openapi: "3.1.0", info: { title: "HookRelay API", version: "test" } });
      } catch (err: any) {
        generatorError = `${err?.message} ${JSON.stringify(err?.data ?? null)}`;
      }
      expect(generatorError).toBe("");
    }
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.json.openapi).toBe("3.1.0");
    expect(openApi31Problems(res.json)).toEqual([]);
  });

  it("the checker itself catches broken documents", () => {
    const broken = {
      openapi: "3.0.3",
      info: { title: "x" },
      paths: {
        "/a/{id}": { get: { responses: {} } },
        "/b": { post: { responses: { "200": {} }, parameters: [{ name: "q", in: "body" }] } },
        "/c": { get: { responses: { "200": { description: "ok", content: { "application/json": { schema: { $ref: "#/components/schemas/Nope" } } } } } } },
      },
    };
    const found = openApi31Problems(broken).join("\n");
    for (const expected of ["not 3.1.x", "info.version", "no responses", "{id} is not declared", "needs a description", "bad parameter", "unresolved $ref"]) {
      expect(found).toContain(expected);
    }
  });

  it("documents the management API: api-keys, endpoints, subscriptions and sources with their actions", async () => {
    const { json } = await call("GET", "/openapi.json", { key: null });
    const expected: Record<string, string[]> = {
      "/v1/api-keys": ["get", "post"],
      "/v1/api-keys/{id}": ["delete"],
      "/v1/endpoints": ["get", "post"],
      "/v1/endpoints/{id}": ["delete", "get", "patch"],
      "/v1/endpoints/{id}/disable": ["post"],
      "/v1/endpoints/{id}/enable": ["post"],
      "/v1/endpoints/{id}/rotate-secret": ["post"],
      "/v1/subscriptions": ["get", "post"],
      "/v1/subscriptions/{id}": ["delete", "get", "patch"],
      "/v1/sources": ["get", "post"],
      "/v1/sources/{id}": ["delete", "get", "patch"],
      "/v1/sources/{id}/rotate-token": ["post"],
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect(json.paths[path], path).toBeDefined();
      for (const method of methods) {
        const op = json.paths[path][method];
        expect(op, `${method} ${path}`).toBeDefined();
        expect(Object.keys(op.responses).length, `${method} ${path} responses`).toBeGreaterThan(1);
        expect(op.responses["401"], `${method} ${path} documents 401`).toBeDefined();
        expect(op.security, `${method} ${path} security`).toEqual([{ bearerAuth: [] }]);
      }
    }
    // Request schemas are the same zod schemas that validate requests.
    // `url` is required for kind http only (relay endpoints have none): the handler checks it, not the schema.
    expect(json.components.schemas.EndpointCreate.required ?? []).not.toContain("url");
    expect(json.components.schemas.EndpointCreate.properties.url.type).toBe("string");
    expect(json.components.schemas.EndpointKind.enum).toEqual(["http", "relay"]);
    expect(json.components.schemas.SubscriptionCreate.required).toEqual(expect.arrayContaining(["endpoint_id", "event_types"]));
    expect(json.components.schemas.SourceCreate.properties.type.enum).toEqual(["sns", "websocket"]);
  });

  it("documents the history API: lists that name their owner or endpoint (422), event detail, owners", async () => {
    const { json } = await call("GET", "/openapi.json", { key: null });
    const params = (path: string) => (json.paths[path].get.parameters as { name: string; in: string }[]).filter((p) => p.in === "query").map((p) => p.name);
    for (const path of ["/v1/events", "/v1/deliveries", "/v1/owners"]) {
      const op = json.paths[path]?.get;
      expect(op, path).toBeDefined();
      expect(op.responses["200"], path).toBeDefined();
      // A list that names no owner (events) or endpoint/event/owner (deliveries) is a 422.
      expect(op.responses["422"], `${path} documents 422`).toBeDefined();
      expect(op.security, path).toEqual([{ bearerAuth: [] }]);
      expect(params(path), path).toEqual(expect.arrayContaining(["limit", "cursor"]));
    }
    expect(params("/v1/events")).toEqual(expect.arrayContaining(["owner_id", "event_type", "after", "before"]));
    expect(params("/v1/deliveries")).toEqual(expect.arrayContaining(["owner_id", "endpoint_id", "event_id", "status"]));
    expect(json.paths["/v1/owners"].get.responses["403"]).toBeDefined();
    expect(Object.keys(json.components.schemas.Owner.properties).sort()).toEqual(["created_at", "endpoints", "owner_id"]);
    // EventDetail extends EventSummary (allOf): its own part carries the deliveries and filtered_out, both required.
    const detail = (json.components.schemas.EventDetail.allOf as any[]).find((part) => part.properties);
    expect(detail.properties.filtered_out).toMatchObject({ type: "integer" });
    expect(detail.required).toEqual(expect.arrayContaining(["filtered_out", "deliveries"]));
  });

  it("lists every /v1 and /ingest route the app mounts", async () => {
    const { json } = await call("GET", "/openapi.json", { key: null });
    const mounted = mountedApiRoutes();
    expect(mounted.length).toBeGreaterThan(15);
    expect(mounted).toEqual(expect.arrayContaining(["post /ingest/sns/{source_id}", "get /ingest/ws/{source_id}"]));
    const undocumented = mounted.filter((entry) => {
      const [method, path] = entry.split(" ") as [string, string];
      return !json.paths[path]?.[method];
    });
    expect(undocumented).toEqual([]);
  });
});

describe("/docs", () => {
  it("answers 200 with an HTML reference that loads /openapi.json", async () => {
    const res = await call("GET", "/docs", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.text).toContain("/openapi.json");
    expect(res.text).toMatch(/<html/i);
  });
});
