// D1 schema (drizzle). Times are epoch milliseconds in *_at INTEGER columns; JSON lives in TEXT columns.
// Secret material (endpoint secrets, endpoint auth, channel targets) is stored encrypted: see domain/crypto.ts.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    ownerId: text("owner_id").notNull(),
    keyHash: text("key_hash").notNull(),
    keyPrefix: text("key_prefix").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [uniqueIndex("api_keys_key_hash").on(t.keyHash), index("api_keys_owner").on(t.ownerId, t.id)],
);

export const endpoints = sqliteTable(
  "endpoints",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    /** "relay": delivered over `hookrelay listen`'s WebSocket, never by HTTP (its url is ''). */
    kind: text("kind", { enum: ["http", "relay"] }).notNull().default("http"),
    /** The target URL; '' for relay endpoints. */
    url: text("url").notNull(),
    description: text("description"),
    /** Encrypted current signing secret (whsec_…). */
    secretEnc: text("secret_enc").notNull(),
    /** Encrypted previous secret, still signing until previous_secret_expires_at (rotation window). */
    previousSecretEnc: text("previous_secret_enc"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    timeoutMs: integer("timeout_ms").notNull(),
    /** JSON {requests, per_seconds} or NULL for unlimited. */
    rateLimit: text("rate_limit"),
    // Always written by the API (DEFAULT_MAX_IN_FLIGHT, domain/schemas.ts). The column default is older and never
    // used; SQLite changes a column default only by rebuilding the table, which is not worth it for that.
    maxInFlight: integer("max_in_flight").notNull().default(4),
    /** Encrypted JSON of the auth config, or NULL. */
    authEnc: text("auth_enc"),
    /** JSON retry policy, defaults filled in. */
    retry: text("retry").notNull(),
    metadata: text("metadata").notNull().default("{}"),
    status: text("status", { enum: ["active", "disabled"] }).notNull(),
    disabledReason: text("disabled_reason"),
    disabledAt: integer("disabled_at"),
    // Failure tracking, written by the EndpointDO (batched with attempts) and read by the cron notifier.
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    /** When the current run of consecutive failures began (NULL while healthy). */
    failingSince: integer("failing_since"),
    /** Increments when a failure episode begins; notifications are sent once per (endpoint, kind, episode). */
    failureEpisode: integer("failure_episode").notNull().default(0),
    lastAttemptAt: integer("last_attempt_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("endpoints_owner").on(t.ownerId, t.id), index("endpoints_status").on(t.status, t.id)],
);

export const subscriptions = sqliteTable(
  "subscriptions",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id").notNull(),
    /** Denormalised from the endpoint so routing and owner filters need no join. */
    ownerId: text("owner_id").notNull(),
    /** JSON array of patterns: exact, `prefix.*` or `*`. */
    eventTypes: text("event_types").notNull(),
    /** JSON filter on the event (API.md "Subscription filters"); NULL = every event of the matched types. */
    filter: text("filter"),
    description: text("description"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("subscriptions_endpoint").on(t.endpointId, t.id), index("subscriptions_owner").on(t.ownerId, t.id)],
);

/** Bumped on every write that changes routing or endpoint delivery config; caches compare against it. */
export const configVersions = sqliteTable("config_versions", {
  ownerId: text("owner_id").primaryKey(),
  version: integer("version").notNull(),
});

export const sources = sqliteTable(
  "sources",
  {
    id: text("id").primaryKey(),
    type: text("type", { enum: ["sns", "websocket"] }).notNull(),
    name: text("name").notNull(),
    ownerId: text("owner_id").notNull(),
    eventType: text("event_type"),
    eventTypeAttribute: text("event_type_attribute"),
    /** SHA-256 of the WebSocket token; NULL for SNS sources. */
    tokenHash: text("token_hash"),
    tokenVersion: integer("token_version").notNull().default(1),
    status: text("status").notNull(),
    topicArn: text("topic_arn"),
    subscriptionArn: text("subscription_arn"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("sources_owner").on(t.ownerId, t.id)],
);

export const notificationChannels = sqliteTable(
  "notification_channels",
  {
    id: text("id").primaryKey(),
    type: text("type", { enum: ["email", "slack"] }).notNull(),
    /** NULL = every owner. */
    ownerId: text("owner_id"),
    /** Encrypted JSON: {to: string[]} for email, {webhook_url} for Slack. */
    configEnc: text("config_enc").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("notification_channels_owner").on(t.ownerId, t.id)],
);

export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    channelId: text("channel_id").notNull(),
    endpointId: text("endpoint_id"),
    ownerId: text("owner_id"),
    kind: text("kind", { enum: ["endpoint.failing", "endpoint.disabled", "test"] }).notNull(),
    /** One notice per (channel, endpoint, kind, episode): the unique index makes the cron idempotent. */
    episode: integer("episode").notNull().default(0),
    status: text("status", { enum: ["pending", "sent", "failed"] }).notNull(),
    error: text("error"),
    tries: integer("tries").notNull().default(0),
    details: text("details").notNull().default("{}"),
    sentAt: integer("sent_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("notifications_once").on(t.channelId, t.endpointId, t.kind, t.episode),
    index("notifications_status").on(t.status, t.id),
    index("notifications_owner").on(t.ownerId, t.id),
  ],
);

/**
 * The directory of history shards (src/history/): one row per LogShard object that holds something — an owner's
 * events or an endpoint's deliveries of one UTC day, split into parts when hot. Event and delivery rows
 * themselves live in those objects, never in D1.
 */
export const historyShards = sqliteTable(
  "history_shards",
  {
    kind: text("kind").notNull(),
    key: text("key").notNull(),
    day: text("day").notNull(),
    part: integer("part").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.key, t.day, t.part] })],
);

/**
 * Owners seen by ingest, with the tag their event ids carry (domain/ids.ts ownerTag): `GET /v1/events/{id}`
 * finds an event's owner, and so its shard, from the id alone. Written once per owner.
 */
export const owners = sqliteTable(
  "owners",
  {
    ownerId: text("owner_id").primaryKey(),
    tag: text("tag").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("owners_tag").on(t.tag)],
);

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    ownerId: text("owner_id"),
    status: text("status", { enum: ["running", "completed", "failed"] }).notNull(),
    total: integer("total").notNull(),
    done: integer("done").notNull().default(0),
    error: text("error"),
    params: text("params").notNull().default("{}"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("jobs_owner").on(t.ownerId, t.id)],
);

/** Messages that exhausted a queue consumer's retries; visible through the API and redrivable. */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    queue: text("queue").notNull(),
    body: text("body").notNull(),
    createdAt: integer("created_at").notNull(),
    redrivenAt: integer("redriven_at"),
  },
  (t) => [index("dead_letters_created").on(t.id)],
);


/** Customer portal links: a dashboard sign-in for one owner until expires_at; only the token's hash is kept. */
export const portalLinks = sqliteTable(
  "portal_links",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    /** Shown in the portal's header instead of the bare owner id, when given. */
    ownerName: text("owner_name"),
    tokenHash: text("token_hash").notNull(),
    readOnly: integer("read_only", { mode: "boolean" }).notNull().default(false),
    /** JSON {primary_color?, logo_url?}, validated on creation, or NULL. */
    theme: text("theme"),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("portal_links_token_hash").on(t.tokenHash), index("portal_links_owner").on(t.ownerId, t.id)],
);
