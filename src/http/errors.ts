// AppError and the one place that turns errors into RFC 9457 problem+json bodies.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { plainFieldErrors, validationDetail } from "./validation-messages";

const PROBLEMS = {
  invalid_json: { status: 400, title: "Malformed JSON" },
  invalid_cursor: { status: 400, title: "Invalid cursor" },
  bad_request: { status: 400, title: "Bad request" },
  unauthorized: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  invalid_signature: { status: 403, title: "Invalid signature" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  payload_too_large: { status: 413, title: "Payload too large" },
  upgrade_required: { status: 426, title: "Upgrade required" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  validation_failed: { status: 422, title: "Validation failed" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Internal server error" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const;

export type ErrorCode = keyof typeof PROBLEMS;

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? PROBLEMS[code].title);
    this.status = PROBLEMS[code].status;
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  request_id: string;
  errors?: FieldError[];
}

export function problemBody(code: ErrorCode, detail: string, requestId: string, errors?: FieldError[]): Problem {
  const { status, title } = PROBLEMS[code];
  return {
    type: `https://hookrelay.dev/problems/${code.replaceAll("_", "-")}`,
    title,
    status,
    code,
    detail,
    request_id: requestId,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function problemResponse(
  code: ErrorCode,
  detail: string,
  requestId: string,
  errors?: FieldError[],
  headers?: Record<string, string>,
): Response {
  return new Response(JSON.stringify(problemBody(code, detail, requestId, errors)), {
    status: PROBLEMS[code].status,
    headers: { "content-type": "application/problem+json", "x-request-id": requestId, ...headers },
  });
}

/** Field errors in plain words (src/http/validation-messages.ts): the one place zod issues become messages. */
export function zodFieldErrors(error: ZodError, pathPrefix: (string | number)[] = []): FieldError[] {
  return plainFieldErrors(error, pathPrefix);
}

/** A 422 whose detail repeats the first field error, so a one-line client output already says what to fix. */
export function validationFailed(errors: FieldError[]): AppError {
  return new AppError("validation_failed", validationDetail(errors), errors);
}

export function validationError(error: ZodError, pathPrefix: (string | number)[] = []): AppError {
  return validationFailed(zodFieldErrors(error, pathPrefix));
}

/** Hono's onError handler: the only builder of error responses. Never leaks internals in 5xx bodies. */
export function handleError(err: Error, c: Context): Response {
  const requestId = (c.get("requestId") as string | undefined) ?? "unknown";
  if (err instanceof AppError) {
    return problemResponse(err.code, err.message, requestId, err.errors, err.headers);
  }
  if (err instanceof HTTPException) {
    // Hono's JSON validator throws a 400 HTTPException for unparsable bodies.
    if (err.status === 400) return problemResponse("invalid_json", "The request body is not valid JSON.", requestId);
    if (err.status === 413) return problemResponse("payload_too_large", err.message, requestId);
    // @hono/zod-openapi refuses a body whose Content-Type the route does not declare.
    if (err.status === 415) return problemResponse("unsupported_media_type", 'The body must be JSON sent with the header "content-type: application/json".', requestId);
    if (err.status === 401) return problemResponse("unauthorized", err.message, requestId);
  }
  console.error(JSON.stringify({ level: "error", request_id: requestId, error: String(err?.stack ?? err) }));
  return problemResponse("internal_error", "An unexpected error occurred.", requestId);
}
