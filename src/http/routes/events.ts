// /v1/events — not built yet; see the issue that owns it.
import { createRouter } from "../openapi";

export const eventsRoutes = createRouter();
