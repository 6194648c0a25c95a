// Parses the plain [vars] (and optional settings) once into a typed Config. Durations are seconds.
import { z } from "zod";
import { frameAncestorsSource } from "./domain/frame-ancestors";
import type { Env } from "./env";

const flag = z
  .string()
  .optional()
  .transform((v) => v === "true" || v === "1");
const int = (fallback: number, min = 0) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? fallback : Number(v)))
    .pipe(z.number().int().min(min));

const ConfigSchema = z.object({
  ALLOW_PRIVATE_ENDPOINTS: flag,
  MAX_PAYLOAD_BYTES: int(262144, 1),
  FAILURE_WARN_AFTER: int(5, 1),
  FAILURE_DISABLE_AFTER: int(20, 1),
  FAILURE_DISABLE_MIN_SECONDS: int(600),
  RETENTION_DAYS: int(30, 1),
  INGEST_RATE_LIMIT_PER_MINUTE: int(0),
  DASHBOARD_URL: z.string().optional(),
  SES_REGION: z.string().optional(),
  SES_FROM: z.string().optional(),
  SES_ENDPOINT: z.string().optional(),
  SNS_TEST_CERT_URL_PREFIX: z.string().optional(),
  PORTAL_FRAME_ANCESTORS: z.string().optional(),
});

export interface Config {
  allowPrivateEndpoints: boolean;
  maxPayloadBytes: number;
  failureWarnAfter: number;
  failureDisableAfter: number;
  failureDisableMinSeconds: number;
  retentionDays: number;
  ingestRateLimitPerMinute: number;
  dashboardUrl?: string;
  sesRegion?: string;
  sesFrom?: string;
  sesEndpoint?: string;
  snsTestCertUrlPrefix?: string;
  /** The CSP frame-ancestors source list for the portal page ("'none'" when nothing valid is configured). */
  portalFrameAncestors: string;
}

const cache = new WeakMap<object, Config>();

export function loadConfig(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const raw = ConfigSchema.parse(env);
  const config: Config = {
    allowPrivateEndpoints: raw.ALLOW_PRIVATE_ENDPOINTS,
    maxPayloadBytes: raw.MAX_PAYLOAD_BYTES,
    failureWarnAfter: raw.FAILURE_WARN_AFTER,
    failureDisableAfter: raw.FAILURE_DISABLE_AFTER,
    failureDisableMinSeconds: raw.FAILURE_DISABLE_MIN_SECONDS,
    retentionDays: raw.RETENTION_DAYS,
    ingestRateLimitPerMinute: raw.INGEST_RATE_LIMIT_PER_MINUTE,
    dashboardUrl: raw.DASHBOARD_URL || undefined,
    sesRegion: raw.SES_REGION || undefined,
    sesFrom: raw.SES_FROM || undefined,
    sesEndpoint: raw.SES_ENDPOINT || undefined,
    snsTestCertUrlPrefix: raw.SNS_TEST_CERT_URL_PREFIX || undefined,
    portalFrameAncestors: frameAncestorsSource(raw.PORTAL_FRAME_ANCESTORS),
  };
  cache.set(env, config);
  return config;
}
