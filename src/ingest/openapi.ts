// The /ingest/* routes in the OpenAPI document. They are plain Hono handlers (SNS posts JSON as text/plain
// and must be signature-checked before any schema; a WebSocket upgrade has no body), so they are declared
// here for the document rather than through the zod validator.
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { problem } from "../http/openapi";

const SourceIdParam = z.object({ source_id: z.string().openapi({ param: { name: "source_id", in: "path" }, example: "src_…" }) });

const SnsMessage = z
  .object({
    Type: z.enum(["SubscriptionConfirmation", "Notification", "UnsubscribeConfirmation"]),
    MessageId: z.string(),
    TopicArn: z.string(),
    Message: z.string(),
    Timestamp: z.string(),
    SignatureVersion: z.enum(["1", "2"]),
    Signature: z.string(),
    SigningCertURL: z.string(),
    Subject: z.string().optional(),
    SubscribeURL: z.string().optional(),
    Token: z.string().optional(),
    MessageAttributes: z.record(z.string(), z.object({ Type: z.string(), Value: z.string() })).optional(),
  })
  .openapi("SnsMessage", { description: "An SNS HTTPS message, as SNS posts it (content type text/plain)." });

const SnsResult = z
  .object({
    ok: z.literal(true),
    type: SnsMessage.shape.Type,
    id: z.string().optional().openapi({ description: "Notification: the event id" }),
    replayed: z.boolean().optional().openapi({ description: "Notification: SNS redelivered a MessageId already ingested" }),
    status: z.string().optional().openapi({ description: "Confirmation/unsubscription: the source's new status" }),
    subscription_arn: z.string().optional(),
  })
  .openapi("SnsIngestResult");

export function documentIngestRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/ingest/sns/{source_id}",
    tags: ["Ingest"],
    summary: "An SNS HTTPS subscription's endpoint",
    description:
      "Give the source's ingest_url to an SNS HTTPS subscription. Every message's signature is verified (SignatureVersion 1 and 2); " +
      "SubscriptionConfirmation is confirmed, Notification becomes an event (SNS's MessageId is its idempotency key), " +
      "UnsubscribeConfirmation marks the source unsubscribed. No API key: the signature is the authentication.",
    request: { params: SourceIdParam, body: { required: true, content: { "text/plain": { schema: SnsMessage } } } },
    responses: {
      200: { description: "Verified and handled", content: { "application/json": { schema: SnsResult } } },
      400: problem("The body is not JSON"),
      403: problem(
        "invalid_signature: signature, certificate URL or pinned TopicArn refused; forbidden: a message other than a " +
          "SubscriptionConfirmation for a source neither confirmed nor given a topic_arn, or a Timestamp over 1 h old " +
          "(or over 5 min ahead), refused before any fetch. Nothing was ingested",
      ),
      404: problem("No SNS source with this id"),
      409: problem("The source was re-pinned while a confirmation ran"),
      413: problem("Body too large"),
      422: problem("Not an SNS message, or a notification without an event type"),
      503: problem("SNS could not be reached to confirm; SNS retries"),
    },
  });

  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/ingest/ws/{source_id}",
    tags: ["Ingest"],
    summary: "Stream events over a WebSocket",
    description:
      'Upgrades to a WebSocket after checking the source token (Authorization: Bearer, or ?token=). Each text frame is one event or {"events":[…]} ' +
      'with an optional ref; each is answered with {"ref","ok":true,"id"|"ids"} once durably accepted, or {"ref","ok":false,"error":{code,detail}}. ' +
      "Invalid frames are answered and never close the connection.",
    security: [{ bearerAuth: [] }, {}],
    request: {
      params: SourceIdParam,
      query: z.object({ token: z.string().optional().openapi({ description: "The source token, when a header cannot be set" }) }),
    },
    responses: {
      101: { description: "Switching protocols: the socket is open" },
      401: problem("Missing or invalid source token"),
      403: problem("The source is not active"),
      404: problem("No WebSocket source with this id"),
      426: problem("Not a WebSocket upgrade request"),
    },
  });
}
