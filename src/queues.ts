// Routes a queue batch to its consumer by queue name (names as in wrangler.toml).
import type { Env } from "./env";
import { instrumentBatch } from "./observability/counters";
import { handleEventsBatch } from "./fanout/consumer";
import { handleDeadLetterBatch } from "./dead-letters/consumer";

export const QUEUE_NAMES = {
  events: "hookrelay-events",
  /**
   * No longer written: retries wait in their EndpointDO until due (2026-12). Kept bound so a dead letter from
   * it can still be redriven, and anything arriving on it lands in the dead-letter queue, visible.
   */
  retries: "hookrelay-retries",
  deadLetters: "hookrelay-dead-letters",
} as const;

export async function handleQueueBatch(rawBatch: MessageBatch, env: Env, _ctx: ExecutionContext): Promise<void> {
  const batch = instrumentBatch(rawBatch);
  switch (batch.queue) {
    case QUEUE_NAMES.events:
      return handleEventsBatch(batch, env);
    case QUEUE_NAMES.deadLetters:
      return handleDeadLetterBatch(batch, env);
    default:
      // Unknown queues are retried rather than acked, so a misconfiguration never drops messages.
      console.error(JSON.stringify({ level: "error", msg: "no consumer for queue", queue: batch.queue }));
      batch.retryAll();
  }
}
