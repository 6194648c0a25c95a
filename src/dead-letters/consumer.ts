// The dead-letter queue's consumer: records every message a consumer gave up on in D1 (visible through
// /v1/dead-letters, redrivable), tagged with the queue it came from, then acks it.
import { getDb } from "../db/client";
import { insertDeadLetters, type DeadLetterRow } from "../db/repos/dead-letters";
import { derivedId, newId } from "../domain/ids";
import type { Env } from "../env";
import { originQueueOf } from "./origin";

/**
 * A dead letter's id, derived from the queue message (its id and send time), so the same message delivered
 * twice to this consumer is recorded once. It sorts by when the message was first sent.
 */
export async function deadLetterId(message: { id: string; timestamp: Date }): Promise<string> {
  // derivedId takes its time part from the parent id: "dlq_" + 10 time characters, no random part.
  const timeOnly = newId("dlq", message.timestamp.getTime()).slice(0, "dlq_".length + 10);
  return derivedId("dlq", timeOnly, message.id);
}

export async function handleDeadLetterBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const now = Date.now();
  const rows: DeadLetterRow[] = await Promise.all(
    batch.messages.map(async (message) => ({
      id: await deadLetterId(message),
      queue: originQueueOf(message.body),
      // The body as it was, so a redrive re-sends exactly what failed.
      body: JSON.stringify(message.body ?? null),
      createdAt: now,
      redrivenAt: null,
    })),
  );
  // A failed insert throws: the platform redelivers the whole batch, and nothing is acked unrecorded.
  await insertDeadLetters(getDb(env.DB), rows);
  batch.ackAll();
}
