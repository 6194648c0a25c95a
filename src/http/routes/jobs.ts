// /v1/jobs — not built yet; see the issue that owns it.
import { createRouter } from "../openapi";

export const jobsRoutes = createRouter();
