// /v1/notification-channels — not built yet; see the issue that owns it.
import { createRouter } from "../openapi";

export const notificationChannelsRoutes = createRouter();
