// Where a redriven dead letter goes: the producer binding of the queue it died in.
import type { Env } from "../env";
import { QUEUE_NAMES } from "../queues";

export function redriveTargetOf(env: Env, queue: string): Queue | null {
  if (queue === QUEUE_NAMES.events) return env.EVENTS_QUEUE;
  if (queue === QUEUE_NAMES.retries) return env.RETRIES_QUEUE;
  return null;
}
