// /v1/dead-letters — not built yet; see the issue that owns it.
import { createRouter } from "../openapi";

export const deadLettersRoutes = createRouter();
