// The dead-letter consumer and the admin-only /v1/dead-letters API (list, redrive to the origin queue).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createOwnerKey, expectProblem } from "./helpers";
import { countRows, eventMessage, eventually, runQueue, storedEvent } from "./fanout-helpers";

const runDeadLetters = (bodies: unknown[]) => runQueue("hookrelay-dead-letters", bodies);

describe("dead letters", () => {
  it("records each dead message with its origin queue and acks it", async () => {
    const event = eventMessage("dlq-a", "order.created", { lost: 1 });
    const retry = { kind: "retry", delivery_id: "dlv_x", endpoint_id: "ep_x", due_at: 1, attempts: 1 };
    const result = await runDeadLetters([event, retry, "not an object"]);
    expect(result.ackAll || result.explicitAcks.length === 3).toBe(true);
    expect(result.retryMessages).toEqual([]);

    const list = await call("GET", "/v1/dead-letters?limit=500");
    expect(list.status).toBe(200);
    const mine = list.json.data.filter((d: { body: unknown }) => JSON.stringify(d.body).includes(event.id) || JSON.stringify(d.body).includes("dlv_x") || d.body === "not an object");
    expect(mine.map((d: { queue: string }) => d.queue).sort()).toEqual(["hookrelay-events", "hookrelay-retries", "unknown"]);
    const forEvent = mine.find((d: { queue: string }) => d.queue === "hookrelay-events");
    expect(forEvent.body).toEqual(event);
    expect(forEvent.id).toMatch(/^dlq_/);
    expect(forEvent.redriven_at).toBeNull();
  });

  it("records a message delivered twice to the dead-letter consumer once", async () => {
    const body = { kind: "fanout", event_id: "evt_twice", endpoint_ids: ["ep_twice"] };
    const same = { ids: [`dlq-twice-${crypto.randomUUID()}`], sentAt: new Date(Date.now() - 60_000) };
    await runQueue("hookrelay-dead-letters", [body], undefined, same);
    await runQueue("hookrelay-dead-letters", [body], undefined, same);
    expect(await countRows("SELECT count(*) AS n FROM dead_letters WHERE body LIKE '%evt_twice%'")).toBe(1);
  });

  it("redrives a message to its origin queue, where the real consumer processes it", async () => {
    const event = eventMessage("dlq-redrive", "order.created", { back: true });
    await runDeadLetters([event]);
    const list = await call("GET", "/v1/dead-letters?queue=hookrelay-events&limit=500");
    const dead = list.json.data.find((d: { body: { id?: string } }) => d.body?.id === event.id);
    expect(await storedEvent(event.id, "dlq-redrive")).toBeUndefined();

    const res = await call("POST", `/v1/dead-letters/${dead.id}/redrive`);
    expect(res.status).toBe(202);
    expect(res.json.redriven_at).toEqual(expect.any(String));
    await eventually(() => storedEvent(event.id, "dlq-redrive"));
    const after = await call("GET", "/v1/dead-letters?queue=hookrelay-events&limit=500");
    expect(after.json.data.find((d: { id: string }) => d.id === dead.id).redriven_at).toBe(res.json.redriven_at);
  });

  it("is admin only, 404s unknown ids, refuses to redrive an unknown origin, and paginates", async () => {
    const key = await createOwnerKey("dlq-owner");
    expectProblem(await call("GET", "/v1/dead-letters", { key }), 403, "forbidden");
    expectProblem(await call("POST", "/v1/dead-letters/dlq_00000000000000000000000000/redrive", { key }), 403, "forbidden");
    expectProblem(await call("POST", "/v1/dead-letters/dlq_00000000000000000000000000/redrive"), 404, "not_found");
    expectProblem(await call("POST", "/v1/dead-letters/nope/redrive"), 404, "not_found");

    await runDeadLetters([{ mystery: true }]);
    const unknown = await call("GET", "/v1/dead-letters?queue=unknown&limit=500");
    const mystery = unknown.json.data.find((d: { body: { mystery?: boolean } }) => d.body?.mystery === true);
    expectProblem(await call("POST", `/v1/dead-letters/${mystery.id}/redrive`), 409, "conflict");

    await runDeadLetters([{ kind: "event", page: 1 }, { kind: "event", page: 2 }, { kind: "event", page: 3 }]);
    const first = await call("GET", "/v1/dead-letters?limit=2");
    expect(first.json.data).toHaveLength(2);
    const second = await call("GET", `/v1/dead-letters?limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.data[0].id < first.json.data[1].id).toBe(true);
    expectProblem(await call("GET", "/v1/dead-letters?cursor=bad!"), 400, "invalid_cursor");
    expectProblem(await call("GET", "/v1/dead-letters?queue=other"), 422, "validation_failed");
  });
});
