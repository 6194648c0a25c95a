// The retries queue consumer: a RetryQueueMessage comes back after its delay; if it is due, the delivery
// (with its payload from D1) goes back to its EndpointDO, otherwise it takes another hop on the queue.
import { getDb } from "../db/client";
import { loadDeliveryWork } from "../db/repos/deliveries";
import type { Env } from "../env";
import { retryQueueDelaySeconds, RETRY_BATCH_WAIT_MS, type DeliveryWork, type RetryQueueMessage } from "./contracts";
import { enqueueWork } from "./endpoint-client";

/**
 * Within this much of due_at a message goes to its EndpointDO now (which holds it until due_at) rather than
 * taking another hop: a hop could not be shorter than the batch wait.
 */
const DUE_SLACK_MS = 2 * RETRY_BATCH_WAIT_MS;

export type RetryPlan = { action: "deliver" } | { action: "wait"; delaySeconds: number };

/** Pure: what to do with a retry message at `nowMs`. Waits longer than one queue delay take several hops. */
export function planRetry(msg: RetryQueueMessage, nowMs: number): RetryPlan {
  const remainingMs = msg.due_at - nowMs;
  if (remainingMs <= DUE_SLACK_MS) return { action: "deliver" };
  return { action: "wait", delaySeconds: retryQueueDelaySeconds(msg.due_at, nowMs) };
}

export function isRetryMessage(body: unknown): body is RetryQueueMessage {
  const b = body as Partial<RetryQueueMessage> | null;
  return (
    !!b &&
    b.kind === "retry" &&
    typeof b.delivery_id === "string" &&
    typeof b.endpoint_id === "string" &&
    typeof b.due_at === "number" &&
    Number.isFinite(b.due_at)
  );
}

/** Deliveries in these states are not waiting for a retry: a duplicate or late message is dropped. */
const NOT_WAITING = new Set(["succeeded", "failed", "held"]);

export async function handleRetryBatch(batch: MessageBatch<unknown>, env: Env, now: () => number = Date.now): Promise<void> {
  const due: Message<unknown>[] = [];
  for (const message of batch.messages) {
    const body = message.body;
    if (!isRetryMessage(body)) {
      // Not ours to interpret: retried until it lands in the dead-letter queue, where it is visible.
      console.error(JSON.stringify({ level: "error", msg: "malformed retry message", body }));
      message.retry();
      continue;
    }
    const plan = planRetry(body, now());
    if (plan.action === "wait") {
      try {
        await env.RETRIES_QUEUE.send(body, { delaySeconds: plan.delaySeconds });
        message.ack();
      } catch {
        message.retry();
      }
      continue;
    }
    due.push(message);
  }
  if (due.length === 0) return;

  const bodies = due.map((m) => m.body as RetryQueueMessage);
  let loaded: Awaited<ReturnType<typeof loadDeliveryWork>>;
  try {
    loaded = await loadDeliveryWork(getDb(env.DB), [...new Set(bodies.map((b) => b.delivery_id))]);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "retry batch: D1 read failed", error: String(err) }));
    for (const m of due) m.retry();
    return;
  }

  // One RPC per endpoint; each message is acked only after its endpoint's object took the work.
  const byEndpoint = new Map<string, { work: DeliveryWork[]; messages: Message<unknown>[] }>();
  for (const message of due) {
    const body = message.body as RetryQueueMessage;
    const entry = loaded.get(body.delivery_id);
    if (!entry || NOT_WAITING.has(entry.status)) {
      message.ack(); // pruned, or already finished: nothing to retry.
      continue;
    }
    // The message knows how many attempts were made even if the DO's D1 writes have not landed yet.
    const work: DeliveryWork = { ...entry.work, attempts: Math.max(entry.work.attempts, body.attempts ?? 0), due_at: body.due_at };
    if (body.attempts !== undefined && body.attempts > entry.work.attempts) {
      work.attempts_in_run = entry.work.attempts_in_run + (body.attempts - entry.work.attempts);
    }
    const group = byEndpoint.get(work.endpoint_id) ?? { work: [], messages: [] };
    group.work.push(work);
    group.messages.push(message);
    byEndpoint.set(work.endpoint_id, group);
  }
  await Promise.all(
    [...byEndpoint].map(async ([endpointId, group]) => {
      try {
        await enqueueWork(env, endpointId, group.work);
        for (const m of group.messages) m.ack();
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "retry batch: enqueue failed", endpoint_id: endpointId, error: String(err) }));
        for (const m of group.messages) m.retry();
      }
    }),
  );
}
