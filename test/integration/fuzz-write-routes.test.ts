// Property suite over every write route (inside workerd, through the Worker's fetch): hostile bodies, headers
// and ids never produce a 5xx, errors are always the documented problem+json, and a refused request writes nothing.
import { env } from "cloudflare:workers";
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { assertProperty, contentType, deepJsonText, fuzzSettings, headerValue, hostileJson, nastyString, oddString, rawBody } from "../fuzz/arbitraries";
import type { Env } from "../../src/env";
import { writeDeliveries } from "../../src/history/delivery-history";
import { rememberOwners } from "../../src/history/event-history";
import { logShard } from "../../src/history/shard-client";
import { seedDelivery } from "./delivery-fixtures";
import { ADMIN_KEY, call, createOwnerKey } from "./helpers";
import { countRows, eventually, storedEvent } from "./fanout-helpers";

const fuzzEnv = env as unknown as { HOOKRELAY_FUZZ_SEED?: string; HOOKRELAY_FUZZ_RUNS?: string; TEST_RECEIVER_URL: string; DB: D1Database };
const SETTINGS = fuzzSettings({ seed: fuzzEnv.HOOKRELAY_FUZZ_SEED, runs: fuzzEnv.HOOKRELAY_FUZZ_RUNS }, 1500);
const BASE = "http://hookrelay.test";
const OWNER = "fuzz-owner";
/** Events are ingested for owners with no endpoints, so fuzzed ingest never fans out to a real URL. */
const INGEST_OWNER = "fuzz-ingest";

/** Every status the API documents; anything else (above all a 5xx) fails the property. */
const DOCUMENTED = new Set([200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 415, 422, 429]);
/**
 * Tables only API requests write (consumers and DOs write history — events, deliveries, attempts — to log shards
 * in the background, and with it the history_shards and owners directories).
 */
const MANAGEMENT_TABLES = ["api_keys", "endpoints", "subscriptions", "sources", "notification_channels", "notifications", "jobs", "dead_letters", "config_versions", "portal_links"];

interface Fixtures {
  ownerKey: string;
  endpointId: string;
  otherEndpointId: string;
  subscriptionId: string;
  wsSourceId: string;
  snsSourceId: string;
  channelId: string;
  portalLinkId: string;
  eventId: string;
  deliveryId: string;
}
let fx: Fixtures;

type Principal = "admin" | "owner" | "none" | "junk";

interface RouteSpec {
  name: string;
  method: "POST" | "PATCH" | "DELETE";
  /** Path with `{id}` replaced by a fixture id or a fuzzed one. */
  path: (id: string) => string;
  fixtureId?: () => string;
  /** A body the route accepts, the starting point for mutations (undefined: the route takes no body). */
  valid?: () => Record<string, unknown>;
  /** The collection GET /{id} reads back after a 201 (proves the write is whole). */
  readBack?: string;
}

const receiver = (key: string) => `${fuzzEnv.TEST_RECEIVER_URL}/${key}`;

const ROUTES: RouteSpec[] = [
  { name: "POST /v1/api-keys", method: "POST", path: () => "/v1/api-keys", valid: () => ({ name: "fuzz key", owner_id: OWNER }) },
  {
    name: "POST /v1/endpoints",
    method: "POST",
    path: () => "/v1/endpoints",
    readBack: "/v1/endpoints",
    valid: () => ({
      url: receiver("fuzz-created"),
      owner_id: OWNER,
      description: "d",
      timeout_ms: 2000,
      rate_limit: { requests: 5, per_seconds: 1 },
      auth: { type: "bearer", token: "tok-123456789" },
      retry: { strategy: "constant", max_attempts: 1, delay_s: 1 },
      metadata: { k: "v" },
    }),
  },
  {
    name: "PATCH /v1/endpoints/{id}",
    method: "PATCH",
    path: (id) => `/v1/endpoints/${id}`,
    fixtureId: () => fx.endpointId,
    valid: () => ({ description: "patched", metadata: { a: 1 }, auth: { type: "header", name: "x-api-key", value: "v" } }),
  },
  { name: "POST /v1/endpoints/{id}/disable", method: "POST", path: (id) => `/v1/endpoints/${id}/disable`, fixtureId: () => fx.endpointId },
  { name: "POST /v1/endpoints/{id}/enable", method: "POST", path: (id) => `/v1/endpoints/${id}/enable`, fixtureId: () => fx.endpointId },
  {
    name: "POST /v1/endpoints/{id}/rotate-secret",
    method: "POST",
    path: (id) => `/v1/endpoints/${id}/rotate-secret`,
    fixtureId: () => fx.endpointId,
    valid: () => ({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
  },
  {
    name: "POST /v1/endpoints/{id}/retry-failed",
    method: "POST",
    path: (id) => `/v1/endpoints/${id}/retry-failed`,
    fixtureId: () => fx.endpointId,
    valid: () => ({ since: "2026-01-01T00:00:00.000Z", until: "2030-01-01T00:00:00Z" }),
  },
  { name: "DELETE /v1/endpoints/{id}", method: "DELETE", path: (id) => `/v1/endpoints/${id}` },
  {
    name: "POST /v1/subscriptions",
    method: "POST",
    path: () => "/v1/subscriptions",
    readBack: "/v1/subscriptions",
    valid: () => ({ endpoint_id: fx.endpointId, event_types: ["fixture.only", "fixture.*"], description: "s" }),
  },
  {
    name: "PATCH /v1/subscriptions/{id}",
    method: "PATCH",
    path: (id) => `/v1/subscriptions/${id}`,
    fixtureId: () => fx.subscriptionId,
    valid: () => ({ event_types: ["fixture.only"], description: null }),
  },
  { name: "DELETE /v1/subscriptions/{id}", method: "DELETE", path: (id) => `/v1/subscriptions/${id}` },
  {
    name: "POST /v1/sources",
    method: "POST",
    path: () => "/v1/sources",
    readBack: "/v1/sources",
    valid: () => ({ type: "sns", name: "n", owner_id: OWNER, event_type: "a.b", event_type_attribute: "t", topic_arn: "arn:aws:sns:us-east-1:123456789012:topic" }),
  },
  {
    name: "PATCH /v1/sources/{id}",
    method: "PATCH",
    path: (id) => `/v1/sources/${id}`,
    fixtureId: () => fx.snsSourceId,
    valid: () => ({ name: "renamed", event_type: null, event_type_attribute: "x", topic_arn: null }),
  },
  { name: "POST /v1/sources/{id}/rotate-token", method: "POST", path: (id) => `/v1/sources/${id}/rotate-token`, fixtureId: () => fx.wsSourceId },
  { name: "DELETE /v1/sources/{id}", method: "DELETE", path: (id) => `/v1/sources/${id}` },
  {
    name: "POST /v1/notification-channels",
    method: "POST",
    path: () => "/v1/notification-channels",
    readBack: "/v1/notification-channels",
    valid: () => ({ type: "slack", webhook_url: receiver("fuzz-slack-created"), owner_id: OWNER }),
  },
  { name: "POST /v1/notification-channels/{id}/test", method: "POST", path: (id) => `/v1/notification-channels/${id}/test`, fixtureId: () => fx.channelId },
  { name: "DELETE /v1/notification-channels/{id}", method: "DELETE", path: (id) => `/v1/notification-channels/${id}` },
  {
    name: "POST /v1/events",
    method: "POST",
    path: () => "/v1/events",
    valid: () => ({ payload: { order: 1, note: "é" }, owner_id: INGEST_OWNER, event_type: "fuzz.created" }),
  },
  {
    name: "POST /v1/events/batch",
    method: "POST",
    path: () => "/v1/events/batch",
    valid: () => ({
      events: [
        { payload: [1, 2], owner_id: INGEST_OWNER, event_type: "fuzz.a" },
        { payload: "x", owner_id: INGEST_OWNER, event_type: "fuzz.b" },
      ],
    }),
  },
  { name: "POST /v1/events/{id}/replay", method: "POST", path: (id) => `/v1/events/${id}/replay`, fixtureId: () => fx.eventId },
  { name: "POST /v1/deliveries/{id}/retry", method: "POST", path: (id) => `/v1/deliveries/${id}/retry`, fixtureId: () => fx.deliveryId },
  {
    name: "POST /v1/deliveries/retry",
    method: "POST",
    path: () => "/v1/deliveries/retry",
    valid: () => ({ endpoint_id: fx.endpointId, owner_id: OWNER, status: "failed", since: "2026-01-01T00:00:00Z" }),
  },
  {
    name: "POST /v1/portal-links",
    method: "POST",
    path: () => "/v1/portal-links",
    valid: () => ({ owner_id: OWNER, owner_name: "Fuzz Ltd", ttl_seconds: 600, read_only: true, theme: { primary_color: "#112233", logo_url: "https://cdn.fuzz.test/l.png" } }),
  },
  { name: "DELETE /v1/portal-links/{id}", method: "DELETE", path: (id) => `/v1/portal-links/${id}`, fixtureId: () => fx.portalLinkId },
  { name: "POST /v1/dead-letters/{id}/redrive", method: "POST", path: (id) => `/v1/dead-letters/${id}/redrive` },
  { name: "POST /v1/metrics/reset", method: "POST", path: () => "/v1/metrics/reset" },
  {
    name: "POST /ingest/sns/{id}",
    method: "POST",
    path: (id) => `/ingest/sns/${id}`,
    fixtureId: () => fx.snsSourceId,
    valid: () => ({
      Type: "Notification",
      MessageId: "m-1",
      TopicArn: "arn:aws:sns:us-east-1:123456789012:topic",
      Message: "{}",
      Timestamp: "2026-11-29T00:00:00.000Z",
      SignatureVersion: "1",
      Signature: "AAAA",
      // Refused before any fetch (not an SNS host): the suite never leaves 127.0.0.1.
      SigningCertURL: "http://127.0.0.1:9/cert.pem",
    }),
  },
];

/** Sets every key as an own property, so `__proto__` travels as a key rather than changing the prototype. */
function ownObject(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
  return out;
}

/** A valid body with some fields dropped, some replaced by hostile values, and hostile extra keys. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  return fc
    .record({
      drop: fc.subarray(keys),
      replace: fc.array(fc.tuple(fc.constantFrom(...keys), hostileJson), { maxLength: 3 }),
      extra: fc.array(fc.tuple(fc.oneof(nastyString, oddString), hostileJson), { maxLength: 2 }),
      nested: fc.option(fc.tuple(fc.constantFrom(...keys), fc.constantFrom("__proto__", "constructor"), hostileJson), { nil: undefined }),
    })
    .map(({ drop, replace, extra, nested }) => {
      const entries = new Map<string, unknown>(Object.entries(valid).filter(([k]) => !drop.includes(k)));
      for (const [k, v] of replace) entries.set(k, v);
      for (const [k, v] of extra) entries.set(k, v);
      if (nested) {
        const [k, protoKey, v] = nested;
        const inner = entries.get(k);
        entries.set(k, ownObject([...(inner && typeof inner === "object" && !Array.isArray(inner) ? Object.entries(inner) : []), [protoKey, v]]));
      }
      return ownObject([...entries]);
    });
}

type Body = { kind: "none" } | { kind: "json"; value: unknown } | { kind: "raw"; bytes: Uint8Array };

function bodyFor(route: RouteSpec): fc.Arbitrary<Body> {
  const json = (arb: fc.Arbitrary<unknown>) => arb.map((value): Body => ({ kind: "json", value }));
  const options: fc.WeightedArbitrary<Body>[] = [
    { weight: 3, arbitrary: json(hostileJson) },
    { weight: 3, arbitrary: rawBody.map((bytes): Body => ({ kind: "raw", bytes })) },
    { weight: 1, arbitrary: fc.constant<Body>({ kind: "none" }) },
  ];
  if (route.valid) {
    const valid = route.valid;
    // A valid body with one field replaced by deeply nested JSON, spliced in as text.
    options.push({
      weight: 1,
      arbitrary: fc.tuple(fc.constant(null), deepJsonText).map(([, deep]): Body => {
        const body = valid();
        const key = Object.keys(body).find((k) => k === "payload" || k === "metadata" || k === "events") ?? Object.keys(body)[0]!;
        const text = JSON.stringify({ ...body, [key]: "__DEEP__" }).replace('"__DEEP__"', deep);
        return { kind: "raw", bytes: new TextEncoder().encode(text) };
      }),
    });
    options.push({ weight: 5, arbitrary: fc.constant(null).chain(() => json(mutated(valid()))) });
    options.push({ weight: 3, arbitrary: fc.constant(null).map((): Body => ({ kind: "json", value: valid() })) });
  }
  return fc.oneof(...options);
}

const principal = fc.constantFrom<Principal>("admin", "admin", "admin", "admin", "admin", "owner", "owner", "owner", "none", "junk");

/** A path id: the fixture (most of the time), another owner's endpoint, or junk. */
function idFor(route: RouteSpec): fc.Arbitrary<string> {
  const junk = fc.oneof(oddString, nastyString).map((s) => encodeURIComponent(s.slice(0, 300).replace(/[\uD800-\uDFFF]/g, "?")) || "x");
  const choices: fc.WeightedArbitrary<string>[] = [
    { weight: 2, arbitrary: junk },
    { weight: 1, arbitrary: fc.constant(null).map(() => fx.otherEndpointId) },
  ];
  if (route.fixtureId) choices.push({ weight: 6, arbitrary: fc.constant(null).map(() => route.fixtureId!()) });
  return fc.oneof(...choices);
}

const requestArb = fc.constantFrom(...ROUTES).chain((route) =>
  fc.record({
    route: fc.constant(route),
    id: idFor(route),
    body: bodyFor(route),
    principal,
    contentType: fc.oneof({ weight: 4, arbitrary: fc.constant<string | undefined>("application/json") }, { weight: 3, arbitrary: contentType }),
    idempotencyKey: fc.option(headerValue, { nil: undefined, freq: 2 }),
    extraHeader: fc.option(fc.tuple(fc.constantFrom("x-request-id", "accept", "content-encoding", "transfer-encoding", "x-forwarded-for"), headerValue), {
      nil: undefined,
    }),
  }),
);

type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

/** Events in history, every owner's: each events shard the directory lists, read whole. */
async function historyEventCount(): Promise<number> {
  const { results } = await fuzzEnv.DB.prepare("SELECT key, day, part FROM history_shards WHERE kind = 'events'").all<{ key: string; day: string; part: number }>();
  const counts = await Promise.all(
    results.map(async (r) => (await logShard(fuzzEnv as unknown as Env, { kind: "events", key: r.key, day: r.day, part: r.part }).listEvents({ limit: 1_000_000 })).length),
  );
  return counts.reduce((a, b) => a + b, 0);
}

async function tableCounts(): Promise<Record<string, number>> {
  const results = await fuzzEnv.DB.batch(MANAGEMENT_TABLES.map((t) => fuzzEnv.DB.prepare(`SELECT count(*) AS n FROM ${t}`)));
  return Object.fromEntries(MANAGEMENT_TABLES.map((t, i) => [t, (results[i]!.results[0] as { n: number }).n]));
}

function serialize(body: Body): Uint8Array | string | undefined {
  if (body.kind === "none") return undefined;
  if (body.kind === "raw") return body.bytes;
  return JSON.stringify(body.value);
}

function describeRequest(r: FuzzRequest): string {
  const body = serialize(r.body);
  const shown = body instanceof Uint8Array ? `bytes[${body.length}]` : (body ?? "<none>").slice(0, 300);
  return `${r.route.method} ${r.route.path(r.id).slice(0, 200)} as ${r.principal} ct=${r.contentType} idem=${JSON.stringify(r.idempotencyKey)} body=${shown}`;
}

const stats = { requests: 0, byRoute: new Map<string, number>(), byStatus: new Map<number, number>(), acceptedEventIds: new Set<string>() };

/** Sends one fuzzed request and checks the per-request properties. */
async function check(r: FuzzRequest): Promise<void> {
  const headers = new Headers();
  if (r.principal === "admin") headers.set("authorization", `Bearer ${ADMIN_KEY}`);
  if (r.principal === "owner") headers.set("authorization", `Bearer ${fx.ownerKey}`);
  if (r.principal === "junk") headers.set("authorization", "Bearer hr_notakey\u00e9");
  if (r.contentType !== undefined) headers.set("content-type", r.contentType);
  if (r.idempotencyKey !== undefined) headers.set("idempotency-key", r.idempotencyKey);
  if (r.extraHeader) headers.set(r.extraHeader[0], r.extraHeader[1]);

  const before = await tableCounts();
  const res = await exports.default.fetch(new Request(`${BASE}${r.route.path(r.id)}`, { method: r.route.method, headers, body: serialize(r.body) }));
  const text = await res.text();
  const where = `${describeRequest(r)}\n→ ${res.status} ${text.slice(0, 500)}`;
  stats.requests++;
  stats.byRoute.set(r.route.name, (stats.byRoute.get(r.route.name) ?? 0) + 1);
  stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);

  if (res.status >= 500 || !DOCUMENTED.has(res.status)) throw new Error(`undocumented status: ${where}`);
  if (res.status >= 400) {
    if (!res.headers.get("content-type")?.startsWith("application/problem+json")) throw new Error(`error without problem+json: ${where}`);
    const problem = JSON.parse(text) as Record<string, unknown>;
    for (const field of ["type", "title", "code", "detail", "request_id"]) {
      if (typeof problem[field] !== "string" || problem[field] === "") throw new Error(`problem lacks ${field}: ${where}`);
    }
    if (problem.status !== res.status) throw new Error(`problem.status differs from the HTTP status: ${where}`);
    if (!/^[a-z]+(_[a-z]+)*$/.test(problem.code as string)) throw new Error(`code is not snake_case: ${where}`);
    if (problem.request_id !== res.headers.get("x-request-id")) throw new Error(`request_id differs from x-request-id: ${where}`);
    if (problem.errors !== undefined) {
      const errors = problem.errors as unknown[];
      const wellFormed = Array.isArray(errors) && errors.every((e) => typeof (e as any)?.path === "string" && typeof (e as any)?.message === "string");
      if (!wellFormed) throw new Error(`malformed errors[]: ${where}`);
    }
    // Nothing half-written: a refused request leaves every table it could touch as it was.
    const after = await tableCounts();
    for (const t of MANAGEMENT_TABLES) {
      if (after[t] !== before[t]) throw new Error(`refused request changed ${t} (${before[t]} → ${after[t]}): ${where}`);
    }
    return;
  }
  if (res.status !== 204) {
    if (!res.headers.get("content-type")?.startsWith("application/json")) throw new Error(`success without JSON: ${where}`);
    const json = JSON.parse(text) as Record<string, any>;
    if (r.route.name === "POST /v1/events") stats.acceptedEventIds.add(json.id);
    if (r.route.name === "POST /v1/events/batch") for (const id of json.ids) stats.acceptedEventIds.add(id);
    // Nothing half-written the other way round either: what a 201 announces can be read back whole.
    if (res.status === 201 && r.route.readBack) {
      const back = await call("GET", `${r.route.readBack}/${json.id}`);
      if (back.status !== 200 || back.json?.id !== json.id) throw new Error(`created resource not readable (${back.status}): ${where}`);
    }
  }
}

beforeAll(async () => {
  const ownerKey = await createOwnerKey(OWNER);
  const ep = await call("POST", "/v1/endpoints", {
    body: { url: receiver("fuzz-sink"), owner_id: OWNER, retry: { strategy: "constant", max_attempts: 1, delay_s: 1 } },
  });
  const other = await call("POST", "/v1/endpoints", { body: { url: receiver("fuzz-other"), owner_id: "fuzz-other" } });
  const sub = await call("POST", "/v1/subscriptions", { body: { endpoint_id: ep.json.id, event_types: ["fixture.only"] } });
  const ws = await call("POST", "/v1/sources", { body: { type: "websocket", name: "ws", owner_id: OWNER } });
  const sns = await call("POST", "/v1/sources", { body: { type: "sns", name: "sns", owner_id: OWNER } });
  const ch = await call("POST", "/v1/notification-channels", { body: { type: "slack", webhook_url: receiver("fuzz-slack"), owner_id: OWNER } });
  const link = await call("POST", "/v1/portal-links", { body: { owner_id: OWNER } });
  for (const r of [ep, other, sub, ws, sns, ch, link]) expect(r.status, r.text).toBe(201);
  // A delivery that failed after one attempt, in the endpoint's history; its event in the owner's.
  const work = await seedDelivery({ id: ep.json.id, ownerId: OWNER }, { seeded: true }, "fixture.only");
  await rememberOwners(fuzzEnv as unknown as Env, [OWNER]);
  const now = Date.now();
  await writeDeliveries(fuzzEnv as unknown as Env, [
    {
      id: work.delivery_id, event_id: work.event_id, endpoint_id: work.endpoint_id, owner_id: OWNER, event_type: work.event_type, status: "failed",
      attempt_count: 1, attempts_in_run: 1, next_attempt_at: null, last_status_code: 500, last_error: null, last_duration_ms: 3,
      event_accepted_at: work.accepted_at, created_at: work.accepted_at, updated_at: now, completed_at: now,
      attempts: [{ id: `att_${work.delivery_id.slice(4, 30)}`, attempt: 1, started_at: now, duration_ms: 3, status_code: 500, error: null, response_body: "" }],
      attempts_dropped: 0,
    },
  ]);
  expect((await call("GET", `/v1/deliveries/${work.delivery_id}`)).json).toMatchObject({ status: "failed", attempt_count: 1 });
  fx = {
    ownerKey,
    endpointId: ep.json.id,
    otherEndpointId: other.json.id,
    subscriptionId: sub.json.id,
    wsSourceId: ws.json.id,
    snsSourceId: sns.json.id,
    channelId: ch.json.id,
    portalLinkId: link.json.id,
    eventId: work.event_id,
    deliveryId: work.delivery_id,
  };
});

describe("fuzz: every write route", () => {
  it(
    `never answers 5xx, always documented problem+json, refused requests write nothing (seed ${SETTINGS.seed}, ${SETTINGS.numRuns} runs)`,
    async () => {
      const eventsBefore = await historyEventCount();
      await assertProperty("write routes", fc.asyncProperty(requestArb, check), SETTINGS);

      // Every route was exercised, and every event a 202 announced reached history (none lost); refused
      // ingest requests added none (the count over every owner's shards is exact).
      const missing = ROUTES.filter((r) => !stats.byRoute.has(r.name)).map((r) => r.name);
      expect(missing).toEqual([]);
      const expected = eventsBefore + stats.acceptedEventIds.size;
      await eventually(async () => (await historyEventCount()) >= expected, 30_000);
      expect(await historyEventCount()).toBe(expected);
      const lost: string[] = [];
      for (const id of stats.acceptedEventIds) if (!(await storedEvent(id))) lost.push(id);
      expect(lost).toEqual([]);
      console.log(
        JSON.stringify({
          fuzz: "write-routes",
          seed: SETTINGS.seed,
          requests: stats.requests,
          routes: stats.byRoute.size,
          statuses: Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0])),
          events_accepted: stats.acceptedEventIds.size,
        }),
      );
    },
    180_000,
  );
});

describe("fuzz regressions (found by the property above, kept as fixed cases)", () => {
  it("a batch-retry window with an unreadable time is a 422 on that field, not a 500 (seed 1)", async () => {
    const bodies = [
      { since: "2026-01-01T00:00:00.000Z", until: "../../etc/passwd" },
      { since: { __proto__: null }, until: "2026-01-01T00:00:00Z" },
      { since: "not a time", until: "also not" },
    ];
    for (const body of bodies) {
      const single = await call("POST", `/v1/endpoints/${fx.endpointId}/retry-failed`, { body });
      expect(single.status, single.text).toBe(422);
      expect(single.json.code).toBe("validation_failed");
      const bulk = await call("POST", "/v1/deliveries/retry", { body: { status: "failed", ...body } });
      expect(bulk.status, bulk.text).toBe(422);
    }
    const reversed = await call("POST", `/v1/endpoints/${fx.endpointId}/retry-failed`, { body: { since: "2026-02-01T00:00:00Z", until: "2026-01-01T00:00:00Z" } });
    expect(reversed.status).toBe(422);
    expect(reversed.json.errors).toEqual([{ path: "until", message: "since must be before until" }]);
  });

  it("metadata nested thousands of levels deep is refused (422) instead of half-creating an endpoint and answering 500 (seed 1)", async () => {
    const deep = '{"a":'.repeat(6000) + "1" + "}".repeat(6000);
    const before = await countRows("SELECT count(*) AS n FROM endpoints");
    const res = await call("POST", "/v1/endpoints", { rawBody: `{"url":"http://127.0.0.1:9/x","owner_id":"${OWNER}","metadata":{"m":${deep}}}` });
    expect(res.status, res.text).toBe(422);
    expect(res.json.errors).toEqual([{ path: "metadata", message: expect.stringContaining("levels of nesting") }]);
    expect(await countRows("SELECT count(*) AS n FROM endpoints")).toBe(before);
    const patch = await call("PATCH", `/v1/endpoints/${fx.endpointId}`, { rawBody: `{"metadata":{"m":${deep}}}` });
    expect(patch.status, patch.text).toBe(422);
    // 32 levels is the documented bound: exactly that much nesting is kept whole.
    const ok = await call("POST", "/v1/endpoints", { rawBody: `{"url":"http://127.0.0.1:9/x","owner_id":"${OWNER}","metadata":${'{"a":'.repeat(31)}1${"}".repeat(31)}}` });
    expect(ok.status, ok.text).toBe(201);
    expect(JSON.stringify(ok.json.metadata)).toBe('{"a":'.repeat(31) + "1" + "}".repeat(31));
  });
});
