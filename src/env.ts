// The Worker's environment: bindings generated from wrangler.toml plus secrets (not declared there).
import type { Principal } from "./http/middleware/auth";
import type { Config } from "./config";

export interface Secrets {
  ADMIN_API_KEY?: string;
  ENCRYPTION_KEY?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  SES_REGION?: string;
  SES_FROM?: string;
  SES_ENDPOINT?: string;
  DASHBOARD_URL?: string;
  SNS_TEST_CERT_URL_PREFIX?: string;
  /** Parts each new history shard is split into (src/history/shards.ts); default 1. */
  HISTORY_SHARD_PARTS?: string;
  /** Space-separated origins that may frame the portal (/portal); unset: not frameable. */
  PORTAL_FRAME_ANCESTORS?: string;
}

export type Env = CloudflareBindings & Secrets;

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    config: Config;
  };
}
