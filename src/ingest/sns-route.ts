// /ingest/sns/:source_id — built by its own issue.
import { Hono } from "hono";
import type { AppEnv } from "../env";

export const snsRoutes = new Hono<AppEnv>();
