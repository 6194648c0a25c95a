// The Worker's entry points: HTTP (Hono), queue consumers, cron; and the Durable Object classes.
import { createApp } from "./app";
import type { Env } from "./env";
import { handleQueueBatch } from "./queues";
import { runScheduled } from "./notify/cron";
import { count, instrumentEnv } from "./observability/counters";

export { EndpointDO } from "./delivery/endpoint.do";
export { IngestSocket } from "./ingest/ingest-socket.do";
export { IdempotencyDO } from "./ingest/idempotency.do";
export { LogShard } from "./history/log-shard.do";

const app = createApp();

export default {
  async fetch(request, env, ctx) {
    return app.fetch(request, instrumentEnv(env), ctx);
  },
  async queue(batch, env, ctx) {
    await handleQueueBatch(batch, instrumentEnv(env), ctx);
  },
  async scheduled(controller, env, ctx) {
    count("worker_scheduled_invocations");
    await runScheduled(controller, instrumentEnv(env), ctx);
  },
} satisfies ExportedHandler<Env>;
