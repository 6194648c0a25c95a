// Global setup (Node side) for the integration run "with Redis" (HOOKRELAY_TEST_REDIS=1): starts a real
// redis-server behind @humanwhocodes/upstash-redis-server and hands its REST URL and token to the Worker.
// Without that variable it provides empty settings, and the same tests run on the per-isolate memory cache.
import type { TestProject } from "vitest/node";
import { startRedis, type RunningRedis } from "../e2e/support/redis";

declare module "vitest" {
  export interface ProvidedContext {
    redisRestUrl: string;
    redisRestToken: string;
  }
}

let redis: RunningRedis | undefined;

export default async function setup(project: TestProject) {
  if (process.env.HOOKRELAY_TEST_REDIS === "1") redis = await startRedis();
  project.provide("redisRestUrl", redis?.restUrl ?? "");
  project.provide("redisRestToken", redis?.token ?? "");
  return async () => {
    await redis?.stop();
  };
}
