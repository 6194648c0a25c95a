// /v1/sources — not built yet; see the issue that owns it.
import { createRouter } from "../openapi";

export const sourcesRoutes = createRouter();
