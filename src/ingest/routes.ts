// /ingest/* — SNS and WebSocket ingest (no API key: SNS messages are signature-verified, sockets use the source token).
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { snsRoutes } from "./sns-route";
import { wsRoutes } from "./ws-route";

export const ingestRoutes = new Hono<AppEnv>();
ingestRoutes.route("/sns", snsRoutes);
ingestRoutes.route("/ws", wsRoutes);
