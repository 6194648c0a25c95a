// The one error type the client throws for an HTTP answer that is not a success: HookRelay's
// problem+json (RFC 9457) with its stable `code`, field `errors` and `request_id`.
import type { components } from "./schema.js";

export type Problem = components["schemas"]["Problem"];
export type FieldError = NonNullable<Problem["errors"]>[number];

export class HookRelayError extends Error {
  override readonly name = "HookRelayError";
  /** HTTP status of the answer. */
  readonly status: number;
  /** Stable snake_case code (`validation_failed`, `not_found`, …); `http_<status>` when the body was not a problem. */
  readonly code: string;
  /** Field errors of a `validation_failed` answer (empty otherwise). */
  readonly errors: FieldError[];
  /** The server's request id, for support and logs; null when the answer carried none. */
  readonly requestId: string | null;
  readonly title: string;
  readonly detail: string | null;
  /** Seconds the server asked to wait (429/503 `Retry-After`), when it said. */
  readonly retryAfterSeconds: number | null;
  /** The problem body as received. */
  readonly problem: Partial<Problem> | null;

  constructor(status: number, problem: Partial<Problem> | null, requestId: string | null, retryAfterSeconds: number | null = null) {
    const code = typeof problem?.code === "string" ? problem.code : `http_${status}`;
    const detail = typeof problem?.detail === "string" ? problem.detail : null;
    super(`${status} ${code}${detail ? `: ${detail}` : ""}`);
    this.status = status;
    this.code = code;
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
    this.requestId = typeof problem?.request_id === "string" ? problem.request_id : requestId;
    this.title = typeof problem?.title === "string" ? problem.title : `HTTP ${status}`;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
    this.problem = problem;
  }

  /** snake_case view used by `--json` output and logs: the same shape as the server's problem. */
  toJSON() {
    return {
      status: this.status,
      code: this.code,
      title: this.title,
      detail: this.detail,
      errors: this.errors,
      request_id: this.requestId,
    };
  }
}

/** Builds the error from a non-2xx response whose body openapi-fetch already parsed (or failed to). */
export function errorFromResponse(response: Response, body: unknown): HookRelayError {
  const problem = body && typeof body === "object" ? (body as Partial<Problem>) : null;
  const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
  return new HookRelayError(
    response.status,
    problem,
    response.headers.get("x-request-id") ?? response.headers.get("request-id"),
    retryAfter === null ? null : Math.ceil(retryAfter / 1000),
  );
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
