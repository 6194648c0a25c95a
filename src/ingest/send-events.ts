// Durably queues accepted events: large payloads into D1 first, then sendBatch calls within platform limits.
// Resolves only once every message is on the events queue.
import { getDb } from "../db/client";
import { storeLargePayloads } from "../db/repos/large-payloads";
import type { Env } from "../env";
import { packSendBatches, toOutgoingMessage, type AcceptedEvent } from "./queue-messages";

export async function sendEvents(env: Env, events: AcceptedEvent[], now: number): Promise<void> {
  const messages = events.map(toOutgoingMessage);
  const byReference = events.filter((_, i) => messages[i]!.byReference);
  if (byReference.length > 0) {
    // The only D1 write on the ingest path, and only for payloads a queue message cannot carry.
    await storeLargePayloads(getDb(env.DB), byReference.map((e) => ({ eventId: e.id, payload: e.payloadJson })), now);
  }
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
