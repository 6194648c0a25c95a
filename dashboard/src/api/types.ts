// Shapes of the /v1 API as documented in shared/API.md. Fields the API may add later are optional here,
// so the dashboard shows them when present and never invents them when absent.

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  code?: string;
  detail?: string;
  request_id?: string;
  errors?: FieldError[];
}

export interface RateLimit {
  requests: number;
  per_seconds: number;
}

export type EndpointAuth =
  | { type: "basic"; username: string; password: string }
  | { type: "bearer"; token: string }
  | { type: "header"; name: string; value: string };

export type RetryPolicy =
  | {
      strategy: "exponential";
      max_attempts: number;
      base_delay_s: number;
      max_delay_s: number;
      multiplier: number;
      jitter: boolean;
    }
  | { strategy: "constant"; max_attempts: number; delay_s: number; jitter: boolean };

export interface Endpoint {
  id: string;
  /** "relay": delivered to a connected `hookrelay listen`; it has no URL. */
  kind?: "http" | "relay";
  /** null for relay endpoints. */
  url: string | null;
  owner_id: string;
  description: string | null;
  secret: string;
  timeout_ms: number;
  rate_limit: RateLimit | null;
  /** Secrets inside are masked by the API; the type tells which kind is configured. */
  auth: ({ type?: string } & Record<string, unknown>) | null;
  retry: RetryPolicy;
  metadata: Record<string, unknown>;
  status: "active" | "disabled";
  disabled_reason: "manual" | "consecutive_failures" | "gone_410" | null;
  created_at: string;
  updated_at: string;
  previous_secret_expires_at?: string | null;
  consecutive_failures?: number;
  failing_since?: string | null;
  last_attempt_at?: string | null;
  last_status_code?: number | null;
  last_error?: string | null;
}

/** GET /v1/endpoints/{id}/stats (src/http/routes/endpoint-stats.ts). */
export interface EndpointStats {
  endpoint_id: string;
  window: { since: string; until: string };
  counts: Record<DeliveryStatus, number>;
  success_rate: number | null;
  latency_ms: { p50: number | null; p99: number | null };
  attempts: { total: number; succeeded: number; failed: number };
  delivery_state?: {
    effective_rate_per_second: number | null;
    configured_rate_per_second: number | null;
    backoff_recovers_at: string | null;
    paused_until: string | null;
    in_flight: number;
    pending: number;
  };
}

export interface Subscription {
  id: string;
  endpoint_id: string;
  owner_id: string;
  event_types: string[];
  /** API.md "Subscription filters"; null = every event of the types. */
  filter?: Record<string, unknown> | null;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export type DeliveryStatus = "pending" | "retrying" | "succeeded" | "failed" | "held";

export interface Attempt {
  id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
}

export interface Delivery {
  id: string;
  event_id: string;
  endpoint_id: string;
  owner_id?: string;
  event_type?: string;
  status: DeliveryStatus;
  /** Attempts made so far: `attempt_count` on /v1/deliveries, `attempts` (a number) inside an event. */
  attempt_count?: number;
  attempts?: number | Attempt[];
  last_duration_ms?: number | null;
  next_attempt_at?: string | null;
  last_status_code?: number | null;
  last_error?: string | null;
  created_at?: string;
  updated_at?: string;
  completed_at?: string | null;
}

export interface DeliveryWithAttempts extends Delivery {
  attempts: Attempt[];
}

export interface EventSummary {
  id: string;
  owner_id: string;
  event_type: string;
  source_id?: string | null;
  accepted_at?: string;
  created_at?: string;
  payload_size?: number;
}

export interface EventDetail extends EventSummary {
  payload: unknown;
  deliveries?: Delivery[];
}

export interface Job {
  id: string;
  kind: string;
  status: "running" | "completed" | "failed";
  total: number;
  done: number;
  error?: string | null;
}

export interface JobStarted {
  job_id: string;
  count: number;
}

export interface Source {
  id: string;
  type: "sns" | "websocket";
  name: string;
  owner_id: string;
  ingest_url: string;
  status: string;
  event_type?: string | null;
  event_type_attribute?: string | null;
  topic_arn?: string | null;
  token?: string;
  created_at?: string;
}

export interface NotificationChannel {
  id: string;
  type: "email" | "slack";
  owner_id: string | null;
  to?: string[];
  webhook_url?: string;
  created_at?: string;
}

export interface NotificationRecord {
  id: string;
  channel_id: string;
  endpoint_id: string | null;
  kind: "endpoint.failing" | "endpoint.disabled" | "test";
  sent_at: string | null;
  status: "pending" | "sent" | "failed";
  error: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  owner_id: string;
  key_prefix: string;
  created_at: string;
  last_used_at: string | null;
}

export interface ApiKeyCreated extends ApiKey {
  /** The full key: returned once, at creation. */
  key: string;
}

/** The queues a dead letter can come from; "unknown" when its body names no HookRelay message kind. */
export type DeadLetterQueue = "hookrelay-events" | "hookrelay-retries" | "unknown";

export interface DeadLetter {
  id: string;
  queue: DeadLetterQueue;
  /** The queue message as it was sent: parsed JSON, or the raw text when it was not JSON. */
  body: unknown;
  /** When the dead-letter consumer recorded it. */
  created_at: string;
  redriven_at: string | null;
}
