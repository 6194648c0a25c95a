// Builds the Hono app: request ids, the problem+json error handler, auth, and one router per resource.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env";
import { loadConfig } from "./config";
import { docsPage } from "./http/docs";
import { AppError, handleError } from "./http/errors";
import { limitBody } from "./http/middleware/body-limit";
import { requestId } from "./http/middleware/request-id";
import { requireAuth } from "./http/middleware/auth";
import { requireJsonBody } from "./http/middleware/json-only";
import { apiKeyRoutes } from "./http/routes/api-keys";
import { endpointsRoutes } from "./http/routes/endpoints";
import { endpointStatsRoutes } from "./http/routes/endpoint-stats";
import { endpointTestRoutes } from "./http/routes/endpoint-test";
import { endpointListenRoutes } from "./http/routes/endpoint-listen";
import { subscriptionsRoutes } from "./http/routes/subscriptions";
import { eventsRoutes } from "./http/routes/events";
import { deliveriesRoutes } from "./http/routes/deliveries";
import { jobsRoutes } from "./http/routes/jobs";
import { batchRetryRoutes } from "./http/routes/batch-retry";
import { sourcesRoutes } from "./http/routes/sources";
import { notificationChannelsRoutes } from "./http/routes/notification-channels";
import { notificationsRoutes } from "./http/routes/notifications";
import { deadLettersRoutes } from "./http/routes/dead-letters";
import { ownersRoutes } from "./http/routes/owners";
import { metricsRoutes } from "./http/routes/metrics";
import { portalLinkRoutes, portalSessionRoutes } from "./http/routes/portal-links";
import { servePortalPage } from "./http/portal-page";
import { ingestRoutes } from "./ingest/routes";
import { documentIngestRoutes } from "./ingest/openapi";

export const VERSION = "0.1.0";

/** Management bodies are small; event ingest sets its own larger limit from MAX_PAYLOAD_BYTES. */
const MANAGEMENT_BODY_LIMIT = 64 * 1024;

export function createApp() {
  const app = new OpenAPIHono<AppEnv>();

  app.use("*", requestId);
  app.use("*", async (c, next) => {
    c.set("config", loadConfig(c.env));
    await next();
  });
  app.onError(handleError);
  app.notFound((c) => {
    throw new AppError("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`);
  });

  app.get("/healthz", (c) => c.json({ ok: true }));
  // The customer portal's page: the dashboard with its own frame-ancestors policy (wrangler.toml run_worker_first).
  app.get("/portal", servePortalPage);
  app.get("/portal/*", servePortalPage);

  app.use("/v1/*", requireAuth);
  app.use("/v1/*", requireJsonBody);
  app.use("/v1/*", async (c, next) => {
    const path = new URL(c.req.url).pathname;
    if (path.startsWith("/v1/events")) return next();
    return limitBody(MANAGEMENT_BODY_LIMIT)(c, next);
  });

  app.route("/v1/api-keys", apiKeyRoutes);
  app.route("/v1/portal-links", portalLinkRoutes);
  app.route("/v1/portal", portalSessionRoutes);
  // Before the endpoints and deliveries routers: /v1/endpoints/{id}/retry-failed and /v1/deliveries/retry.
  app.route("/v1", batchRetryRoutes);
  app.route("/v1/endpoints", endpointStatsRoutes);
  app.route("/v1/endpoints", endpointTestRoutes); // only /{id}/test // only /{id}/stats; everything else falls through to endpointsRoutes
  app.route("/v1/endpoints", endpointListenRoutes); // only /{id}/listen (WebSocket of `hookrelay listen`)
  app.route("/v1/endpoints", endpointsRoutes);
  app.route("/v1/subscriptions", subscriptionsRoutes);
  app.route("/v1/events", eventsRoutes);
  app.route("/v1/deliveries", deliveriesRoutes);
  app.route("/v1/jobs", jobsRoutes);
  app.route("/v1/sources", sourcesRoutes);
  app.route("/v1/notification-channels", notificationChannelsRoutes);
  app.route("/v1/notifications", notificationsRoutes);
  app.route("/v1/dead-letters", deadLettersRoutes);
  app.route("/v1/metrics", metricsRoutes);
  app.route("/v1/owners", ownersRoutes);
  app.route("/ingest", ingestRoutes);
  documentIngestRoutes(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "The admin key (ADMIN_API_KEY), an owner-scoped key (hr_…) from /v1/api-keys, or a portal link's token (hrp_…, portal routes only).",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "HookRelay API",
      version: VERSION,
      description: "Webhook delivery: fanout, Standard Webhooks signing, retries, rate limits, SNS and WebSocket ingest.",
      license: { name: "MIT" },
    },
  });
  app.get("/docs", docsPage);

  return app;
}
