// Hands deliveries to their EndpointDOs: one enqueue RPC per endpoint, a bounded number at a time.
import type { DeliveryWork } from "../delivery/contracts";
import { endpointStub } from "../delivery/endpoint-client";
import type { Env } from "../env";

/** Concurrent RPCs per invocation: enough to overlap latency, few enough to stay polite to the runtime. */
export const HANDOFF_CONCURRENCY = 8;

/** Runs `task` over `items` with at most `limit` in flight; never rejects, reports each item's outcome. */
export async function forEachBounded<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<Map<T, unknown>> {
  const failures = new Map<T, unknown>();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (err) {
        failures.set(item, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return failures;
}

/** Enqueues each endpoint's work; returns the endpoints whose RPC failed (their messages must be retried). */
export async function handOver(env: Env, workByEndpoint: Map<string, DeliveryWork[]>): Promise<Set<string>> {
  const failures = await forEachBounded([...workByEndpoint.keys()], HANDOFF_CONCURRENCY, async (endpointId) => {
    // enqueue is idempotent by delivery_id (contracts.ts), so re-running a batch re-hands nothing twice.
    await endpointStub(env, endpointId).enqueue(workByEndpoint.get(endpointId)!);
  });
  for (const [endpointId, err] of failures) {
    console.error(JSON.stringify({ level: "error", msg: "endpoint enqueue failed", endpoint_id: endpointId, error: String(err) }));
  }
  return new Set(failures.keys());
}
