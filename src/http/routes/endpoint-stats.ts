// GET /v1/endpoints/{id}/stats — one endpoint's last 24 h (or a given window): deliveries by status, success
// rate, attempt latency percentiles, and its live delivery state (rate, pause, in flight) from its EndpointDO.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { getEndpoint } from "../../db/repos/endpoints";
import { readDeliveryState, storedRateLimit } from "../../delivery/delivery-state";
import { endpointStats } from "../../delivery/endpoint-stats";
import { isIdOf } from "../../domain/ids";
import { DeliveryStateSchema, Timestamp } from "../../domain/schemas";
import { fromIso, toIso } from "../../domain/time";
import { AppError } from "../errors";
import { assertOwns } from "../middleware/auth";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Longest window asked for: the retention default; older rows are pruned anyway. */
const MAX_WINDOW_MS = 31 * DAY_MS;

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "ep_01jd5m3x7q0000000000000000" }) });
const StatsQuery = z
  .object({
    since: Timestamp.optional().openapi({ description: "Window start (default: 24 h before `until`)." }),
    until: Timestamp.optional().openapi({ description: "Window end (default: now)." }),
  })
  .refine((q) => !q.since || !q.until || Date.parse(q.since) < Date.parse(q.until), { message: "since must be before until", path: ["since"] })
  .refine((q) => !q.since || !q.until || Date.parse(q.until) - Date.parse(q.since) <= MAX_WINDOW_MS, {
    message: "the window may span at most 31 days",
    path: ["since"],
  });

const Counts = z.object({
  pending: z.number().int(),
  retrying: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  held: z.number().int(),
});

export const EndpointStatsSchema = z
  .object({
    endpoint_id: z.string(),
    window: z.object({ since: Timestamp, until: Timestamp }),
    counts: Counts.openapi({ description: "Deliveries created in the window, by their status now." }),
    success_rate: z.number().nullable().openapi({ description: "succeeded / (succeeded + failed) of those deliveries; null when none has finished." }),
    latency_ms: z
      .object({ p50: z.number().int().nullable(), p99: z.number().int().nullable() })
      .openapi({ description: "Nearest-rank percentiles of attempt durations (every attempt started in the window, timeouts included); null without attempts." }),
    attempts: z.object({ total: z.number().int(), succeeded: z.number().int(), failed: z.number().int() }),
    delivery_state: DeliveryStateSchema.optional(),
  })
  .openapi("EndpointStats");

export const endpointStatsRoutes = createRouter();

endpointStatsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}/stats",
    tags: ["Endpoints"],
    summary: "Delivery statistics of an endpoint (last 24 h by default)",
    security,
    request: { params: IdParam, query: StatsQuery },
    responses: { 200: jsonResponse(EndpointStatsSchema, "Counts, success rate, latency and live delivery state"), ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const db = getDb(c.env.DB);
    const row = isIdOf("ep", id) ? await getEndpoint(db, id) : undefined;
    if (!row) throw new AppError("not_found", "Endpoint not found.");
    assertOwns(c.get("principal"), row.ownerId, "Endpoint");

    const until = query.until ? fromIso(query.until) : Date.now();
    const since = query.since ? fromIso(query.since) : until - DAY_MS;
    if (since >= until) {
      throw new AppError("validation_failed", "The window is empty.", [{ path: "since", message: "since must be before until" }]);
    }
    const [stats, deliveryState] = await Promise.all([
      endpointStats(c.env, row.id, since, until),
      readDeliveryState(c.env, row.id, storedRateLimit(row.rateLimit)),
    ]);
    const { counts, latency, attempts } = stats;
    const finished = counts.succeeded + counts.failed;
    return c.json(
      {
        endpoint_id: row.id,
        window: { since: toIso(since), until: toIso(until) },
        counts,
        success_rate: finished === 0 ? null : Math.round((counts.succeeded / finished) * 10_000) / 10_000,
        latency_ms: { p50: latency.p50Ms, p99: latency.p99Ms },
        attempts,
        ...(deliveryState ? { delivery_state: deliveryState } : {}),
      },
      200,
    );
  },
);
