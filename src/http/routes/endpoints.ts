// /v1/endpoints — not built yet; see the issue that owns it.
import { createRouter } from "../openapi";

export const endpointsRoutes = createRouter();
