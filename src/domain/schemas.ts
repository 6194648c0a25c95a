// Request and response schemas (zod), shared by validation and the generated OpenAPI document.
// `z` comes from @hono/zod-openapi: the same zod, extended with `.openapi()` metadata.
import { z } from "@hono/zod-openapi";

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
export const Metadata = z.record(z.string(), z.unknown());

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

export const EndpointAuth = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("basic"), username: z.string().min(1).max(500), password: z.string().max(1000) }).strict(),
    z.object({ type: z.literal("bearer"), token: z.string().min(1).max(4000) }).strict(),
    z
      .object({
        type: z.literal("header"),
        name: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "a valid HTTP header name"),
        value: z.string().max(4000).regex(/^[^\r\n\0]*$/, "no CR, LF or NUL"),
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

export const EndpointCreate = z
  .object({
    url: z.string().url().max(2000),
    owner_id: OwnerId,
    description: z.string().max(1000).optional(),
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]{22,}={0,2}$/, "whsec_ followed by base64 of at least 16 bytes")
      .optional(),
    timeout_ms: z.number().int().min(1000).max(30_000).default(10_000),
    rate_limit: RateLimit.nullable().default(null),
    max_in_flight: z.number().int().min(1).max(6).default(4),
    auth: EndpointAuth.nullable().optional(),
    retry: RetryPolicy.optional(),
    metadata: Metadata.default({}),
  })
  .strict()
  .openapi("EndpointCreate");

export const EndpointPatch = EndpointCreate.omit({ owner_id: true, secret: true })
  .partial()
  .strict()
  .openapi("EndpointPatch");

export const EndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    owner_id: z.string(),
    description: z.string().nullable(),
    secret: z.string(),
    timeout_ms: z.number().int(),
    rate_limit: RateLimit.nullable(),
    max_in_flight: z.number().int(),
    auth: z.record(z.string(), z.unknown()).nullable(),
    retry: RetryPolicy,
    metadata: Metadata,
    status: z.enum(["active", "disabled"]),
    disabled_reason: z.enum(["manual", "consecutive_failures", "gone_410"]).nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .passthrough()
  .openapi("Endpoint");

// --- Subscriptions -----------------------------------------------------------------------------------
export const SubscriptionCreate = z
  .object({
    endpoint_id: z.string().min(1).max(100),
    event_types: z.array(EventTypePattern).min(1).max(100),
    description: z.string().max(1000).optional(),
  })
  .strict()
  .openapi("SubscriptionCreate");
export const SubscriptionPatch = SubscriptionCreate.omit({ endpoint_id: true }).partial().strict().openapi("SubscriptionPatch");
export const SubscriptionSchema = z
  .object({
    id: z.string(),
    endpoint_id: z.string(),
    owner_id: z.string(),
    event_types: z.array(z.string()),
    description: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Subscription");

// --- Events ------------------------------------------------------------------------------------------
export const EventInput = z
  .object({
    payload: z.unknown().refine((v) => v !== undefined, "required"),
    owner_id: OwnerId,
    event_type: EventType,
  })
  .strict()
  .openapi("EventInput");
export type EventInput = z.infer<typeof EventInput>;
export const EventBatchInput = z.object({ events: z.array(z.unknown()).min(1).max(100) }).strict().openapi("EventBatch");

// --- Sources -----------------------------------------------------------------------------------------
export const SourceCreate = z
  .object({
    type: z.enum(["sns", "websocket"]),
    name: z.string().min(1).max(200),
    owner_id: OwnerId,
    event_type: EventType.optional(),
    event_type_attribute: z.string().min(1).max(256).optional(),
    topic_arn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/).optional(),
  })
  .strict()
  .openapi("SourceCreate");
export const SourcePatch = SourceCreate.omit({ type: true, owner_id: true }).partial().strict().openapi("SourcePatch");

// --- Notification channels ---------------------------------------------------------------------------
export const ChannelCreate = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("email"), to: z.array(z.string().email()).min(1).max(50), owner_id: OwnerId.optional() }).strict(),
    z.object({ type: z.literal("slack"), webhook_url: z.string().url().max(2000), owner_id: OwnerId.optional() }).strict(),
  ])
  .openapi("NotificationChannelCreate");
