import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { received, receiverUrl, script, seedDelivery, uniqueKey, waitFor, waitForStatus } from "./delivery-fixtures";
import { ADMIN_KEY, call, createOwnerKey, expectProblem } from "./helpers";

const RECEIVER = "http://127.0.0.1:9/hook"; // allowed: the test config sets ALLOW_PRIVATE_ENDPOINTS=true

async function createEndpoint(owner: string, extra: Record<string, unknown> = {}, key?: string) {
  const res = await call("POST", "/v1/endpoints", { key, body: { url: RECEIVER, owner_id: owner, ...extra } });
  if (res.status !== 201) throw new Error(`create endpoint failed: ${res.status} ${res.text}`);
  return res.json;
}

async function dbRow(id: string) {
  return env.DB.prepare("SELECT * FROM endpoints WHERE id = ?").bind(id).first<Record<string, any>>();
}

async function configVersion(owner: string): Promise<number> {
  const row = await env.DB.prepare("SELECT version FROM config_versions WHERE owner_id = ?").bind(owner).first<{ version: number }>();
  return row?.version ?? 0;
}

/** The whole real app, but with the production default ALLOW_PRIVATE_ENDPOINTS=false (the test config sets "true"). */
function callProduction(method: string, path: string, body?: unknown) {
  const productionEnv = { ...env, ALLOW_PRIVATE_ENDPOINTS: "false" };
  return createApp().request(
    path,
    {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
    productionEnv,
  );
}

describe("POST /v1/endpoints", () => {
  it("creates an endpoint with a generated secret, API defaults filled in", async () => {
    const before = await configVersion("ep-acme");
    const ep = await createEndpoint("ep-acme", { description: "orders" });
    expect(ep.id).toMatch(/^ep_[0-9a-z]{26}$/);
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/); // base64 of 24 bytes
    expect(ep).toMatchObject({
      url: RECEIVER,
      owner_id: "ep-acme",
      description: "orders",
      status: "active",
      disabled_reason: null,
      timeout_ms: 10000,
      rate_limit: null,
      // The platform's ceiling of connections waiting for headers per invocation.
      max_in_flight: 6,
      auth: null,
      metadata: {},
      consecutive_failures: 0,
      retry: { strategy: "exponential", max_attempts: 8, base_delay_s: 5, multiplier: 6, max_delay_s: 36000, jitter: true },
    });
    expect(Date.parse(ep.created_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(await configVersion("ep-acme")).toBe(before + 1);

    const got = await call("GET", `/v1/endpoints/${ep.id}`);
    expect(got.status).toBe(200);
    // GET by id adds the live delivery_state from the endpoint's object; the rest is what POST answered.
    const { delivery_state, ...rest } = got.json;
    expect(rest).toEqual(ep);
    expect(delivery_state).toEqual({
      effective_rate_per_second: null,
      configured_rate_per_second: null,
      backoff_recovers_at: null,
      paused_until: null,
      in_flight: 0,
      pending: 0,
    });
  });

  it("keeps a given secret, fills partial retry policies, and echoes auth masked", async () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ep = await createEndpoint("ep-acme", {
      secret,
      timeout_ms: 2500,
      rate_limit: { requests: 5, per_seconds: 2 },
      auth: { type: "basic", username: "svc", password: "hunter2-very-secret" },
      retry: { strategy: "constant", max_attempts: 3 },
      metadata: { team: "billing" },
    });
    expect(ep.secret).toBe(secret);
    expect(ep.auth).toEqual({ type: "basic", username: "svc", password: "••••" });
    expect(ep.retry).toEqual({ strategy: "constant", max_attempts: 3, delay_s: 60, max_delay_s: 36000, jitter: true });
    expect(ep).toMatchObject({ timeout_ms: 2500, rate_limit: { requests: 5, per_seconds: 2 }, metadata: { team: "billing" } });

    const bearer = await createEndpoint("ep-acme", { auth: { type: "bearer", token: "tok_abcdefghijklmnop1234" } });
    expect(bearer.auth).toEqual({ type: "bearer", token: "••••1234" });
    const header = await createEndpoint("ep-acme", { auth: { type: "header", name: "X-Api-Key", value: "key-0123456789-wxyz" } });
    expect(header.auth).toEqual({ type: "header", name: "X-Api-Key", value: "••••wxyz" });
    expect(JSON.stringify([ep, bearer, header])).not.toMatch(/hunter2|abcdefghijklmnop|0123456789/);
  });

  it("stores the secret and auth encrypted, never as plaintext", async () => {
    const ep = await createEndpoint("ep-acme", { auth: { type: "bearer", token: "plain-bearer-token-xyz" } });
    const row = await dbRow(ep.id);
    expect(row!.secret_enc).toMatch(/^enc:v1:/);
    expect(row!.auth_enc).toMatch(/^enc:v1:/);
    const everything = JSON.stringify(row);
    expect(everything).not.toContain(ep.secret);
    expect(everything).not.toContain(ep.secret.slice("whsec_".length));
    expect(everything).not.toContain("plain-bearer-token-xyz");
  });

  it("lets an owner key create for its own owner (owner_id optional) and refuses another owner with 403", async () => {
    const key = await createOwnerKey("ep-own");
    const mine = await call("POST", "/v1/endpoints", { key, body: { url: RECEIVER } });
    expect(mine.status).toBe(201);
    expect(mine.json.owner_id).toBe("ep-own");
    expectProblem(await call("POST", "/v1/endpoints", { key, body: { url: RECEIVER, owner_id: "ep-other" } }), 403, "forbidden");
    const problem = expectProblem(await call("POST", "/v1/endpoints", { body: { url: RECEIVER } }), 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "owner_id", message: expect.any(String) }]);
  });

  it("answers malformed JSON with 400 and schema violations with 422 naming each path", async () => {
    expectProblem(await call("POST", "/v1/endpoints", { rawBody: '{"url": ' }), 400, "invalid_json");
    const problem = expectProblem(
      await call("POST", "/v1/endpoints", {
        body: {
          url: "not a url",
          owner_id: "ep-acme",
          timeout_ms: 999_999,
          secret: "nope",
          auth: { type: "bearer" },
          retry: { strategy: "linear" },
          rate_limit: { requests: 0, per_seconds: 1 },
          surprise: true,
        },
      }),
      422,
      "validation_failed",
    );
    const paths = problem.errors.map((e: any) => e.path);
    for (const path of ["url", "timeout_ms", "secret", "auth.token", "retry.strategy", "rate_limit.requests"]) {
      expect(paths.some((p: string) => p === path || p.startsWith(`${path}`))).toBe(true);
    }
    expect(problem.errors.some((e: any) => /surprise/.test(e.message) || e.path.includes("surprise"))).toBe(true);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM endpoints WHERE owner_id = 'ep-bad'").first<{ n: number }>())!.n).toBe(0);
  });

  it("answers a non-JSON content type with 415 problem+json, not a 500", async () => {
    const res = await call("POST", "/v1/endpoints", {
      rawBody: `url=${RECEIVER}&owner_id=ep-form`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expectProblem(res, 415, "unsupported_media_type");
    expectProblem(await call("POST", "/v1/endpoints", { rawBody: "hello", headers: { "content-type": "text/plain" } }), 415, "unsupported_media_type");
    expect((await env.DB.prepare("SELECT count(*) AS n FROM endpoints WHERE owner_id = 'ep-form'").first<{ n: number }>())!.n).toBe(0);
  });

  it("refuses a body over the management limit with 413", async () => {
    const res = await call("POST", "/v1/endpoints", {
      body: { url: RECEIVER, owner_id: "ep-big", metadata: { blob: "x".repeat(70 * 1024) } },
    });
    expectProblem(res, 413, "payload_too_large");
    expect((await env.DB.prepare("SELECT count(*) AS n FROM endpoints WHERE owner_id = 'ep-big'").first<{ n: number }>())!.n).toBe(0);
  });

  it("refuses a missing or wrong key with 401", async () => {
    expectProblem(await call("POST", "/v1/endpoints", { key: null, body: { url: RECEIVER, owner_id: "x" } }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/endpoints", { key: "hr_wrong" }), 401, "unauthorized");
  });
});

describe("every endpoints route", () => {
  it("refuses a missing key with 401 before touching anything", async () => {
    const ep = await createEndpoint("ep-nokey");
    const routes: Array<[string, string]> = [
      ["GET", "/v1/endpoints"],
      ["POST", "/v1/endpoints"],
      ["GET", `/v1/endpoints/${ep.id}`],
      ["PATCH", `/v1/endpoints/${ep.id}`],
      ["DELETE", `/v1/endpoints/${ep.id}`],
      ["POST", `/v1/endpoints/${ep.id}/disable`],
      ["POST", `/v1/endpoints/${ep.id}/enable`],
      ["POST", `/v1/endpoints/${ep.id}/rotate-secret`],
    ];
    for (const [method, path] of routes) {
      expectProblem(await call(method, path, { key: null, body: method === "GET" ? undefined : { url: RECEIVER } }), 401, "unauthorized");
    }
    expect(await dbRow(ep.id)).toMatchObject({ status: "active", url: RECEIVER, previous_secret_enc: null });
  });
});

describe("URL safety with ALLOW_PRIVATE_ENDPOINTS=false (the production default)", () => {
  it.each([
    ["http://example.com/hook", /https/],
    ["https://127.0.0.1/hook", /loopback/],
    ["https://2130706433/hook", /loopback/],
    ["https://[::ffff:127.0.0.1]/hook", /loopback/],
    ["https://169.254.169.254/latest", /metadata/],
    ["https://localhost:8443/", /localhost/],
    ["https://10.0.0.5/", /private/],
    // IPv6 forms that embed or translate IPv4 (a review found these accepted; issue 21).
    ["https://[::ffff:0:127.0.0.1]/", /loopback.*IPv4-translated/],
    ["https://[64:ff9b:1::a00:1]/", /local-use NAT64/],
    ["https://[2001::1]/", /Teredo/],
    ["https://[2002:a00:1::]/", /private.*6to4/],
    ["https://[2001:db8::1]/", /documentation/],
  ])("refuses %s on create with 422 on url", async (url, reason) => {
    const res = await callProduction("POST", "/v1/endpoints", { url, owner_id: "ep-prod" });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as any;
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors).toHaveLength(1);
    expect(problem.errors[0].path).toBe("url");
    expect(problem.errors[0].message).toMatch(reason);
  });

  it("accepts a public https URL and refuses a private one on PATCH, leaving the row unchanged", async () => {
    const created = await callProduction("POST", "/v1/endpoints", { url: "https://hooks.example.com/in", owner_id: "ep-prod" });
    expect(created.status).toBe(201);
    const ep = (await created.json()) as any;
    const patched = await callProduction("PATCH", `/v1/endpoints/${ep.id}`, { url: "https://192.168.0.10/in" });
    expect(patched.status).toBe(422);
    expect(((await patched.json()) as any).errors[0].path).toBe("url");
    expect((await dbRow(ep.id))!.url).toBe("https://hooks.example.com/in");
    await call("DELETE", `/v1/endpoints/${ep.id}`);
  });
});

describe("GET /v1/endpoints", () => {
  it("lists newest first with a cursor and filters by owner and status", async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await createEndpoint("ep-pager", { description: `p${i}` })).id);
    await call("POST", `/v1/endpoints/${ids[1]}/disable`);

    const first = await call("GET", "/v1/endpoints?owner_id=ep-pager&limit=2");
    expect(first.status).toBe(200);
    expect(first.json.data.map((e: any) => e.id)).toEqual([ids[2], ids[1]]);
    expect(first.json.next_cursor).toBeTypeOf("string");
    const second = await call("GET", `/v1/endpoints?owner_id=ep-pager&limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.data.map((e: any) => e.id)).toEqual([ids[0]]);
    expect(second.json.next_cursor).toBeNull();

    const disabled = await call("GET", "/v1/endpoints?owner_id=ep-pager&status=disabled");
    expect(disabled.json.data.map((e: any) => e.id)).toEqual([ids[1]]);
    const active = await call("GET", "/v1/endpoints?owner_id=ep-pager&status=active");
    expect(active.json.data.map((e: any) => e.id)).toEqual([ids[2], ids[0]]);

    expectProblem(await call("GET", "/v1/endpoints?cursor=%%%"), 400, "invalid_cursor");
    expectProblem(await call("GET", "/v1/endpoints?limit=0"), 422, "validation_failed");
    const badStatus = expectProblem(await call("GET", "/v1/endpoints?status=paused"), 422, "validation_failed");
    expect(badStatus.errors[0].path).toBe("status");
  });

  it("shows an owner key only its own endpoints and refuses another owner_id with 403", async () => {
    const key = await createOwnerKey("ep-scope-a");
    const mine = await createEndpoint("ep-scope-a");
    const theirs = await createEndpoint("ep-scope-b");
    const list = await call("GET", "/v1/endpoints", { key });
    const ids = list.json.data.map((e: any) => e.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    expect(list.json.data.every((e: any) => e.owner_id === "ep-scope-a")).toBe(true);
    expectProblem(await call("GET", "/v1/endpoints?owner_id=ep-scope-b", { key }), 403, "forbidden");
  });

  it("shows only a prefix of each signing secret in lists; GET by id returns it whole", async () => {
    const ep = await createEndpoint("ep-secret-list");
    const list = await call("GET", "/v1/endpoints?owner_id=ep-secret-list");
    const listed = list.json.data.find((e: any) => e.id === ep.id);
    expect(listed.secret).toBe(`${ep.secret.slice(0, 10)}…`);
    expect(list.text).not.toContain(ep.secret);
    expect((await call("GET", `/v1/endpoints/${ep.id}`)).json.secret).toBe(ep.secret);
  });
});

describe("GET/PATCH/DELETE /v1/endpoints/{id}", () => {
  it("changes only the fields given and bumps the config version", async () => {
    const ep = await createEndpoint("ep-patch", { timeout_ms: 3000, rate_limit: { requests: 1, per_seconds: 1 }, description: "d" });
    const before = await configVersion("ep-patch");
    const res = await call("PATCH", `/v1/endpoints/${ep.id}`, { body: { url: "http://127.0.0.1:10/new", description: null } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ url: "http://127.0.0.1:10/new", description: null, timeout_ms: 3000, rate_limit: { requests: 1, per_seconds: 1 } });
    expect(res.json.secret).toBe(ep.secret);
    expect(Date.parse(res.json.updated_at)).toBeGreaterThanOrEqual(Date.parse(ep.updated_at));
    expect(await configVersion("ep-patch")).toBe(before + 1);

    const auth = await call("PATCH", `/v1/endpoints/${ep.id}`, {
      body: { auth: { type: "header", name: "X-Token", value: "abcdefghijkl" }, rate_limit: null, retry: { strategy: "exponential", max_attempts: 2 } },
    });
    expect(auth.json.auth).toEqual({ type: "header", name: "X-Token", value: "••••ijkl" });
    expect(auth.json.rate_limit).toBeNull();
    expect(auth.json.retry).toMatchObject({ strategy: "exponential", max_attempts: 2, base_delay_s: 5 });
    expect((await dbRow(ep.id))!.auth_enc).not.toContain("abcdefghijkl");
    const cleared = await call("PATCH", `/v1/endpoints/${ep.id}`, { body: { auth: null } });
    expect(cleared.json.auth).toBeNull();
  });

  it("refuses bad PATCH bodies: malformed JSON 400, unknown or read-only fields 422", async () => {
    const ep = await createEndpoint("ep-patch");
    expectProblem(await call("PATCH", `/v1/endpoints/${ep.id}`, { rawBody: "nope" }), 400, "invalid_json");
    const problem = expectProblem(
      await call("PATCH", `/v1/endpoints/${ep.id}`, { body: { owner_id: "someone-else", timeout_ms: "fast" } }),
      422,
      "validation_failed",
    );
    expect(problem.errors.map((e: any) => e.path)).toContain("timeout_ms");
    expect((await dbRow(ep.id))!.owner_id).toBe("ep-patch");
  });

  it("answers unknown and malformed ids with 404", async () => {
    for (const id of ["ep_00000000000000000000000000", "nope", "sub_00000000000000000000000000"]) {
      expectProblem(await call("GET", `/v1/endpoints/${id}`), 404, "not_found");
      expectProblem(await call("PATCH", `/v1/endpoints/${id}`, { body: { description: "x" } }), 404, "not_found");
      expectProblem(await call("DELETE", `/v1/endpoints/${id}`), 404, "not_found");
      expectProblem(await call("POST", `/v1/endpoints/${id}/disable`), 404, "not_found");
      expectProblem(await call("POST", `/v1/endpoints/${id}/rotate-secret`), 404, "not_found");
    }
  });

  it("hides another owner's endpoint behind 404 for every operation and changes nothing", async () => {
    const key = await createOwnerKey("ep-intruder");
    const victim = await createEndpoint("ep-victim");
    const path = `/v1/endpoints/${victim.id}`;
    expectProblem(await call("GET", path, { key }), 404, "not_found");
    expectProblem(await call("PATCH", path, { key, body: { url: "http://127.0.0.1:1/x" } }), 404, "not_found");
    expectProblem(await call("POST", `${path}/disable`, { key }), 404, "not_found");
    expectProblem(await call("POST", `${path}/enable`, { key }), 404, "not_found");
    expectProblem(await call("POST", `${path}/rotate-secret`, { key }), 404, "not_found");
    expectProblem(await call("DELETE", path, { key }), 404, "not_found");
    const row = await dbRow(victim.id);
    expect(row).toMatchObject({ url: RECEIVER, status: "active", previous_secret_enc: null });
  });

  it("deletes the endpoint with its subscriptions; a second delete is 404", async () => {
    const ep = await createEndpoint("ep-del");
    const sub = await call("POST", "/v1/subscriptions", { body: { endpoint_id: ep.id, event_types: ["*"] } });
    const before = await configVersion("ep-del");
    expect((await call("DELETE", `/v1/endpoints/${ep.id}`)).status).toBe(204);
    expect(await dbRow(ep.id)).toBeNull();
    if (sub.status === 201) {
      const left = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE endpoint_id = ?").bind(ep.id).first<{ n: number }>();
      expect(left!.n).toBe(0);
    }
    expect(await configVersion("ep-del")).toBe(before + 1);
    expectProblem(await call("DELETE", `/v1/endpoints/${ep.id}`), 404, "not_found");
  });
});

describe("enable, disable and rotate-secret", () => {
  it("disables manually and re-enables with a fresh failure episode", async () => {
    const ep = await createEndpoint("ep-toggle");
    const disabled = await call("POST", `/v1/endpoints/${ep.id}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.json).toMatchObject({ status: "disabled", disabled_reason: "manual" });
    expect(disabled.json.disabled_at).toBeTypeOf("string");

    // Simulate what the EndpointDO copies to D1 while failing (on transitions).
    await env.DB.prepare("UPDATE endpoints SET consecutive_failures = 7, failing_since = ?, disabled_reason = 'consecutive_failures' WHERE id = ?")
      .bind(Date.now() - 60_000, ep.id)
      .run();
    const before = await configVersion("ep-toggle");
    const enabled = await call("POST", `/v1/endpoints/${ep.id}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.json).toMatchObject({ status: "active", disabled_reason: null, disabled_at: null, consecutive_failures: 0, failing_since: null });
    expect(await configVersion("ep-toggle")).toBe(before + 1);
    expect(await dbRow(ep.id)).toMatchObject({ consecutive_failures: 0, failing_since: null, status: "active" });
  });

  it("a re-enabled endpoint's EndpointDO starts its failure count afresh too: the next failure begins a new episode", async () => {
    const key = uniqueKey("ep-reenable");
    await script(key, [{ status: 500 }]);
    const ep = await createEndpoint("ep-reenable", { url: receiverUrl(key), retry: { strategy: "constant", max_attempts: 1 } });
    const owner = { id: ep.id as string, ownerId: "ep-reenable" };
    const stub = endpointStub(env, ep.id);
    const failing = [await seedDelivery(owner), await seedDelivery(owner), await seedDelivery(owner)];
    await stub.enqueue(failing);
    for (const w of failing) await waitForStatus(w.delivery_id, "failed");
    const before = (await stub.inspect()).health;
    expect(before).toMatchObject({ consecutiveFailures: 3 });

    expect((await call("POST", `/v1/endpoints/${ep.id}/disable`)).status).toBe(200);
    expect((await call("POST", `/v1/endpoints/${ep.id}/enable`)).json).toMatchObject({ status: "active", consecutive_failures: 0 });
    const next = await seedDelivery(owner);
    await stub.enqueue([next]);
    await waitForStatus(next.delivery_id, "failed");
    expect(await received(key)).toHaveLength(4);
    // Counted from zero again, in a new episode; and that episode start reaches D1 (what the API shows).
    expect((await stub.inspect()).health).toMatchObject({ consecutiveFailures: 1, failureEpisode: before.failureEpisode + 1 });
    const shown = await waitFor(async () => {
      const got = await call("GET", `/v1/endpoints/${ep.id}`);
      return got.json.consecutive_failures === 1 ? got.json : undefined;
    });
    expect(shown.failing_since).toBeTypeOf("string");
  });

  it("rotates the secret and keeps the old one signing for 24 hours", async () => {
    const ep = await createEndpoint("ep-rotate");
    const oldStored = (await dbRow(ep.id))!.secret_enc;
    const t0 = Date.now();
    const rotated = await call("POST", `/v1/endpoints/${ep.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(ep.secret);

    const row = (await dbRow(ep.id))!;
    expect(row.previous_secret_enc).toBe(oldStored);
    expect(row.secret_enc).not.toBe(oldStored);
    expect(JSON.stringify(row)).not.toContain(rotated.json.secret);
    const day = 24 * 3600 * 1000;
    expect(row.previous_secret_expires_at).toBeGreaterThanOrEqual(t0 + day);
    expect(row.previous_secret_expires_at).toBeLessThanOrEqual(Date.now() + day);
    expect(Date.parse(rotated.json.previous_secret_expires_at)).toBe(row.previous_secret_expires_at);

    const got = await call("GET", `/v1/endpoints/${ep.id}`);
    expect(got.json.secret).toBe(rotated.json.secret);
    expect(got.json.previous_secret_expires_at).toBe(rotated.json.previous_secret_expires_at);
  });

  it("accepts a chosen secret on rotation and validates it", async () => {
    const ep = await createEndpoint("ep-rotate");
    const chosen = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const rotated = await call("POST", `/v1/endpoints/${ep.id}/rotate-secret`, { body: { secret: chosen } });
    expect(rotated.json.secret).toBe(chosen);
    const bad = expectProblem(await call("POST", `/v1/endpoints/${ep.id}/rotate-secret`, { body: { secret: "plain" } }), 422, "validation_failed");
    expect(bad.errors[0].path).toBe("secret");
    expectProblem(await call("POST", `/v1/endpoints/${ep.id}/rotate-secret`, { rawBody: "{" }), 400, "invalid_json");
    expect((await call("GET", `/v1/endpoints/${ep.id}`)).json.secret).toBe(chosen);
  });
});
