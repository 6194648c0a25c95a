// EndpointDO: the only place that talks to an endpoint (built by the delivery core issue).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class EndpointDO extends DurableObject<Env> {}
