// /v1/dead-letters — admin only: messages a queue consumer gave up on, listed newest first and redrivable
// to the queue they came from. (An API extension; see the delivery core issue.)
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { getDeadLetter, listDeadLetters, markRedriven, type DeadLetterRow } from "../../db/repos/dead-letters";
import { redriveTargetOf } from "../../dead-letters/redrive";
import { isIdOf } from "../../domain/ids";
import { ListQuery, listOf, ProblemSchema, Timestamp } from "../../domain/schemas";
import { toIso } from "../../domain/time";
import { AppError } from "../errors";
import { requireAdmin } from "../middleware/auth";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";

const QueueName = z.enum(["hookrelay-events", "hookrelay-retries", "unknown"]);

const DeadLetterSchema = z
  .object({
    id: z.string(),
    queue: QueueName,
    body: z.unknown(),
    created_at: Timestamp,
    redriven_at: Timestamp.nullable(),
  })
  .openapi("DeadLetter");

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function present(row: DeadLetterRow) {
  return {
    id: row.id,
    queue: row.queue as z.infer<typeof QueueName>,
    body: parseBody(row.body),
    created_at: toIso(row.createdAt),
    redriven_at: toIso(row.redrivenAt),
  };
}

export const deadLettersRoutes = createRouter();

deadLettersRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Dead letters"],
    summary: "List dead-lettered queue messages (admin)",
    security,
    request: { query: ListQuery.extend({ queue: QueueName.optional() }) },
    responses: { 200: jsonResponse(listOf(DeadLetterSchema), "A page of dead letters"), ...errorResponses },
  }),
  async (c) => {
    requireAdmin(c.get("principal"));
    const query = c.req.valid("query");
    const limit = query.limit ?? 50;
    const rows = await listDeadLetters(getDb(c.env.DB), { queue: query.queue, beforeId: decodeCursor(query.cursor), limit: limit + 1 });
    return c.json(page(rows, limit, present), 200);
  },
);

deadLettersRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{id}/redrive",
    tags: ["Dead letters"],
    summary: "Send a dead letter back to the queue it came from (admin)",
    description: "Consumers are idempotent, so redriving a message twice delivers nothing twice.",
    security,
    request: { params: IdParam },
    responses: {
      202: jsonResponse(DeadLetterSchema, "Re-sent; redriven_at is set"),
      409: {
        description: "The message's origin queue is unknown",
        content: { "application/problem+json": { schema: ProblemSchema } },
      },
      ...errorResponses,
    },
  }),
  async (c) => {
    requireAdmin(c.get("principal"));
    const { id } = c.req.valid("param");
    const db = getDb(c.env.DB);
    const row = isIdOf("dlq", id) ? await getDeadLetter(db, id) : undefined;
    if (!row) throw new AppError("not_found", "Dead letter not found.");
    const target = redriveTargetOf(c.env, row.queue);
    if (!target) throw new AppError("conflict", "This dead letter's origin queue is unknown; it cannot be redriven.");
    await target.send(JSON.parse(row.body), { contentType: "json" });
    const at = Date.now();
    await markRedriven(db, row.id, at);
    return c.json(present({ ...row, redrivenAt: at }), 202);
  },
);
