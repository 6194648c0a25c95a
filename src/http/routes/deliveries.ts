// /v1/deliveries — not built yet; see the issue that owns it.
import { createRouter } from "../openapi";

export const deliveriesRoutes = createRouter();
