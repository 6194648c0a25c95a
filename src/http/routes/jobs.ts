// /v1/jobs — progress of background work (batch retries): running → completed | failed, with total/done.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { getJob, listJobs, type JobRow } from "../../db/repos/jobs";
import { isIdOf } from "../../domain/ids";
import { ListQuery, listOf, OwnerId, Timestamp } from "../../domain/schemas";
import { toIso } from "../../domain/time";
import { AppError } from "../errors";
import { assertOwns, scopedOwner } from "../middleware/auth";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi";
import { decodeCursor, page } from "../pagination";

export const JobSchema = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ example: "endpoint.retry_failed" }),
    status: z.enum(["running", "completed", "failed"]),
    total: z.number().int().openapi({ description: "The count returned when the job started" }),
    done: z.number().int(),
    error: z.string().nullable().optional(),
    owner_id: z.string().nullable(),
    filter: z.object({
      endpoint_id: z.string().nullable(),
      statuses: z.array(z.string()),
      since: Timestamp.nullable(),
      until: Timestamp.nullable(),
    }),
    skipped: z.number().int().optional().openapi({
      description: "Counted at the start but no longer failed/held when reached (retried meanwhile); included in done",
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Job");

export function presentJob(row: JobRow) {
  const params = JSON.parse(row.params) as {
    selection?: { endpointId?: string; statuses?: string[]; since?: number; until?: number };
    skipped?: number;
  };
  const sel = params.selection ?? {};
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    total: row.total,
    done: row.done,
    ...(row.error ? { error: row.error } : {}),
    owner_id: row.ownerId,
    filter: {
      endpoint_id: sel.endpointId ?? null,
      statuses: sel.statuses ?? [],
      since: toIso(sel.since ?? null),
      until: toIso(sel.until ?? null),
    },
    ...(params.skipped ? { skipped: params.skipped } : {}),
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
  };
}

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

export const jobsRoutes = createRouter();

jobsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Jobs"],
    summary: "List background jobs",
    security,
    request: { query: ListQuery.extend({ owner_id: OwnerId.optional() }) },
    responses: { 200: jsonResponse(listOf(JobSchema), "A page of jobs"), ...errorResponses },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const ownerId = scopedOwner(c.get("principal"), query.owner_id);
    const limit = query.limit ?? 50;
    const rows = await listJobs(getDb(c.env.DB), { ownerId, beforeId: decodeCursor(query.cursor), limit: limit + 1 });
    return c.json(page(rows, limit, presentJob), 200);
  },
);

jobsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags: ["Jobs"],
    summary: "Get a job's progress",
    security,
    request: { params: IdParam },
    responses: { 200: jsonResponse(JobSchema, "The job"), ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const row = isIdOf("job", id) ? await getJob(getDb(c.env.DB), id) : undefined;
    if (!row) throw new AppError("not_found", "Job not found.");
    assertOwns(c.get("principal"), row.ownerId, "Job");
    return c.json(presentJob(row), 200);
  },
);
