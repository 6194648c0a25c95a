// /ingest/* — SNS and WebSocket ingest (built by their own issues).
import { Hono } from "hono";
import type { AppEnv } from "../env";

export const ingestRoutes = new Hono<AppEnv>();
