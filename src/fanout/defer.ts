// Keeps one consumer invocation within its fanout budget when packed messages bring many events at once: a
// batch of 100 packed messages can carry thousands of events. A packed message that would push the planned
// deliveries or distinct endpoints past the budget (once something else is planned) goes back to the queue
// whole — re-sent, then acked, so its attempt count stays fresh — instead of becoming one `fanout` slice per
// event (which would cost more queue operations than packing saved). Single-event messages keep the old path.
import type { Env } from "../env";
import { messageBytes, packSendBatches } from "../ingest/queue-messages";
import type { FanoutLimits } from "./plan";

interface Routed {
  message: number;
  targets: { endpointId: string }[];
}

/** The packed messages to defer to a later invocation, in message order, so the kept ones fit the budget. */
export function overBudget(events: Routed[], packed: Set<number>, limits: FanoutLimits): Set<number> {
  const byMessage = new Map<number, Routed[]>();
  for (const e of events) byMessage.set(e.message, [...(byMessage.get(e.message) ?? []), e]);
  const deferred = new Set<number>();
  let deliveries = 0;
  const endpoints = new Set<string>();
  for (const index of [...byMessage.keys()].sort((a, b) => a - b)) {
    const routed = byMessage.get(index)!;
    const adds = routed.reduce((n, e) => n + e.targets.length, 0);
    const newEndpoints = new Set(routed.flatMap((e) => e.targets.map((t) => t.endpointId)).filter((id) => !endpoints.has(id)));
    const over = deliveries + adds > limits.maxDeliveries || endpoints.size + newEndpoints.size > limits.maxEndpoints;
    if (over && packed.has(index) && deliveries > 0) {
      deferred.add(index);
      continue;
    }
    deliveries += adds;
    for (const id of newEndpoints) endpoints.add(id);
  }
  return deferred;
}

/** Re-sends the deferred messages' bodies as they are; returns the indexes whose send failed (to be retried). */
export async function resend(env: Env, bodies: Map<number, unknown>): Promise<Set<number>> {
  const failed = new Set<number>();
  const outgoing = [...bodies].map(([index, body]) => ({ index, body, bytes: messageBytes(body) }));
  await Promise.all(
    packSendBatches(outgoing).map(async (group) => {
      try {
        await env.EVENTS_QUEUE.sendBatch(group.map((m) => ({ body: m.body as never, contentType: "json" as const })));
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "deferred message re-send failed", error: String(err) }));
        for (const m of group) failed.add(m.index);
      }
    }),
  );
  return failed;
}
