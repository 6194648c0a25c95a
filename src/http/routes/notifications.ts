// /v1/notifications — not built yet; see the issue that owns it.
import { createRouter } from "../openapi";

export const notificationsRoutes = createRouter();
