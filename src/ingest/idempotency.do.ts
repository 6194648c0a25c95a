// IdempotencyDO: remembers Idempotency-Key → event ids for 24 h (built by the delivery core issue).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class IdempotencyDO extends DurableObject<Env> {}
