// Gives every request an id (honouring a sane incoming x-request-id) and echoes it in the response.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env";

const SAFE_ID = /^[A-Za-z0-9._-]{8,100}$/;

export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const id = incoming && SAFE_ID.test(incoming) ? incoming : `req_${crypto.randomUUID().replaceAll("-", "")}`;
  c.set("requestId", id);
  await next();
  c.res.headers.set("x-request-id", id);
});
