// @hookrelay/sdk: a typed client for HookRelay's API and a verifier for the webhooks it sends.
export { createHookRelay, type HookRelay, type HookRelayOptions, type SendOptions, type Schemas, type Endpoint, type Subscription, type Delivery, type DeliveryDetail, type EventInput } from "./client.js";
export { HookRelayError, errorFromResponse, parseRetryAfter, type Problem, type FieldError } from "./errors.js";
export { paginate, type Page, type IterateOptions } from "./pagination.js";
export { retryingFetch, nextDelay, backoffDelay, resolveRetryOptions, isRetryableRequest, type RetryOptions } from "./retry.js";
export { verifyWebhook, WebhookVerificationError, type WebhookHeaders } from "./webhooks.js";
export type { paths, components, operations } from "./schema.js";
