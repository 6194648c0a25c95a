// /v1/metrics — admin only: this isolate's operation counters (src/observability/counters.ts), which the
// benchmark reads before and after a phase to count billable operations per delivered event.
import { createRoute, z } from "@hono/zod-openapi";
import { requireAdmin } from "../middleware/auth";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi";
import { COUNTER_NAMES, resetCounters, snapshot } from "../../observability/counters";

// Beside the named totals: breakdowns by store, `<total>:<store>` (e.g. `do_sql_rows_written:EndpointDO`).
const Counters = z
  .object(Object.fromEntries(COUNTER_NAMES.map((n) => [n, z.number().int()])) as Record<string, z.ZodNumber>)
  .catchall(z.number().int());
const MetricsSchema = z
  .object({
    since: z.string().openapi({ description: "When the counters started (isolate start or last reset), RFC 3339." }),
    now: z.string(),
    counters: Counters,
  })
  .openapi("Metrics");

export const metricsRoutes = createRouter();

metricsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Metrics"],
    summary: "Operation counters of this isolate (admin only; used by the benchmark)",
    security,
    responses: { 200: jsonResponse(MetricsSchema, "Counters since `since`"), ...errorResponses },
  }),
  (c) => {
    requireAdmin(c.get("principal"));
    return c.json(snapshot(), 200);
  },
);

metricsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/reset",
    tags: ["Metrics"],
    summary: "Reset this isolate's operation counters (admin only)",
    security,
    responses: { 200: jsonResponse(MetricsSchema, "Counters after the reset"), ...errorResponses },
  }),
  (c) => {
    requireAdmin(c.get("principal"));
    resetCounters();
    return c.json(snapshot(), 200);
  },
);
