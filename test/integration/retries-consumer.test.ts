// The retries consumer called with a real MessageBatch: due messages reach the EndpointDO, early ones take
// another hop, finished or unknown deliveries are acked without an attempt, malformed ones are retried.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deliveries } from "../../src/db/schema";
import { endpointStub } from "../../src/delivery/endpoint-client";
import { handleQueueBatch, QUEUE_NAMES } from "../../src/queues";
import { attemptRows, db, received, receiverUrl, seedDelivery, seedEndpoint, uniqueKey, waitForStatus } from "./delivery-fixtures";

const msg = (id: string, body: unknown) => ({ id, timestamp: new Date(), attempts: 1, body });

describe("retries consumer", () => {
  it("delivers due messages, re-hops early ones, drops finished ones and retries malformed ones", async () => {
    const key = uniqueKey("rq");
    const ep = await seedEndpoint({ url: receiverUrl(key) });
    const due = await seedDelivery(ep);
    const early = await seedDelivery(ep);
    const finished = await seedDelivery(ep);
    await db.update(deliveries).set({ status: "retrying", attempts: 1, attemptsInRun: 1 }).where(eq(deliveries.id, due.delivery_id));
    await db.update(deliveries).set({ status: "retrying", attempts: 1 }).where(eq(deliveries.id, early.delivery_id));
    await db.update(deliveries).set({ status: "succeeded", attempts: 1 }).where(eq(deliveries.id, finished.delivery_id));

    const now = Date.now();
    const batch = createMessageBatch(QUEUE_NAMES.retries, [
      msg("m-due", { kind: "retry", delivery_id: due.delivery_id, endpoint_id: ep.id, due_at: now - 10, attempts: 1 }),
      msg("m-early", { kind: "retry", delivery_id: early.delivery_id, endpoint_id: ep.id, due_at: now + 3_600_000, attempts: 1 }),
      msg("m-finished", { kind: "retry", delivery_id: finished.delivery_id, endpoint_id: ep.id, due_at: now, attempts: 1 }),
      msg("m-unknown", { kind: "retry", delivery_id: "dlv_00000000000000000000000000", endpoint_id: ep.id, due_at: now, attempts: 1 }),
      msg("m-bad", { kind: "retry", delivery_id: 42 }),
    ]);
    const ctx = createExecutionContext();
    await handleQueueBatch(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["m-due", "m-early", "m-finished", "m-unknown"].sort());
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m-bad"]);

    const row = await waitForStatus(due.delivery_id, "succeeded");
    expect(row.attempts).toBe(2);
    const reqs = await received(key);
    expect(reqs.map((r) => [r.headers["hookrelay-delivery-id"], r.headers["hookrelay-attempt"]])).toEqual([[due.delivery_id, "2"]]);
    expect(await attemptRows(finished.delivery_id)).toHaveLength(0);
    expect((await db.select().from(deliveries).where(eq(deliveries.id, early.delivery_id)).get())!.status).toBe("retrying");
    expect((await endpointStub(env, ep.id).inspect()).work).toBe(0);
  });
});
