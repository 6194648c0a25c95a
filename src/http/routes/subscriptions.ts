// /v1/subscriptions — not built yet; see the issue that owns it.
import { createRouter } from "../openapi";

export const subscriptionsRoutes = createRouter();
