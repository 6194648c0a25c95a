// /ingest/ws/:source_id — built by its own issue.
import { Hono } from "hono";
import type { AppEnv } from "../env";

export const wsRoutes = new Hono<AppEnv>();
