// Portal links (issue 17): the routes, and the link token acting as an owner key on the portal's routes only —
// scoped to its owner, read-only when asked, refused at once when expired or revoked.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { authenticatePortalToken } from "../../src/http/middleware/portal-auth";
import { call, createOwnerKey, expectProblem } from "./helpers";

const TOKEN_IN_URL = /^http:\/\/hookrelay\.test\/portal#token=(hrp_[A-Za-z0-9_-]{43})$/;

async function createLink(body: Record<string, unknown>, key?: string) {
  const res = await call("POST", "/v1/portal-links", { body, key });
  if (res.status !== 201) throw new Error(`could not create portal link: ${res.status} ${res.text}`);
  const token = TOKEN_IN_URL.exec(res.json.url)?.[1];
  if (!token) throw new Error(`unexpected url ${res.json.url}`);
  return { link: res.json, token };
}

async function createEndpoint(ownerId: string, key?: string) {
  const res = await call("POST", "/v1/endpoints", { key, body: { url: "https://receiver.example/hook", owner_id: ownerId } });
  if (res.status !== 201) throw new Error(`could not create endpoint: ${res.text}`);
  return res.json;
}

describe("POST /v1/portal-links", () => {
  it("returns the url once, with a high-entropy token that is stored only as a hash", async () => {
    const before = Date.now();
    const res = await call("POST", "/v1/portal-links", { body: { owner_id: "portal-acme" } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ owner_id: "portal-acme", read_only: false, status: "active", revoked_at: null, theme: null });
    expect(res.json.id).toMatch(/^ptl_/);
    const token = TOKEN_IN_URL.exec(res.json.url)![1]!;
    // 32 random bytes: 43 base64url characters after the prefix.
    expect(token.length).toBe("hrp_".length + 43);
    // Default TTL: one hour.
    const ttl = Date.parse(res.json.expires_at) - Date.parse(res.json.created_at);
    expect(ttl).toBe(3_600_000);
    expect(Date.parse(res.json.created_at)).toBeGreaterThanOrEqual(before - 1000);

    const stored = await env.DB.prepare("SELECT * FROM portal_links WHERE id = ?").bind(res.json.id).first<Record<string, unknown>>();
    expect(stored).not.toBeNull();
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(JSON.stringify(stored)).not.toContain(token.slice(4));
    expect(stored!.token_hash).toMatch(/^[0-9a-f]{64}$/);

    const list = await call("GET", "/v1/portal-links?owner_id=portal-acme");
    expect(list.status).toBe(200);
    expect(list.json.data.map((l: any) => l.id)).toContain(res.json.id);
    expect(list.text).not.toContain(token);
    expect(list.json.data[0]).not.toHaveProperty("url");
  });

  it("takes ttl_seconds, read_only, owner_name and a validated theme", async () => {
    const { link } = await createLink({
      owner_id: "portal-theme",
      owner_name: "Acme Corp",
      ttl_seconds: 60,
      read_only: true,
      theme: { primary_color: "#12ab9F", logo_url: "https://cdn.acme.test/logo.png" },
    });
    expect(Date.parse(link.expires_at) - Date.parse(link.created_at)).toBe(60_000);
    expect(link).toMatchObject({ read_only: true, owner_name: "Acme Corp", theme: { primary_color: "#12ab9F", logo_url: "https://cdn.acme.test/logo.png" } });
    const max = await createLink({ owner_id: "portal-theme", ttl_seconds: 604_800 });
    expect(Date.parse(max.link.expires_at) - Date.parse(max.link.created_at)).toBe(604_800_000);
  });

  it("refuses bad input with the documented problems", async () => {
    const paths = async (body: unknown) =>
      expectProblem(await call("POST", "/v1/portal-links", { body }), 422, "validation_failed").errors.map((e: any) => e.path);
    expect(await paths({ owner_id: "x", ttl_seconds: 59 })).toEqual(["ttl_seconds"]);
    expect(await paths({ owner_id: "x", ttl_seconds: 604_801 })).toEqual(["ttl_seconds"]);
    expect(await paths({ owner_id: "x", ttl_seconds: 90.5 })).toEqual(["ttl_seconds"]);
    expect(await paths({ owner_id: "x", read_only: "yes" })).toEqual(["read_only"]);
    expect(await paths({ owner_id: "x", theme: { primary_color: "red" } })).toEqual(["theme.primary_color"]);
    expect(await paths({ owner_id: "x", theme: { primary_color: "#12345" } })).toEqual(["theme.primary_color"]);
    expect(await paths({ owner_id: "x", theme: { logo_url: "http://cdn.acme.test/logo.png" } })).toEqual(["theme.logo_url"]);
    expect(await paths({ owner_id: "x", theme: { logo_url: "javascript:alert(1)" } })).toEqual(["theme.logo_url"]);
    expect(await paths({ owner_id: "x", theme: { font: "Comic Sans" } })).toEqual(["theme.font"]);
    expect(await paths({ owner_id: "x", url: "https://evil.test" })).toEqual(["url"]);
    expect(await paths({ owner_id: "bad owner!" })).toEqual(["owner_id"]);
    // The admin key must say which owner.
    expect(await paths({})).toEqual(["owner_id"]);
    expectProblem(await call("POST", "/v1/portal-links", { rawBody: "{nope" }), 400, "invalid_json");
    expectProblem(await call("POST", "/v1/portal-links", { key: null, body: { owner_id: "x" } }), 401, "unauthorized");
  });

  it("lets an owner key make links for its own owner only", async () => {
    const key = await createOwnerKey("portal-self");
    const own = await call("POST", "/v1/portal-links", { key, body: {} });
    expect(own.status).toBe(201);
    expect(own.json.owner_id).toBe("portal-self");
    expectProblem(await call("POST", "/v1/portal-links", { key, body: { owner_id: "portal-other" } }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/portal-links?owner_id=portal-other", { key }), 403, "forbidden");
    const mine = await call("GET", "/v1/portal-links", { key });
    expect(mine.json.data.map((l: any) => l.owner_id)).toEqual(["portal-self"]);
  });
});

describe("a portal link's token", () => {
  it("acts as an owner key of its owner: sees and changes only that owner's data", async () => {
    const mine = await createEndpoint("portal-scope");
    const theirs = await createEndpoint("portal-scope-other");
    const { token } = await createLink({ owner_id: "portal-scope" });

    const list = await call("GET", "/v1/endpoints", { key: token });
    expect(list.status).toBe(200);
    expect(list.json.data.map((e: any) => e.id)).toEqual([mine.id]);
    expect((await call("GET", `/v1/endpoints/${mine.id}`, { key: token })).json.secret).toMatch(/^whsec_/);
    expectProblem(await call("GET", `/v1/endpoints/${theirs.id}`, { key: token }), 404, "not_found");
    expectProblem(await call("GET", "/v1/endpoints?owner_id=portal-scope-other", { key: token }), 403, "forbidden");
    expectProblem(await call("POST", `/v1/endpoints/${theirs.id}/disable`, { key: token, body: {} }), 404, "not_found");

    const created = await createEndpoint("portal-scope", token);
    expect(created.owner_id).toBe("portal-scope");
    const disabled = await call("POST", `/v1/endpoints/${created.id}/disable`, { key: token, body: {} });
    expect(disabled.json.status).toBe("disabled");
    const rotated = await call("POST", `/v1/endpoints/${created.id}/rotate-secret`, { key: token, body: {} });
    expect(rotated.status).toBe(200);
    const sub = await call("POST", "/v1/subscriptions", { key: token, body: { endpoint_id: created.id, event_types: ["order.*"] } });
    expect(sub.status).toBe(201);
    expect((await call("GET", "/v1/notification-channels", { key: token })).status).toBe(200);
    expect((await call("GET", "/v1/deliveries?owner_id=portal-scope", { key: token })).status).toBe(200);
    expect((await call("GET", "/v1/events?owner_id=portal-scope", { key: token })).status).toBe(200);
  });

  it("is refused on the routes the portal does not use: API keys, portal links, sources, ingest", async () => {
    const { link, token } = await createLink({ owner_id: "portal-fence" });
    const refused: [string, string, unknown?][] = [
      ["GET", "/v1/api-keys"],
      ["POST", "/v1/api-keys", { name: "escalate", owner_id: "portal-fence" }],
      ["GET", "/v1/portal-links"],
      ["POST", "/v1/portal-links", { owner_id: "portal-fence", ttl_seconds: 604_800 }],
      ["DELETE", `/v1/portal-links/${link.id}`],
      ["GET", "/v1/sources"],
      ["GET", "/v1/dead-letters"],
      ["GET", "/v1/metrics"],
      ["POST", "/v1/events", { owner_id: "portal-fence", event_type: "a.b", payload: {} }],
      ["POST", "/v1/events/batch", { events: [] }],
      ["GET", "/v1/endpoints/ep_00000000000000000000000000/listen"],
    ];
    for (const [method, path, body] of refused) {
      const problem = expectProblem(await call(method, path, { key: token, body }), 403, "forbidden");
      expect(problem.detail, `${method} ${path}`).toContain("portal link cannot use");
    }
    // The link still works (and was not revoked by the refused DELETE).
    expect((await call("GET", "/v1/endpoints", { key: token })).status).toBe(200);
  });

  it("of a read-only link reads but every write is 403", async () => {
    const endpoint = await createEndpoint("portal-ro");
    const { token } = await createLink({ owner_id: "portal-ro", read_only: true });
    expect((await call("GET", "/v1/endpoints", { key: token })).json.data.map((e: any) => e.id)).toEqual([endpoint.id]);
    expect((await call("GET", `/v1/endpoints/${endpoint.id}/stats`, { key: token })).status).toBe(200);
    const writes: [string, string, unknown?][] = [
      ["POST", "/v1/endpoints", { url: "https://receiver.example/x", owner_id: "portal-ro" }],
      ["PATCH", `/v1/endpoints/${endpoint.id}`, { description: "changed" }],
      ["DELETE", `/v1/endpoints/${endpoint.id}`],
      ["POST", `/v1/endpoints/${endpoint.id}/disable`, {}],
      ["POST", `/v1/endpoints/${endpoint.id}/rotate-secret`, {}],
      ["POST", "/v1/subscriptions", { endpoint_id: endpoint.id, event_types: ["*"] }],
      ["POST", "/v1/deliveries/retry", { status: "failed" }],
      ["POST", "/v1/notification-channels", { type: "email", to: ["a@b.test"], owner_id: "portal-ro" }],
    ];
    for (const [method, path, body] of writes) {
      const problem = expectProblem(await call(method, path, { key: token, body }), 403, "forbidden");
      expect(problem.detail, `${method} ${path}`).toBe("This portal link is read-only.");
    }
    const after = await call("GET", `/v1/endpoints/${endpoint.id}`, { key: token });
    expect(after.json).toMatchObject({ status: "active", description: null, secret: endpoint.secret });
  });

  it("stops working once expired (401 unauthorized)", async () => {
    const { link, token } = await createLink({ owner_id: "portal-exp", ttl_seconds: 60 });
    const expiresAt = Date.parse(link.expires_at);
    const request = { method: "GET", path: "/v1/endpoints" };
    // An injected clock either side of the expiry.
    const principal = await authenticatePortalToken(env.DB, token, request, expiresAt - 1);
    expect(principal).toMatchObject({ kind: "owner", ownerId: "portal-exp", portal: { linkId: link.id, readOnly: false } });
    await expect(authenticatePortalToken(env.DB, token, request, expiresAt)).rejects.toMatchObject({ code: "unauthorized", message: "This portal link has expired." });

    // Through the app: the stored expiry moved into the past (as 60 s passing would) is refused on the next call.
    expect((await call("GET", "/v1/endpoints", { key: token })).status).toBe(200);
    await env.DB.prepare("UPDATE portal_links SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, link.id).run();
    const problem = expectProblem(await call("GET", "/v1/endpoints", { key: token }), 401, "unauthorized");
    expect(problem.detail).toBe("This portal link has expired.");
    const listed = await call("GET", "/v1/portal-links?owner_id=portal-exp");
    expect(listed.json.data.find((l: any) => l.id === link.id).status).toBe("expired");
  });

  it("stops working at once when revoked; revoking is idempotent and scoped", async () => {
    const { link, token } = await createLink({ owner_id: "portal-rev" });
    // Warm every path a cache could sit on, then revoke.
    for (let i = 0; i < 3; i++) expect((await call("GET", "/v1/endpoints", { key: token })).status).toBe(200);
    const otherKey = await createOwnerKey("portal-rev-other");
    expectProblem(await call("DELETE", `/v1/portal-links/${link.id}`, { key: otherKey }), 404, "not_found");
    expectProblem(await call("DELETE", "/v1/portal-links/ptl_00000000000000000000000000"), 404, "not_found");
    expectProblem(await call("DELETE", "/v1/portal-links/nope"), 404, "not_found");

    const ownerKey = await createOwnerKey("portal-rev");
    expect((await call("DELETE", `/v1/portal-links/${link.id}`, { key: ownerKey })).status).toBe(204);
    const problem = expectProblem(await call("GET", "/v1/endpoints", { key: token }), 401, "unauthorized");
    expect(problem.detail).toBe("This portal link has been revoked.");
    expectProblem(await call("GET", "/v1/portal/session", { key: token }), 401, "unauthorized");
    expect((await call("DELETE", `/v1/portal-links/${link.id}`)).status).toBe(204);
    const listed = await call("GET", "/v1/portal-links?owner_id=portal-rev");
    const row = listed.json.data.find((l: any) => l.id === link.id);
    expect(row.status).toBe("revoked");
    expect(row.revoked_at).toBeTypeOf("string");
  });

  it("a token that was never issued is 401, even with the portal prefix", async () => {
    const problem = expectProblem(await call("GET", "/v1/endpoints", { key: "hrp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }), 401, "unauthorized");
    expect(problem.detail).toBe("Invalid portal link.");
  });
});

describe("GET /v1/portal/session", () => {
  it("tells the portal its owner, read-only flag, theme and expiry; API keys have no portal session", async () => {
    const { link, token } = await createLink({ owner_id: "portal-sess", owner_name: "Sess Ltd", read_only: true, theme: { primary_color: "#aa0000" } });
    const res = await call("GET", "/v1/portal/session", { key: token });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      link_id: link.id,
      owner_id: "portal-sess",
      owner_name: "Sess Ltd",
      read_only: true,
      theme: { primary_color: "#aa0000" },
      expires_at: link.expires_at,
    });
    expectProblem(await call("GET", "/v1/portal/session"), 403, "forbidden");
    expectProblem(await call("GET", "/v1/portal/session", { key: await createOwnerKey("portal-sess") }), 403, "forbidden");
  });
});

describe("GET /portal", () => {
  async function portalPage(vars: Record<string, string>) {
    const app = createApp();
    return app.fetch(new Request("http://hookrelay.test/portal"), { ...env, ...vars }, { waitUntil() {}, passThroughOnException() {} } as any);
  }

  it("may not be framed by default", async () => {
    const res = await portalPage({});
    expect(res.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
    expect(res.headers.get("x-frame-options")).toBeNull();
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("may be framed by exactly the origins in PORTAL_FRAME_ANCESTORS; anything else in the setting is dropped", async () => {
    const res = await portalPage({ PORTAL_FRAME_ANCESTORS: " https://app.acme.test  https://*.partner.test:8443/ 'self' " });
    expect(res.headers.get("content-security-policy")).toBe("frame-ancestors https://app.acme.test https://*.partner.test:8443 'self'");
    const injected = await portalPage({ PORTAL_FRAME_ANCESTORS: "https://ok.test ;script-src * https://x.test/path" });
    expect(injected.headers.get("content-security-policy")).toBe("frame-ancestors https://ok.test");
    const nothingValid = await portalPage({ PORTAL_FRAME_ANCESTORS: "* javascript:" });
    expect(nothingValid.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
  });
});
