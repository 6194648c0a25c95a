// Durably queues accepted events: large payloads into their history shard first, then the request's events packed
// into as few messages as fit, sent with sendBatch calls within platform limits.
// Resolves only once every message is on the events queue.
import type { Env } from "../env";
import { storeLargePayload } from "../history/event-history";
import type { EventRecord } from "../history/records";
import { packSendBatches, toOutgoingMessages, type AcceptedEvent } from "./queue-messages";

export async function sendEvents(env: Env, events: AcceptedEvent[]): Promise<void> {
  // One message per request where the events fit (packed), so a batch of 100 small events is one message.
  const { messages, byReference } = toOutgoingMessages(events);
  // The only storage write on the ingest path, and only for payloads a queue message cannot carry.
  await Promise.all(byReference.map((e) => storeLargePayload(env, toEventRecord(e))));
  if (messages.length === 1) {
    await env.EVENTS_QUEUE.send(messages[0]!.body, { contentType: "json" });
    return;
  }
  await Promise.all(
    packSendBatches(messages).map((group) =>
      env.EVENTS_QUEUE.sendBatch(group.map((m) => ({ body: m.body, contentType: "json" as const }))),
    ),
  );
}

function toEventRecord(e: AcceptedEvent): EventRecord {
  return {
    id: e.id,
    owner_id: e.ownerId,
    event_type: e.eventType,
    payload: e.payloadJson,
    payload_size: e.payloadBytes,
    source_id: e.sourceId,
    idempotency_key: e.idempotencyKey,
    accepted_at: e.acceptedAt,
    endpoints: null,
    filtered_out: 0,
  };
}
