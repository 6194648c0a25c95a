// IngestSocket: WebSocket ingest through the Hibernation API (built by the WebSocket issue).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class IngestSocket extends DurableObject<Env> {}
