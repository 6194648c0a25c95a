// Batch retry: POST /v1/endpoints/{id}/retry-failed and POST /v1/deliveries/retry start a background job
// (202 {job_id, count}) that releases failed/held deliveries through their EndpointDOs (rate limits hold).
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getDb } from "../../db/client";
import { endpointOwner } from "../../db/repos/jobs";
import { retryDeliveries } from "../../delivery/manual-retry";
import { Timestamp, OwnerId } from "../../domain/schemas";
import { fromIso, systemClock } from "../../domain/time";
import type { AppEnv } from "../../env";
import { runRetryJob, startRetryJob, type RetryJobKind } from "../../notify/retry-jobs";
import type { RetrySelection } from "../../db/repos/jobs";
import { AppError } from "../errors";
import { assertOwns, scopedOwner, type Principal } from "../middleware/auth";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi";

const Window = {
  since: Timestamp.optional().openapi({ description: "Events accepted at or after this time" }),
  until: Timestamp.optional().openapi({ description: "Events accepted before this time" }),
};
// zod runs this object refinement even when a field already failed its own check (e.g. `until` is not a
// time): only two readable times are compared; otherwise the field's own error speaks.
const windowOrder = (v: { since?: unknown; until?: unknown }) => {
  if (typeof v.since !== "string" || typeof v.until !== "string") return true;
  const since = Date.parse(v.since);
  const until = Date.parse(v.until);
  return Number.isNaN(since) || Number.isNaN(until) || since < until;
};
const windowIssue = { message: "since must be before until", path: ["until"] };

const RetryFailedBody = z.object(Window).strict().refine(windowOrder, windowIssue).openapi("RetryFailed");
const DeliveriesRetryBody = z
  .object({
    endpoint_id: z.string().min(1).max(100).optional(),
    owner_id: OwnerId.optional(),
    status: z.enum(["failed", "held"]),
    ...Window,
  })
  .strict()
  .refine(windowOrder, windowIssue)
  .openapi("DeliveriesRetry");

const JobStarted = z.object({ job_id: z.string(), count: z.number().int() }).openapi("JobStarted");
const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

async function ownedEndpoint(c: Context<AppEnv>, principal: Principal, endpointId: string): Promise<string> {
  const ownerId = /^ep_[0-9a-z]{26}$/.test(endpointId) ? await endpointOwner(getDb(c.env.DB), endpointId) : undefined;
  if (ownerId === undefined) throw new AppError("not_found", "Endpoint not found.");
  assertOwns(principal, ownerId, "Endpoint");
  return ownerId;
}

async function start(
  c: Context<AppEnv>,
  kind: RetryJobKind,
  ownerId: string | null,
  selection: Omit<RetrySelection, "asOf">,
) {
  const job = await startRetryJob(c.env, { kind, ownerId, selection }, systemClock);
  // The walk starts now, in the background; should this isolate go away, the cron resumes the job.
  if (job.status === "running") c.executionCtx.waitUntil(runRetryJob(c.env, job.id, retryDeliveries, systemClock).catch(logRunFailure(job.id)));
  return c.json({ job_id: job.id, count: job.total }, 202);
}

const logRunFailure = (jobId: string) => (err: unknown) =>
  console.error(JSON.stringify({ level: "error", msg: "batch retry runner failed", job_id: jobId, error: String(err) }));

export const batchRetryRoutes = createRouter();

batchRetryRoutes.openapi(
  createRoute({
    method: "post",
    path: "/endpoints/{id}/retry-failed",
    tags: ["Endpoints"],
    summary: "Retry every failed or held delivery of an endpoint (background job)",
    description: "Window filters apply to the event's accepted time. Progress at GET /v1/jobs/{job_id}.",
    security,
    request: {
      params: IdParam,
      body: { required: false, content: { "application/json": { schema: RetryFailedBody } } },
    },
    responses: { 202: jsonResponse(JobStarted, "The job started; count = deliveries it will retry"), ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof RetryFailedBody>;
    const ownerId = await ownedEndpoint(c, c.get("principal"), id);
    return start(c, "endpoint.retry_failed", ownerId, {
      statuses: ["failed", "held"],
      endpointId: id,
      since: body.since ? fromIso(body.since) : undefined,
      until: body.until ? fromIso(body.until) : undefined,
    });
  },
);

batchRetryRoutes.openapi(
  createRoute({
    method: "post",
    path: "/deliveries/retry",
    tags: ["Deliveries"],
    summary: "Retry failed or held deliveries in bulk (background job)",
    description: "An owner key retries only its owner's deliveries. Progress at GET /v1/jobs/{job_id}.",
    security,
    request: { body: { required: true, content: { "application/json": { schema: DeliveriesRetryBody } } } },
    responses: { 202: jsonResponse(JobStarted, "The job started; count = deliveries it will retry"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const principal = c.get("principal");
    let ownerId = scopedOwner(principal, body.owner_id);
    if (body.endpoint_id) {
      const endpointOwnerId = await ownedEndpoint(c, principal, body.endpoint_id);
      if (ownerId !== undefined && ownerId !== endpointOwnerId) throw new AppError("not_found", "Endpoint not found.");
      ownerId = endpointOwnerId;
    }
    return start(c, "deliveries.retry", ownerId ?? null, {
      statuses: [body.status],
      endpointId: body.endpoint_id,
      ownerId,
      since: body.since ? fromIso(body.since) : undefined,
      until: body.until ? fromIso(body.until) : undefined,
    });
  },
);
