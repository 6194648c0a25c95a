// /v1/notification-channels and /v1/notifications through the Worker's real fetch handler and local D1.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { ADMIN_KEY } from "./helpers";
import { describe, expect, it } from "vitest";
import { call, createOwnerKey, expectProblem } from "./helpers";

/** A port nothing listens on: sends fail with a real connection error. */
const DEAD_SLACK = "http://127.0.0.1:9/services/T0001/B0001/s3cr3tPathPart";

describe("/v1/notification-channels", () => {
  it("creates email and Slack channels; stores targets encrypted and masks the Slack URL", async () => {
    const email = await call("POST", "/v1/notification-channels", { body: { type: "email", to: ["ops@acme.test"], owner_id: "nc-acme" } });
    expect(email.status).toBe(201);
    expect(email.json).toMatchObject({ type: "email", to: ["ops@acme.test"], owner_id: "nc-acme" });
    expect(email.json.id).toMatch(/^nch_/);

    const slack = await call("POST", "/v1/notification-channels", { body: { type: "slack", webhook_url: DEAD_SLACK } });
    expect(slack.status).toBe(201);
    expect(slack.json.owner_id).toBeNull();
    expect(slack.json.webhook_url).toMatch(/^http:\/\/127\.0\.0\.1:9\/services\/\*\*\*\*/);
    expect(slack.text).not.toContain("s3cr3tPathPart");

    const stored = await env.DB.prepare("SELECT config_enc FROM notification_channels WHERE id IN (?, ?)")
      .bind(email.json.id, slack.json.id)
      .all<{ config_enc: string }>();
    expect(stored.results).toHaveLength(2);
    for (const row of stored.results) {
      expect(row.config_enc).toMatch(/^enc:v1:/);
      expect(row.config_enc).not.toContain("ops@acme.test");
      expect(row.config_enc).not.toContain("s3cr3t");
    }

    const listed = await call("GET", "/v1/notification-channels");
    expect(listed.status).toBe(200);
    const ids = listed.json.data.map((c: any) => c.id);
    expect(ids).toEqual(expect.arrayContaining([email.json.id, slack.json.id]));
    expect(listed.text).not.toContain("s3cr3tPathPart");
  });

  it("scopes channels to the owner: own by default, another owner's is 403 to create and 404 to touch", async () => {
    const key = await createOwnerKey("nc-owner");
    const own = await call("POST", "/v1/notification-channels", { key, body: { type: "email", to: ["me@owner.test"] } });
    expect(own.status).toBe(201);
    expect(own.json.owner_id).toBe("nc-owner");

    expectProblem(
      await call("POST", "/v1/notification-channels", { key, body: { type: "email", to: ["x@y.test"], owner_id: "nc-other" } }),
      403,
      "forbidden",
    );
    const foreign = await call("POST", "/v1/notification-channels", { body: { type: "email", to: ["o@other.test"], owner_id: "nc-other" } });
    const global = await call("POST", "/v1/notification-channels", { body: { type: "email", to: ["g@all.test"] } });

    const listed = await call("GET", "/v1/notification-channels", { key });
    expect(listed.json.data.map((c: any) => c.id)).toEqual([own.json.id]);
    expectProblem(await call("GET", "/v1/notification-channels?owner_id=nc-other", { key }), 403, "forbidden");

    for (const id of [foreign.json.id, global.json.id]) {
      expectProblem(await call("DELETE", `/v1/notification-channels/${id}`, { key }), 404, "not_found");
      expectProblem(await call("POST", `/v1/notification-channels/${id}/test`, { key }), 404, "not_found");
      expectProblem(await call("GET", `/v1/notification-channels/${id}`, { key }), 404, "not_found");
    }
    expect((await call("DELETE", `/v1/notification-channels/${own.json.id}`, { key })).status).toBe(204);
    expectProblem(await call("GET", `/v1/notification-channels/${own.json.id}`, { key }), 404, "not_found");
  });

  it("refuses bad input with the documented problems", async () => {
    expectProblem(await call("GET", "/v1/notification-channels", { key: null }), 401, "unauthorized");
    expectProblem(await call("POST", "/v1/notification-channels", { key: null, body: { type: "email", to: ["a@b.test"] } }), 401, "unauthorized");
    expectProblem(await call("POST", "/v1/notification-channels", { rawBody: "{not json" }), 400, "invalid_json");
    expectProblem(await call("POST", "/v1/notification-channels", { body: { type: "pager" } }), 422, "validation_failed");
    const badEmail = expectProblem(
      await call("POST", "/v1/notification-channels", { body: { type: "email", to: ["not-an-address"] } }),
      422,
      "validation_failed",
    );
    expect(badEmail.errors.map((e: any) => e.path)).toContain("to.0");
    expectProblem(await call("POST", "/v1/notification-channels", { body: { type: "email", to: [] } }), 422, "validation_failed");
    expectProblem(await call("POST", "/v1/notification-channels", { body: { type: "slack", webhook_url: 42 } }), 422, "validation_failed");
    const scheme = expectProblem(
      await call("POST", "/v1/notification-channels", { body: { type: "slack", webhook_url: "ftp://hooks.example.test/x" } }),
      422,
      "validation_failed",
    );
    expect(scheme.errors[0].path).toBe("webhook_url");
    expectProblem(
      await call("POST", "/v1/notification-channels", { body: { type: "email", to: ["a@b.test"], extra: true } }),
      422,
      "validation_failed",
    );
    expectProblem(await call("DELETE", "/v1/notification-channels/nch_00000000000000000000000000"), 404, "not_found");
    expectProblem(await call("DELETE", "/v1/notification-channels/not-an-id"), 404, "not_found");
    expectProblem(await call("POST", "/v1/notification-channels/nch_00000000000000000000000000/test"), 404, "not_found");
    expectProblem(await call("GET", "/v1/notification-channels?limit=0"), 422, "validation_failed");
    expectProblem(await call("GET", "/v1/notification-channels?cursor=%%%"), 400, "invalid_cursor");
  });

  it("applies the endpoint URL-safety rule to Slack webhooks when private targets are not allowed", async () => {
    // The same app with ALLOW_PRIVATE_ENDPOINTS=false (as in production's wrangler.toml).
    const strictEnv = { ...env, ALLOW_PRIVATE_ENDPOINTS: "false" } as typeof env;
    const app = createApp();
    const post = async (webhook_url: string) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request("http://hookrelay.test/v1/notification-channels", {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ type: "slack", webhook_url }),
        }),
        strictEnv,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return { status: res.status, json: (await res.json()) as any };
    };
    for (const url of ["http://hooks.slack.com/services/x", "https://127.0.0.1/services/x", "https://169.254.169.254/latest", "https://localhost/x"]) {
      const res = await post(url);
      expect(res.status, url).toBe(422);
      expect(res.json.errors[0].path).toBe("webhook_url");
    }
    expect((await post("https://hooks.slack.com/services/T1/B1/abc")).status).toBe(201);
  });

  it("paginates newest first", async () => {
    for (let i = 0; i < 3; i++) {
      await call("POST", "/v1/notification-channels", { body: { type: "email", to: [`p${i}@pager.test`], owner_id: "nc-pager" } });
    }
    const first = await call("GET", "/v1/notification-channels?owner_id=nc-pager&limit=2");
    expect(first.json.data.map((c: any) => c.to[0])).toEqual(["p2@pager.test", "p1@pager.test"]);
    const second = await call("GET", `/v1/notification-channels?owner_id=nc-pager&limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.data.map((c: any) => c.to[0])).toEqual(["p0@pager.test"]);
    expect(second.json.next_cursor).toBeNull();
  });
});

describe("POST /v1/notification-channels/{id}/test and /v1/notifications", () => {
  it("sends now and logs a test notification with the channel's error when it fails", async () => {
    const key = await createOwnerKey("nt-owner");
    const slack = await call("POST", "/v1/notification-channels", { key, body: { type: "slack", webhook_url: DEAD_SLACK } });
    const tested = await call("POST", `/v1/notification-channels/${slack.json.id}/test`, { key });
    expect(tested.status).toBe(200);
    expect(tested.json).toMatchObject({ kind: "test", channel_id: slack.json.id, endpoint_id: null, status: "failed", sent_at: null });
    expect(tested.json.error).toMatch(/^Slack request failed/);

    // Email without SES settings (the integration env has none) fails with a clear reason, also logged.
    const email = await call("POST", "/v1/notification-channels", { key, body: { type: "email", to: ["me@nt.test"] } });
    const emailTest = await call("POST", `/v1/notification-channels/${email.json.id}/test`, { key });
    expect(emailTest.json.status).toBe("failed");
    expect(emailTest.json.error).toContain("SES_REGION");

    const log = await call("GET", "/v1/notifications", { key });
    expect(log.status).toBe(200);
    expect(log.json.data.map((n: any) => n.id)).toEqual([emailTest.json.id, tested.json.id]);
    for (const n of log.json.data) {
      for (const field of ["id", "channel_id", "endpoint_id", "kind", "sent_at", "status", "error"]) expect(n).toHaveProperty(field);
    }
    const onlySlack = await call("GET", `/v1/notifications?channel_id=${slack.json.id}`, { key });
    expect(onlySlack.json.data.map((n: any) => n.id)).toEqual([tested.json.id]);

    // Another owner sees none of it; naming this owner is 403.
    const other = await createOwnerKey("nt-other");
    expect((await call("GET", "/v1/notifications", { key: other })).json.data).toEqual([]);
    expectProblem(await call("GET", "/v1/notifications?owner_id=nt-owner", { key: other }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/notifications", { key: null }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/notifications?kind=endpoint.exploded"), 422, "validation_failed");
    expectProblem(await call("GET", "/v1/notifications?cursor=bad!"), 400, "invalid_cursor");
  });
});
