// Every /v1 route that takes a body takes JSON: a body sent as anything else (curl -d's form encoding,
// text/plain) is refused with 415 before any route reads it, so ingest cannot accept what the
// management routes refuse, and the answer says which header to send.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env";
import { AppError } from "../errors";

const JSON_MEDIA_TYPE = /^application\/(json|[\w.+-]+\+json)$/;

/** The media type without parameters, lower-cased ("application/json; charset=utf-8" → "application/json"). */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

export function isJsonMediaType(header: string | undefined): boolean {
  return JSON_MEDIA_TYPE.test(mediaTypeOf(header));
}

/** Bodiless requests (the action routes: enable, disable, replay…) pass whatever their content-type. */
function hasBody(req: Request): boolean {
  return req.body !== null && req.headers.get("content-length") !== "0";
}

export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  if ((method === "POST" || method === "PUT" || method === "PATCH") && hasBody(c.req.raw)) {
    const header = c.req.header("content-type");
    if (!isJsonMediaType(header)) {
      const got = mediaTypeOf(header) || "no content-type";
      throw new AppError(
        "unsupported_media_type",
        `The body must be JSON sent with the header "content-type: application/json" (got ${got}).`,
      );
    }
  }
  await next();
});
