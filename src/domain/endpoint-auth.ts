// Endpoint auth configs: how the API echoes them (secret parts masked) and the header a delivery sends.
import type { z } from "@hono/zod-openapi";
import type { EndpointAuth } from "./schemas";

export type EndpointAuthConfig = z.infer<typeof EndpointAuth>;

const MASK = "••••";

/** Keeps the last 4 characters of long secrets so an operator can tell which one is configured. */
function maskKeepingTail(secret: string): string {
  return secret.length > 8 ? `${MASK}${secret.slice(-4)}` : MASK;
}

export function maskEndpointAuth(auth: EndpointAuthConfig): EndpointAuthConfig {
  switch (auth.type) {
    case "basic":
      return { type: "basic", username: auth.username, password: MASK };
    case "bearer":
      return { type: "bearer", token: maskKeepingTail(auth.token) };
    case "header":
      return { type: "header", name: auth.name, value: maskKeepingTail(auth.value) };
  }
}

/** The request header an endpoint's auth config adds to every delivery. */
export function authHeader(auth: EndpointAuthConfig): [name: string, value: string] {
  switch (auth.type) {
    case "basic": {
      const bytes = new TextEncoder().encode(`${auth.username}:${auth.password}`);
      let binary = "";
      for (const b of bytes) binary += String.fromCharCode(b);
      return ["authorization", `Basic ${btoa(binary)}`];
    }
    case "bearer":
      return ["authorization", `Bearer ${auth.token}`];
    case "header":
      return [auth.name, auth.value];
  }
}
