// What one attempt's result means for the delivery and for the endpoint (success, plain failure, pause, disable).

/** The raw result of one attempt, as dispatch.ts records it. */
export interface AttemptResult {
  startedAt: number;
  durationMs: number;
  /** null when no response came (timeout before headers, network error). */
  statusCode: number | null;
  /** "timeout", "network: …", "redirect", or null for a plain HTTP status. */
  error: string | null;
  /** First 4 KiB of the response body, or null. */
  responseBody: string | null;
  /** The raw Retry-After header of the response, if any. */
  retryAfter: string | null;
}

export type AttemptKind = "success" | "redirect" | "gone" | "throttled" | "http_error" | "timeout" | "network";

export interface Classification {
  kind: AttemptKind;
  success: boolean;
  /** 410 Gone: the endpoint is disabled at once and this delivery ends failed. */
  disableEndpoint: boolean;
  /** 429/503 with a usable Retry-After: pause the whole endpoint for this many seconds. */
  pauseSeconds: number | null;
}

export function classifyAttempt(result: AttemptResult, retryAfterSeconds: number | null): Classification {
  const base = { success: false, disableEndpoint: false, pauseSeconds: null };
  // A timeout that happened mid-body still carries the status code; it is a timeout, not a success.
  if (result.error === "timeout") return { ...base, kind: "timeout" };
  if (result.error?.startsWith("network")) return { ...base, kind: "network" };
  const status = result.statusCode;
  if (status === null) return { ...base, kind: "network" };
  if (status >= 200 && status < 300) return { ...base, kind: "success", success: true };
  // Redirects are never followed: the endpoint must be configured with its final URL.
  if (status >= 300 && status < 400) return { ...base, kind: "redirect" };
  if (status === 410) return { ...base, kind: "gone", disableEndpoint: true };
  if ((status === 429 || status === 503) && retryAfterSeconds !== null) {
    return { ...base, kind: "throttled", pauseSeconds: retryAfterSeconds };
  }
  return { ...base, kind: "http_error" };
}
