// The HookRelay client: openapi-fetch over the generated `paths` types, with retries, typed problem errors
// and cursor iterators. Runs wherever `fetch` exists (Node 20+, Workers, Deno, Bun, browsers).
import createClient, { type Client } from "openapi-fetch";
import { errorFromResponse } from "./errors.js";
import { paginate, type IterateOptions, type Page } from "./pagination.js";
import { retryingFetch, type RetryOptions } from "./retry.js";
import type { components, paths } from "./schema.js";

export type Schemas = components["schemas"];
export type Endpoint = Schemas["Endpoint"];
export type Subscription = Schemas["Subscription"];
export type Delivery = Schemas["Delivery"];
export type DeliveryDetail = Schemas["DeliveryDetail"];
export type EventInput = Schemas["EventInput"];

type QueryOf<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;
type ListQuery<P extends keyof paths> = Omit<QueryOf<P>, "cursor">;
/** Delivery history is sharded: a list names at least one of these (API.md "Lists at scale"). */
type DeliveryScope = { endpoint_id: string } | { event_id: string } | { owner_id: string };
export type DeliveriesQuery = QueryOf<"/v1/deliveries"> & DeliveryScope;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface HookRelayOptions {
  /** The deployment's origin, e.g. `https://hookrelay.example.com` or `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** An admin or owner-scoped API key. */
  apiKey: string;
  /** Retry policy for idempotent calls and keyed ingest; `{ retries: 0 }` turns retries off. */
  retry?: RetryOptions;
  /** Bound on each attempt until its response headers, in ms (default 30000; 0 = none). */
  timeoutMs?: number;
  /** A custom fetch (tests, instrumentation); defaults to globalThis.fetch. */
  fetch?: typeof fetch;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export interface SendOptions {
  /** Same key within 24 h → same event id, delivered once. Generated when absent so retries stay safe. */
  idempotencyKey?: string;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Unwraps an openapi-fetch result: the data on success, a thrown HookRelayError otherwise. */
async function ok<T>(pending: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw errorFromResponse(response, error);
  return data as T;
}

export type HookRelay = ReturnType<typeof createHookRelay>;

export function createHookRelay(options: HookRelayOptions) {
  const baseFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const raw: Client<paths> = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: { ...options.headers, authorization: `Bearer ${options.apiKey}` },
    fetch: retryingFetch(baseFetch as typeof fetch, options.retry, options.timeoutMs ?? 30_000),
  });
  const byId = (id: string) => ({ params: { path: { id } } });
  const newKey = () => crypto.randomUUID();

  const endpoints = {
    list: (query: QueryOf<"/v1/endpoints"> = {}) => ok(raw.GET("/v1/endpoints", { params: { query } })),
    iterate: (query: ListQuery<"/v1/endpoints"> = {}, opts?: IterateOptions) =>
      paginate<Endpoint>((cursor) => endpoints.list({ ...query, cursor }), opts),
    get: (id: string) => ok(raw.GET("/v1/endpoints/{id}", byId(id))),
    create: (body: Schemas["EndpointCreate"]) => ok(raw.POST("/v1/endpoints", { body })),
    update: (id: string, body: Schemas["EndpointPatch"]) => ok(raw.PATCH("/v1/endpoints/{id}", { ...byId(id), body })),
    delete: (id: string) => ok(raw.DELETE("/v1/endpoints/{id}", byId(id))).then(() => undefined),
    enable: (id: string) => ok(raw.POST("/v1/endpoints/{id}/enable", byId(id))),
    disable: (id: string) => ok(raw.POST("/v1/endpoints/{id}/disable", byId(id))),
    rotateSecret: (id: string) => ok(raw.POST("/v1/endpoints/{id}/rotate-secret", byId(id))),
    stats: (id: string) => ok(raw.GET("/v1/endpoints/{id}/stats", byId(id))),
  };

  const subscriptions = {
    list: (query: QueryOf<"/v1/subscriptions"> = {}) => ok(raw.GET("/v1/subscriptions", { params: { query } })),
    iterate: (query: ListQuery<"/v1/subscriptions"> = {}, opts?: IterateOptions) =>
      paginate<Subscription>((cursor) => subscriptions.list({ ...query, cursor }), opts),
    get: (id: string) => ok(raw.GET("/v1/subscriptions/{id}", byId(id))),
    create: (body: Schemas["SubscriptionCreate"]) => ok(raw.POST("/v1/subscriptions", { body })),
    update: (id: string, body: Schemas["SubscriptionPatch"]) => ok(raw.PATCH("/v1/subscriptions/{id}", { ...byId(id), body })),
    delete: (id: string) => ok(raw.DELETE("/v1/subscriptions/{id}", byId(id))).then(() => undefined),
  };

  const events = {
    /** Ingests one event (202 → `{id}`); retried safely under one Idempotency-Key. */
    send: (body: EventInput, opts: SendOptions = {}) =>
      ok(raw.POST("/v1/events", { body, params: { header: { "idempotency-key": opts.idempotencyKey ?? newKey() } } })),
    sendBatch: (events: EventInput[], opts: SendOptions = {}) =>
      ok(raw.POST("/v1/events/batch", { body: { events }, params: { header: { "idempotency-key": opts.idempotencyKey ?? newKey() } } })),
    /** Lists an owner's events (`owner_id` is required with the admin key). */
    list: (query: QueryOf<"/v1/events"> = {}) => ok(raw.GET("/v1/events", { params: { query } })),
    iterate: (query: ListQuery<"/v1/events"> = {}, opts?: IterateOptions) =>
      paginate((cursor) => events.list({ ...query, cursor }), opts),
    get: (id: string) => ok(raw.GET("/v1/events/{id}", byId(id))),
    replay: (id: string) => ok(raw.POST("/v1/events/{id}/replay", byId(id))),
  };

  const deliveries = {
    /** Lists deliveries; name at least one of `endpoint_id`, `event_id`, `owner_id`. */
    list: (query: DeliveriesQuery) => ok(raw.GET("/v1/deliveries", { params: { query } })),
    iterate: (query: DistributiveOmit<DeliveriesQuery, "cursor">, opts?: IterateOptions) =>
      paginate<Delivery>((cursor) => deliveries.list({ ...query, cursor }), opts),
    get: (id: string) => ok(raw.GET("/v1/deliveries/{id}", byId(id))),
    /** Starts a manual retry (202). Not retried by the client: a POST without an idempotency key. */
    retry: (id: string) => ok(raw.POST("/v1/deliveries/{id}/retry", byId(id))),
  };

  const jobs = {
    get: (id: string) => ok(raw.GET("/v1/jobs/{id}", byId(id))),
  };

  return { raw, endpoints, subscriptions, events, deliveries, jobs };
}

export type { Page };
