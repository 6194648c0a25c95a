// Helpers for declaring routes with @hono/zod-openapi: one app factory with the validation hook, and
// the shared problem+json responses every route documents.
import { OpenAPIHono } from "@hono/zod-openapi";
import { ProblemSchema } from "../domain/schemas";
import type { AppEnv } from "../env";
import { validationError } from "./errors";

/** A router whose zod validation failures become 422 validation_failed problems. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });
}

/** A documented problem+json response (for routes that answer other statuses than errorResponses). */
export const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

export const errorResponses = {
  400: problem("Malformed JSON or cursor"),
  401: problem("Missing or invalid API key"),
  403: problem("The key may not act for this owner"),
  404: problem("Unknown id"),
  413: problem("Body too large"),
  422: problem("Schema validation failed"),
} as const;

export const jsonBody = <T>(schema: T, description = "JSON body") => ({
  required: true,
  description,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const security = [{ bearerAuth: [] }];
