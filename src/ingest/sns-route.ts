// POST /ingest/sns/:source_id — an SNS HTTPS subscription's endpoint. Every message is verified before
// anything happens; confirmations are fetched, unsubscriptions recorded, notifications go through accept().
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { getDb } from "../db/client";
import { getSource, type SourceRow } from "../db/repos/sources";
import { AppError } from "../http/errors";
import { readBoundedText } from "../http/bounded-read";
import { limitBody } from "../http/middleware/body-limit";
import { accept } from "./accept";
import {
  checkMessageAge,
  checkSnsMessage,
  checkSourceAccepts,
  notificationEventType,
  notificationPayload,
  parseConfirmSubscriptionArn,
  SnsVerificationError,
  verifySnsSignature,
  type SnsMessage,
} from "./sns";
import { recordConfirmed, recordUnsubscribed } from "./sns-store";

// SNS messages are at most 256 KiB; JSON escaping inside the envelope can double that.
const SNS_BODY_LIMIT = 1024 * 1024;
const CONFIRM_TIMEOUT_MS = 10_000;
/** A ConfirmSubscriptionResponse is well under 1 KiB; the ARN is near its start. */
const CONFIRM_READ_LIMIT = 16 * 1024;

export const snsRoutes = new Hono<AppEnv>();

function log(level: "info" | "warn", fields: Record<string, unknown>) {
  const line = JSON.stringify({ level, component: "sns-ingest", ...fields });
  if (level === "warn") console.warn(line);
  else console.log(line);
}

snsRoutes.post("/:source_id", limitBody(SNS_BODY_LIMIT), async (c) => {
  const sourceId = c.req.param("source_id");
  const requestId = c.get("requestId");
  const db = getDb(c.env.DB);

  const source = sourceId.length <= 100 ? await getSource(db, sourceId) : undefined;
  if (!source || source.type !== "sns") throw new AppError("not_found", `No SNS source ${sourceId}.`);

  // SNS posts JSON as text/plain, so the body is read as text whatever the content type says.
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new AppError("invalid_json", "The request body is not valid JSON.");
  }

  let msg: SnsMessage;
  try {
    msg = checkSnsMessage(raw, { testPrefix: c.get("config").snsTestCertUrlPrefix });
    // Topic, source state and age are checked before the certificate is fetched: a message refused for
    // them costs us no request. They read signed fields, so a forged value can only get a message refused.
    checkSourceAccepts(msg, source);
    checkMessageAge(msg, Date.now());
    await verifySnsSignature(msg);
  } catch (err) {
    if (!(err instanceof SnsVerificationError)) throw err;
    const m = raw as Record<string, unknown> | null;
    log("warn", {
      msg: "sns message refused",
      request_id: requestId,
      source_id: source.id,
      reason: err.reason,
      source_status: source.status,
      type: typeof m?.Type === "string" ? m.Type : undefined,
      message_id: typeof m?.MessageId === "string" ? m.MessageId : undefined,
      topic_arn: typeof m?.TopicArn === "string" ? m.TopicArn : undefined,
      timestamp: typeof m?.Timestamp === "string" ? m.Timestamp.slice(0, 40) : undefined,
    });
    throw new AppError(err.code, `The SNS message was refused: ${err.reason}.`);
  }

  const context = { request_id: requestId, source_id: source.id, message_id: msg.MessageId, topic_arn: msg.TopicArn };
  switch (msg.Type) {
    case "SubscriptionConfirmation":
      return c.json(await confirmSubscription(db, source, msg, context));
    case "UnsubscribeConfirmation":
      // A late redelivery of an unsubscription that a newer confirmation superseded changes nothing.
      if (source.status === "confirmed" && Date.parse(msg.Timestamp) <= source.updatedAt) {
        log("info", { msg: "sns unsubscription older than the current subscription ignored", ...context });
        return c.json({ ok: true, type: msg.Type, status: source.status });
      }
      await recordUnsubscribed(db, source.id, Date.now());
      log("info", { msg: "sns subscription ended", ...context });
      return c.json({ ok: true, type: msg.Type, status: "unsubscribed" });
    case "Notification": {
      const eventType = notificationEventType(msg, source);
      if (!eventType) {
        log("warn", { msg: "sns notification has no event type", ...context });
        throw new AppError("validation_failed", "The notification has no event type.", [
          {
            path: "event_type",
            message: "no valid event type in the source's event_type_attribute, the Subject, or the source's event_type",
          },
        ]);
      }
      const result = await accept(c.env, {
        events: [{ payload: notificationPayload(msg.Message), owner_id: source.ownerId, event_type: eventType }],
        batch: false,
        ownerScope: source.ownerId,
        // Scoped to the source: two sources subscribed to one topic see the same MessageId and must
        // each get their event, while SNS's redeliveries to one source deliver once.
        idempotencyKey: `sns:${source.id}:${msg.MessageId}`,
        sourceId: source.id,
      });
      return c.json({ ok: true, type: msg.Type, id: result.ids[0], replayed: result.replayed });
    }
  }
});

async function confirmSubscription(
  db: ReturnType<typeof getDb>,
  source: SourceRow,
  msg: SnsMessage,
  context: Record<string, string>,
) {
  // A redelivered confirmation carries its original Timestamp, older than our confirmation of it; a new
  // subscription request (after an unsubscribe, or a re-sent confirmation) is newer and is fetched.
  const sentAt = Date.parse(msg.Timestamp);
  if (source.status === "confirmed" && source.topicArn === msg.TopicArn && sentAt <= source.updatedAt) {
    log("info", { msg: "sns confirmation already handled", ...context });
    return { ok: true, type: msg.Type, status: "confirmed", subscription_arn: source.subscriptionArn };
  }
  let res: Response;
  let body: string;
  try {
    // checkSnsMessage already limited SubscribeURL to SNS hosts; redirects could leave them, so none are followed.
    const signal = AbortSignal.timeout(CONFIRM_TIMEOUT_MS);
    res = await fetch(msg.SubscribeURL!, { redirect: "manual", signal });
    body = (await readBoundedText(res, { limit: CONFIRM_READ_LIMIT, signal })).text;
  } catch (err) {
    log("warn", { msg: "sns confirmation fetch failed", error: String(err), ...context });
    throw new AppError("unavailable", "Could not reach SNS to confirm the subscription; SNS will retry.");
  }
  if (!res.ok) {
    log("warn", { msg: "sns confirmation refused", status: res.status, ...context });
    throw new AppError("unavailable", `SNS answered ${res.status} to the confirmation; SNS will retry.`);
  }
  const subscriptionArn = parseConfirmSubscriptionArn(body);
  if (!subscriptionArn) log("warn", { msg: "sns confirmation response had no SubscriptionArn", ...context });
  const pinned = await recordConfirmed(db, source.id, msg.TopicArn, subscriptionArn, Date.now());
  if (!pinned) {
    log("warn", { msg: "sns source was pinned to another topic meanwhile", ...context });
    throw new AppError("conflict", "The source was pinned to another topic while this confirmation ran.");
  }
  log("info", { msg: "sns subscription confirmed", subscription_arn: subscriptionArn, ...context });
  return { ok: true, type: msg.Type, status: "confirmed", subscription_arn: subscriptionArn };
}
