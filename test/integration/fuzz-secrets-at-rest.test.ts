// Secrets at rest (property): for random signing secrets, auth credentials, Slack URLs, API keys and source
// tokens, no D1 row, list/get/error response or log line carries them in plain text.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { assertProperty, fuzzSettings } from "../fuzz/arbitraries";
import { received, receiverUrl, script, uniqueKey } from "./delivery-fixtures";
import { ADMIN_KEY, call } from "./helpers";
import { eventually } from "./fanout-helpers";

const raw = env as unknown as { HOOKRELAY_FUZZ_SEED?: string; HOOKRELAY_FUZZ_RUNS?: string; ENCRYPTION_KEY: string; DB: D1Database };
const SETTINGS = fuzzSettings({ seed: raw.HOOKRELAY_FUZZ_SEED, runs: raw.HOOKRELAY_FUZZ_RUNS ? String(Math.ceil(Number(raw.HOOKRELAY_FUZZ_RUNS) / 40)) : undefined }, 10);
const TABLES = ["api_keys", "endpoints", "subscriptions", "sources", "notification_channels", "notifications", "jobs", "history_shards", "owners", "portal_links"];

/** High-entropy secrets long enough that finding one by chance elsewhere is impossible. */
const token = (min: number) => fc.string({ unit: fc.constantFrom(..."abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"), minLength: min, maxLength: min + 20 });
const whsec = fc.uint8Array({ minLength: 24, maxLength: 32 }).map((b) => `whsec_${btoa(String.fromCharCode(...b))}`);
const authConfig = fc.oneof(
  fc.record({ type: fc.constant("basic" as const), username: token(6), password: token(16) }),
  fc.record({ type: fc.constant("bearer" as const), token: token(16) }),
  fc.record({ type: fc.constant("header" as const), name: fc.constantFrom("X-Api-Key", "X-Token", "Authorization"), value: token(16) }),
);
const secretOf = (auth: { type: string; password?: string; token?: string; value?: string }) => auth.password ?? auth.token ?? auth.value!;

async function dumpD1(): Promise<string> {
  const results = await raw.DB.batch(TABLES.map((t) => raw.DB.prepare(`SELECT * FROM ${t}`)));
  return results.map((r) => JSON.stringify(r.results)).join("\n");
}

let logs: string[] = [];
beforeEach(() => {
  logs = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logs.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
});
afterEach(() => vi.restoreAllMocks());

const stats = { runs: 0, secretsChecked: 0 };

describe("secrets at rest (property)", () => {
  it(`no plaintext secret in D1, in list/get/error responses or in logs (seed ${SETTINGS.seed}, ${SETTINGS.numRuns} runs)`, async () => {
    await assertProperty(
      "secrets at rest",
      fc.asyncProperty(whsec, authConfig, authConfig, token(20), async (signing, auth, patchedAuth, slackToken) => {
        stats.runs++;
        const owner = `sec-${stats.runs}`;
        const key = uniqueKey("sec");
        // Failing receivers: deliveries and the channel test go through their error paths (which log).
        await script(key, [{ status: 500, body: "nope" }]);
        const slackUrl = receiverUrl(`${key}-slack/services/T000/B000/${slackToken}`);

        const ep = await call("POST", "/v1/endpoints", { body: { url: receiverUrl(key), owner_id: owner, secret: signing, auth, retry: { strategy: "constant", max_attempts: 1, delay_s: 1 } } });
        expect(ep.status, ep.text).toBe(201);
        // Refused requests that carry secrets: the problem+json must not echo them.
        const refusedCreate = await call("POST", "/v1/endpoints", { body: { url: "not a url", owner_id: owner, secret: signing, auth: patchedAuth } });
        const refusedPatch = await call("PATCH", `/v1/endpoints/${ep.json.id}`, { body: { auth: patchedAuth, timeout_ms: "soon" } });
        const refusedChannel = await call("POST", "/v1/notification-channels", { body: { type: "slack", webhook_url: slackUrl, owner_id: owner, extra: slackToken } });
        expect([refusedCreate.status, refusedPatch.status, refusedChannel.status]).toEqual([422, 422, 422]);
        const patched = await call("PATCH", `/v1/endpoints/${ep.json.id}`, { body: { auth: patchedAuth } });
        expect(patched.status, patched.text).toBe(200);
        const sub = await call("POST", "/v1/subscriptions", { body: { endpoint_id: ep.json.id, event_types: ["sec.*"] } });
        expect(sub.status).toBe(201);

        const channel = await call("POST", "/v1/notification-channels", { body: { type: "slack", webhook_url: slackUrl, owner_id: owner } });
        expect(channel.status, channel.text).toBe(201);
        const tested = await call("POST", `/v1/notification-channels/${channel.json.id}/test`);
        expect(tested.status, tested.text).toBe(200);
        const apiKey = await call("POST", "/v1/api-keys", { body: { name: "k", owner_id: owner } });
        const source = await call("POST", "/v1/sources", { body: { type: "websocket", name: "s", owner_id: owner } });
        expect([apiKey.status, source.status]).toEqual([201, 201]);

        // One delivery through the failing receiver, so the DO's attempt and error paths have run.
        const ev = await call("POST", "/v1/events", { body: { payload: { n: 1 }, owner_id: owner, event_type: "sec.test" } });
        expect(ev.status).toBe(202);
        const delivery = await eventually(async () => {
          const list = await call("GET", `/v1/deliveries?event_id=${ev.json.id}`);
          return list.json?.data?.[0]?.status === "failed" ? list.json.data[0] : null;
        }, 15_000);
        // The receiver did get the credentials: they are stored, just not in plain text.
        const got = (await received(key)).filter((r) => r.headers["webhook-id"] === ev.json.id);
        expect(got.length).toBeGreaterThanOrEqual(1);
        const sent = patchedAuth.type === "header" ? got[0]!.headers[patchedAuth.name.toLowerCase()] : got[0]!.headers.authorization;
        expect(sent).toContain(patchedAuth.type === "basic" ? "Basic " : secretOf(patchedAuth));

        const reads = await Promise.all([
          call("GET", `/v1/endpoints?owner_id=${owner}`),
          call("GET", `/v1/endpoints/${ep.json.id}`),
          call("GET", `/v1/notification-channels?owner_id=${owner}`),
          call("GET", `/v1/notification-channels/${channel.json.id}`),
          call("GET", `/v1/api-keys?owner_id=${owner}`),
          call("GET", `/v1/sources/${source.json.id}`),
          call("GET", `/v1/deliveries/${delivery.id}`),
          call("GET", `/v1/notifications?limit=500`),
        ]);
        const responses = [ep, patched, channel, tested, refusedCreate, refusedPatch, refusedChannel, ...reads].map((r) => r.text).join("\n");
        const d1 = await dumpD1();
        // The log check means something only if the error paths did log (the failed channel test does).
        expect(logs.some((l) => l.includes(channel.json.id))).toBe(true);
        const everything = { d1, responses, logs: logs.join("\n") };

        // Credentials and channel URLs: never in D1, never in any response or log line.
        const hidden = [secretOf(auth), secretOf(patchedAuth), slackToken, raw.ENCRYPTION_KEY, ADMIN_KEY];
        if (auth.type === "basic") hidden.push(btoa(`${auth.username}:${auth.password}`));
        // The signing secret is returned to its owner by design (API.md), but D1 and logs never hold it.
        const notStored = [signing, apiKey.json.key as string, source.json.token as string];
        for (const [where, text] of Object.entries(everything)) {
          for (const secret of hidden) expect(text.includes(secret), `${where} contains a secret (${secret.slice(0, 4)}…)`).toBe(false);
        }
        for (const secret of notStored) {
          expect(d1.includes(secret), "D1 holds a signing secret, API key or source token in plain text").toBe(false);
          expect(everything.logs.includes(secret), "a log line holds a signing secret, API key or source token").toBe(false);
        }
        // Masked, not absent: an operator can still tell which credential is configured.
        const got1 = reads[1]!.json.auth;
        expect(got1.type).toBe(patchedAuth.type);
        if (patchedAuth.type !== "basic") expect(JSON.stringify(got1)).toContain("••••");
        expect(reads[3]!.json.webhook_url).toMatch(/\*\*\*\*/);
        stats.secretsChecked += hidden.length + notStored.length;
      }),
      SETTINGS,
    );
    vi.restoreAllMocks();
    console.info(JSON.stringify({ fuzz: "secrets-at-rest", seed: SETTINGS.seed, ...stats }));
    expect(stats.secretsChecked).toBeGreaterThan(0);
  }, 120_000);
});
