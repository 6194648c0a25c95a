// The endpoint form's state (strings, as inputs hold them) and its translation to API bodies.
// Numbers are sent as typed; the server validates them and its errors[] name the wrong fields.
import type { Endpoint, EndpointAuth, RetryPolicy } from "../api/types";

export type AuthChoice = "keep" | "none" | "basic" | "bearer" | "header";

export interface EndpointFormState {
  /** Editing a relay endpoint (`hookrelay listen`): it has no URL, so none is shown or sent. */
  relay?: boolean;
  url: string;
  owner_id: string;
  description: string;
  timeout_ms: string;
  rate_limited: boolean;
  rate_requests: string;
  rate_per_seconds: string;
  auth: AuthChoice;
  auth_username: string;
  auth_password: string;
  auth_token: string;
  auth_header_name: string;
  auth_header_value: string;
  retry_strategy: "exponential" | "constant";
  max_attempts: string;
  base_delay_s: string;
  multiplier: string;
  max_delay_s: string;
  delay_s: string;
  jitter: boolean;
}

/** The documented defaults (API.md), so a new endpoint starts where the server would. */
export function emptyEndpointForm(ownerId: string): EndpointFormState {
  return {
    url: "",
    owner_id: ownerId,
    description: "",
    timeout_ms: "10000",
    rate_limited: false,
    rate_requests: "10",
    rate_per_seconds: "1",
    auth: "none",
    auth_username: "",
    auth_password: "",
    auth_token: "",
    auth_header_name: "",
    auth_header_value: "",
    retry_strategy: "exponential",
    max_attempts: "8",
    base_delay_s: "5",
    multiplier: "6",
    max_delay_s: "36000",
    delay_s: "60",
    jitter: true,
  };
}

export function endpointFormFrom(e: Endpoint): EndpointFormState {
  const base = emptyEndpointForm(e.owner_id);
  const r = e.retry;
  return {
    ...base,
    relay: e.kind === "relay",
    url: e.url ?? "",
    description: e.description ?? "",
    timeout_ms: String(e.timeout_ms),
    rate_limited: e.rate_limit !== null,
    rate_requests: String(e.rate_limit?.requests ?? base.rate_requests),
    rate_per_seconds: String(e.rate_limit?.per_seconds ?? base.rate_per_seconds),
    // The API masks auth secrets, so editing keeps the stored auth unless the user picks a new one.
    auth: e.auth ? "keep" : "none",
    retry_strategy: r.strategy,
    max_attempts: String(r.max_attempts),
    base_delay_s: r.strategy === "exponential" ? String(r.base_delay_s) : base.base_delay_s,
    multiplier: r.strategy === "exponential" ? String(r.multiplier) : base.multiplier,
    max_delay_s: r.strategy === "exponential" ? String(r.max_delay_s) : base.max_delay_s,
    delay_s: r.strategy === "constant" ? String(r.delay_s) : base.delay_s,
    jitter: r.jitter,
  };
}

function num(value: string): number {
  return value.trim() === "" ? NaN : Number(value);
}

function authBody(s: EndpointFormState): EndpointAuth | null | undefined {
  switch (s.auth) {
    case "keep":
      return undefined;
    case "none":
      return null;
    case "basic":
      return { type: "basic", username: s.auth_username, password: s.auth_password };
    case "bearer":
      return { type: "bearer", token: s.auth_token };
    case "header":
      return { type: "header", name: s.auth_header_name, value: s.auth_header_value };
  }
}

function retryBody(s: EndpointFormState): RetryPolicy {
  return s.retry_strategy === "exponential"
    ? {
        strategy: "exponential",
        max_attempts: num(s.max_attempts),
        base_delay_s: num(s.base_delay_s),
        multiplier: num(s.multiplier),
        max_delay_s: num(s.max_delay_s),
        jitter: s.jitter,
      }
    : { strategy: "constant", max_attempts: num(s.max_attempts), delay_s: num(s.delay_s), jitter: s.jitter };
}

/** Body for PATCH /v1/endpoints/{id}: everything editable; auth only when the user changed it. */
export function endpointPatchBody(s: EndpointFormState): Record<string, unknown> {
  const body: Record<string, unknown> = {
    url: s.url.trim(),
    description: s.description,
    timeout_ms: num(s.timeout_ms),
    rate_limit: s.rate_limited ? { requests: num(s.rate_requests), per_seconds: num(s.rate_per_seconds) } : null,
    retry: retryBody(s),
  };
  const auth = authBody(s);
  if (auth !== undefined) body.auth = auth;
  if (s.relay) delete body.url;
  return body;
}

/** Body for POST /v1/endpoints. */
export function endpointCreateBody(s: EndpointFormState): Record<string, unknown> {
  const body: Record<string, unknown> = { ...endpointPatchBody(s), owner_id: s.owner_id.trim() };
  if (!s.description) delete body.description;
  return body;
}
