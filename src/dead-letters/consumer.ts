// The dead-letter queue's consumer: records every message a consumer gave up on in D1 (visible through
// /v1/dead-letters, redrivable), tagged with the queue it came from, then acks it.
import { getDb } from "../db/client";
import { insertDeadLetters, type DeadLetterRow } from "../db/repos/dead-letters";
import { newId } from "../domain/ids";
import type { Env } from "../env";
import { originQueueOf } from "./origin";

export async function handleDeadLetterBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const now = Date.now();
  const rows: DeadLetterRow[] = batch.messages.map((message) => ({
    id: newId("dlq", now),
    queue: originQueueOf(message.body),
    // The body as it was, so a redrive re-sends exactly what failed.
    body: JSON.stringify(message.body ?? null),
    createdAt: now,
    redrivenAt: null,
  }));
  // A failed insert throws: the platform redelivers the whole batch, and nothing is acked unrecorded.
  await insertDeadLetters(getDb(env.DB), rows);
  batch.ackAll();
}
