// Which queue a dead letter came from. The dead-letter queue carries only the body, so the body's `kind`
// (events: "event" | "events" | "fanout"; retries: "retry") tells where a redrive must send it.
import { QUEUE_NAMES } from "../queues";

export type OriginQueue = (typeof QUEUE_NAMES)["events"] | (typeof QUEUE_NAMES)["retries"] | "unknown";

export function originQueueOf(body: unknown): OriginQueue {
  const kind = typeof body === "object" && body !== null ? (body as { kind?: unknown }).kind : undefined;
  if (kind === "event" || kind === "events" || kind === "fanout") return QUEUE_NAMES.events;
  if (kind === "retry") return QUEUE_NAMES.retries;
  return "unknown";
}
