// EndpointDO: the only place that talks to an endpoint (built by the delivery core issue).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class EndpointDO extends DurableObject<Env> {
  /** Drops the cached config snapshot; the next delivery reloads it from D1. */
  async configChanged(): Promise<void> {}
}
