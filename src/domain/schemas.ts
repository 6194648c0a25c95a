// Request and response schemas (zod), shared by validation and the generated OpenAPI document.
// `z` comes from @hono/zod-openapi: the same zod, extended with `.openapi()` metadata.
import { z } from "@hono/zod-openapi";
import { filterIssues, MAX_FILTER_BYTES, MAX_FILTER_DEPTH } from "./filter-shape";

export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9._\-:/]{1,200}$/;

export const OwnerId = z.string().min(1).max(200).regex(/^[A-Za-z0-9._\-:@]+$/, "letters, digits and . _ - : @ only");
export const EventType = z.string().regex(EVENT_TYPE_PATTERN, "1-200 characters of letters, digits and . _ - : /");
/** A subscription pattern: an exact event type, `prefix.*`, or `*`. */
export const EventTypePattern = z
  .string()
  .refine(
    (v) => v === "*" || (v.endsWith(".*") ? EVENT_TYPE_PATTERN.test(v.slice(0, -2)) : EVENT_TYPE_PATTERN.test(v)),
    "an event type, `prefix.*` or `*`",
  );
export const Timestamp = z.string().datetime({ offset: true }).openapi({ example: "2026-11-29T21:00:00.000Z" });
/**
 * Metadata is small free-form JSON. Its nesting is bounded: a value nested thousands of levels deep is
 * stored fine but overflows the stack when a response serializes it, breaking every read of the endpoint.
 */
export const MAX_METADATA_DEPTH = 32;
/** Whether `value` nests arrays/objects at most `limit` levels deep (iterative: no recursion to overflow). */
export function withinDepth(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= limit) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}
export const Metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => withinDepth(m, MAX_METADATA_DEPTH), `at most ${MAX_METADATA_DEPTH} levels of nesting`);

// --- Problem -----------------------------------------------------------------------------------------
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    request_id: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

// --- Lists -------------------------------------------------------------------------------------------
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).optional(),
  cursor: z.string().optional(),
});
export function listOf<T extends z.ZodTypeAny>(item: T) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() });
}

// --- Endpoints ---------------------------------------------------------------------------------------
export const RateLimit = z
  .object({ requests: z.number().int().min(1).max(100_000), per_seconds: z.number().int().min(1).max(86_400) })
  .strict()
  .openapi("RateLimit");

/** A value that becomes (part of) a request header: CR, LF or NUL could inject headers or break the request. */
const HeaderSafe = /^[^\r\n\0]*$/;
/**
 * Header names an endpoint's auth may not set: framing and routing (the request would be malformed or sent
 * elsewhere) and the headers HookRelay itself sends (they would be silently replaced).
 */
// `__proto__` is a valid header token, but as a key of the headers object it would be dropped silently.
const RESERVED_AUTH_HEADER = /^(host|content-length|content-type|content-encoding|transfer-encoding|connection|keep-alive|upgrade|te|trailer|expect|user-agent|proxy-.*|webhook-.*|hookrelay-.*|cf-.*|__proto__)$/i;

export const EndpointAuth = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("basic"), username: z.string().min(1).max(500), password: z.string().max(1000) }).strict(),
    z.object({ type: z.literal("bearer"), token: z.string().min(1).max(4000).regex(HeaderSafe, "must not contain CR, LF or NUL") }).strict(),
    z
      .object({
        type: z.literal("header"),
        name: z
          .string()
          .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "a valid HTTP header name")
          .refine((n) => !RESERVED_AUTH_HEADER.test(n), "a header HookRelay sets itself or that controls the request (host, content-length, webhook-*, …)"),
        value: z.string().max(4000).regex(HeaderSafe, "must not contain CR, LF or NUL"),
      })
      .strict(),
  ])
  .openapi("EndpointAuth");

export const ExponentialRetry = z
  .object({
    strategy: z.literal("exponential"),
    max_attempts: z.number().int().min(1).max(100).default(8),
    base_delay_s: z.number().min(0).max(86_400).default(5),
    multiplier: z.number().min(1).max(100).default(6),
    max_delay_s: z.number().min(0).max(7 * 86_400).default(36_000),
    jitter: z.boolean().default(true),
  })
  .strict();
export const ConstantRetry = z
  .object({
    strategy: z.literal("constant"),
    max_attempts: z.number().int().min(1).max(100).default(8),
    delay_s: z.number().min(0).max(7 * 86_400).default(60),
    max_delay_s: z.number().min(0).max(7 * 86_400).default(36_000),
    jitter: z.boolean().default(true),
  })
  .strict();
export const RetryPolicy = z.discriminatedUnion("strategy", [ExponentialRetry, ConstantRetry]).openapi("RetryPolicy");
export type RetryPolicy = z.infer<typeof RetryPolicy>;
export const DEFAULT_RETRY_POLICY: RetryPolicy = ExponentialRetry.parse({ strategy: "exponential" });

const EndpointUrl = z.string().url().max(2000).openapi({ example: "https://example.com/hook" });
const EndpointSecret = z
  .string()
  .max(200)
  .regex(/^whsec_[A-Za-z0-9+/]{22,}={0,2}$/, "whsec_ followed by base64 of at least 16 bytes");
const TimeoutMs = z.number().int().min(1000).max(30_000);
/**
 * Requests to one endpoint at once. The ceiling is the platform's: an invocation has at most 6 connections
 * waiting for response headers, a seventh waits for one of them. The default uses all 6, as the endpoint's
 * throughput is max_in_flight ÷ its response time (4 at 100 ms is 40 deliveries/s); a receiver that wants fewer
 * at once sets fewer, and rate_limit paces it either way.
 */
export const MAX_IN_FLIGHT_CEILING = 6;
export const DEFAULT_MAX_IN_FLIGHT = 6;
const MaxInFlight = z.number().int().min(1).max(MAX_IN_FLIGHT_CEILING);
const Description = z.string().max(1000);
/** Required with the admin key; an owner key may omit it (it acts for its own owner) or name only itself. */
const ScopedOwnerId = OwnerId.optional().openapi({
  description: "The owner. Required with the admin key; an owner-scoped key defaults to (and may only name) its own owner.",
});

/** "http" (the default) POSTs to `url`; "relay" has no URL and delivers over `hookrelay listen`'s WebSocket. */
export const EndpointKind = z.enum(["http", "relay"]).openapi("EndpointKind");

export const EndpointCreate = z
  .object({
    kind: EndpointKind.default("http").openapi({
      description: '"relay": no URL; deliveries go to a connected `hookrelay listen` (GET /v1/endpoints/{id}/listen) and are held while none is.',
    }),
    url: EndpointUrl.optional().openapi({ description: "Required for kind http; must be absent for kind relay." }),
    owner_id: ScopedOwnerId,
    description: Description.optional(),
    secret: EndpointSecret.optional().openapi({ description: "Generated (whsec_ + 24 random bytes) when absent." }),
    timeout_ms: TimeoutMs.default(10_000),
    rate_limit: RateLimit.nullable().default(null).openapi({ description: "null = unlimited" }),
    max_in_flight: MaxInFlight.default(DEFAULT_MAX_IN_FLIGHT).openapi({
      description: "Requests to this endpoint at once (1–6). Throughput is at most max_in_flight ÷ the endpoint's response time.",
    }),
    auth: EndpointAuth.nullable().optional(),
    retry: RetryPolicy.optional().openapi({ description: "Defaults to exponential, 8 attempts, 5 s base, ×6, 10 h cap, jitter." }),
    metadata: Metadata.default({}),
  })
  .strict()
  .openapi("EndpointCreate");

// Written out rather than derived with .partial(): zod 4 applies a field's .default() even inside
// .partial(), which would silently reset every omitted setting on PATCH.
export const EndpointPatch = z
  .object({
    url: EndpointUrl.optional(),
    description: Description.nullable().optional(),
    timeout_ms: TimeoutMs.optional(),
    rate_limit: RateLimit.nullable().optional(),
    max_in_flight: MaxInFlight.optional(),
    auth: EndpointAuth.nullable().optional(),
    retry: RetryPolicy.optional().openapi({ description: "Replaces the whole policy; omitted fields take their defaults." }),
    metadata: Metadata.optional(),
  })
  .strict()
  .openapi("EndpointPatch");

/** `auth` as the API echoes it: the secret part (password, token, header value) is masked. */
export const EndpointAuthMasked = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("basic"), username: z.string(), password: z.string().openapi({ example: "••••" }) }),
    z.object({ type: z.literal("bearer"), token: z.string().openapi({ example: "••••abcd" }) }),
    z.object({ type: z.literal("header"), name: z.string(), value: z.string().openapi({ example: "••••abcd" }) }),
  ])
  .openapi("EndpointAuthMasked");

/** Live, from the endpoint's Durable Object; absent when the object could not be asked in time. */
export const DeliveryStateSchema = z
  .object({
    effective_rate_per_second: z.number().nullable().openapi({
      description: "Requests per second the endpoint is held to now (null = unlimited); below the configured rate while backing off after a 429 without Retry-After.",
    }),
    configured_rate_per_second: z.number().nullable(),
    backoff_recovers_at: Timestamp.nullable().openapi({ description: "When the 429 back-off will have healed; null when none is in force." }),
    paused_until: Timestamp.nullable().openapi({ description: "Nothing is sent before this (a 429/503 with Retry-After); null when not paused." }),
    in_flight: z.number().int(),
    pending: z.number().int().openapi({ description: "Deliveries waiting in the object for their turn (scheduled retries not included)." }),
  })
  .openapi("DeliveryState");

export const EndpointSchema = z
  .object({
    id: z.string().openapi({ example: "ep_01jd5m3x7q0000000000000000" }),
    kind: EndpointKind,
    url: z.string().nullable().openapi({ description: "null for relay endpoints (they have no URL)." }),
    owner_id: z.string(),
    description: z.string().nullable(),
    secret: z.string().openapi({ description: "The current signing secret (Standard Webhooks)." }),
    previous_secret_expires_at: Timestamp.nullable().openapi({
      description: "While set and in the future, the previous secret still signs (a second signature).",
    }),
    timeout_ms: z.number().int(),
    rate_limit: RateLimit.nullable(),
    max_in_flight: z.number().int(),
    auth: EndpointAuthMasked.nullable(),
    retry: RetryPolicy,
    metadata: Metadata,
    status: z.enum(["active", "disabled"]),
    disabled_reason: z.enum(["manual", "consecutive_failures", "gone_410"]).nullable(),
    disabled_at: Timestamp.nullable(),
    consecutive_failures: z.number().int(),
    failing_since: Timestamp.nullable(),
    last_attempt_at: Timestamp.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    delivery_state: DeliveryStateSchema.optional().openapi({ description: "GET /v1/endpoints/{id} only." }),
    listeners: z.number().int().optional().openapi({
      description: "Relay endpoints, GET /v1/endpoints/{id} only: `hookrelay listen` connections open now (0: deliveries are held).",
    }),
  })
  .openapi("Endpoint");

export const SecretRotated = z
  .object({ secret: z.string(), previous_secret_expires_at: Timestamp })
  .openapi("SecretRotated");

// --- Subscriptions -----------------------------------------------------------------------------------
const EventTypePatterns = z.array(EventTypePattern).min(1).max(100);
/** A filter on the event (API.md "Subscription filters"); each problem is reported at its own path. */
export const SubscriptionFilter = z
  .record(z.string(), z.unknown())
  .superRefine((filter, ctx) => {
    for (const issue of filterIssues(filter)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  })
  .openapi("SubscriptionFilter", {
    description:
      "Dotted paths into {payload, event_type, owner_id} mapped to a literal (deep equality) or an object of operators " +
      "($eq $ne $gt $gte $lt $lte $in $nin $exists $startsWith $endsWith $contains), combined with $and, $or, $not. " +
      `At most ${MAX_FILTER_BYTES} bytes as JSON and ${MAX_FILTER_DEPTH} levels deep.`,
    example: { "payload.total": { $gte: 100 }, "payload.currency": { $in: ["EUR", "USD"] } },
  });
const FilterField = SubscriptionFilter.nullable().optional().openapi({
  description: "Only events satisfying this filter make deliveries. null or absent = no filter; PATCH with null clears it.",
});
export const SubscriptionCreate = z
  .object({
    endpoint_id: z.string().min(1).max(100),
    event_types: EventTypePatterns,
    filter: FilterField,
    description: Description.optional(),
  })
  .strict()
  .openapi("SubscriptionCreate");
export const SubscriptionPatch = z
  .object({ event_types: EventTypePatterns.optional(), filter: FilterField, description: Description.nullable().optional() })
  .strict()
  .openapi("SubscriptionPatch");
export const FilterTest = z
  .object({
    filter: SubscriptionFilter.nullable(),
    event: z
      .object({
        payload: z.unknown().refine((v) => v !== undefined, "required"),
        event_type: EventType,
        owner_id: OwnerId,
      })
      .strict(),
  })
  .strict()
  .openapi("FilterTest");
export const FilterTestResult = z.object({ matches: z.boolean() }).openapi("FilterTestResult");
export const SubscriptionSchema = z
  .object({
    id: z.string(),
    endpoint_id: z.string(),
    owner_id: z.string(),
    event_types: z.array(z.string()),
    filter: z.record(z.string(), z.unknown()).nullable(),
    description: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Subscription");

// --- Events ------------------------------------------------------------------------------------------
export const EventInput = z
  .object({
    payload: z.unknown().refine((v) => v !== undefined, "is required: any JSON value"),
    owner_id: OwnerId,
    event_type: EventType,
  })
  .strict()
  .openapi("EventInput");
export type EventInput = z.infer<typeof EventInput>;
export const EventBatchInput = z.object({ events: z.array(z.unknown()).min(1).max(100) }).strict().openapi("EventBatch");

// --- Sources -----------------------------------------------------------------------------------------
const TopicArn = z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, "an SNS topic ARN");
const EventTypeAttribute = z.string().min(1).max(256);
export const SourceCreate = z
  .object({
    type: z.enum(["sns", "websocket"]),
    name: z.string().min(1).max(200),
    owner_id: ScopedOwnerId,
    event_type: EventType.optional().openapi({ description: "The event type when a message names none." }),
    event_type_attribute: EventTypeAttribute.optional().openapi({
      description: "SNS only: the message attribute that carries the event type.",
    }),
    topic_arn: TopicArn.optional().openapi({ description: "SNS only: the topic messages must come from." }),
  })
  .strict()
  .openapi("SourceCreate");
export const SourcePatch = z
  .object({
    name: z.string().min(1).max(200).optional(),
    event_type: EventType.nullable().optional(),
    event_type_attribute: EventTypeAttribute.nullable().optional(),
    topic_arn: TopicArn.nullable().optional(),
  })
  .strict()
  .openapi("SourcePatch");
export const SourceSchema = z
  .object({
    id: z.string().openapi({ example: "src_01jd5m3x7q0000000000000000" }),
    type: z.enum(["sns", "websocket"]),
    name: z.string(),
    owner_id: z.string(),
    event_type: z.string().nullable(),
    event_type_attribute: z.string().nullable(),
    topic_arn: z.string().nullable(),
    ingest_url: z.string().openapi({ example: "https://hookrelay.example.com/ingest/ws/src_01jd5m3x7q0000000000000000" }),
    status: z.enum(["pending_confirmation", "confirmed", "unsubscribed", "active"]),
    subscription_arn: z.string().nullable(),
    token_version: z.number().int().nullable().openapi({ description: "WebSocket only: increments on every token rotation." }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Source");
export const SourceCreated = SourceSchema.extend({
  token: z.string().optional().openapi({ description: "WebSocket only: shown at creation and rotation, stored only hashed." }),
}).openapi("SourceCreated");

// --- Notification channels ---------------------------------------------------------------------------
export const ChannelCreate = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("email"), to: z.array(z.string().email()).min(1).max(50), owner_id: OwnerId.optional() }).strict(),
    z.object({ type: z.literal("slack"), webhook_url: z.string().url().max(2000), owner_id: OwnerId.optional() }).strict(),
  ])
  .openapi("NotificationChannelCreate");
