// A channel's target (email recipients or Slack webhook URL), sealed with ENCRYPTION_KEY at rest, and
// the one function that sends a notice through a channel of either type.
import type { Config } from "../config";
import type { ChannelRow } from "../db/repos/notification-channels";
import { currentEncryptionKey, decryptSecret, encryptSecret } from "../domain/crypto";
import type { Env } from "../env";
import { sendEmail, sesSettings } from "./email";
import type { Notice, SendResult } from "./notice";
import { sendSlack } from "./slack";

/**
 * The stored (encrypted) form. `origin` is the Worker's own origin as seen when the channel was
 * created: the cron has no request to learn it from, and links need it when DASHBOARD_URL is unset.
 */
export type ChannelTarget = { type: "email"; to: string[]; origin?: string } | { type: "slack"; webhook_url: string; origin?: string };

export async function sealTarget(target: ChannelTarget, env: Pick<Env, "ENCRYPTION_KEY">): Promise<string> {
  return encryptSecret(JSON.stringify(target), currentEncryptionKey(env.ENCRYPTION_KEY));
}

export async function openTarget(row: Pick<ChannelRow, "configEnc">, env: Pick<Env, "ENCRYPTION_KEY">): Promise<ChannelTarget> {
  return JSON.parse(await decryptSecret(row.configEnc, env.ENCRYPTION_KEY)) as ChannelTarget;
}

/** Shows where a Slack webhook goes without revealing its secret path: origin, first segment, last 4 chars. */
export function maskWebhookUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const segments = url.pathname.split("/").filter(Boolean);
    const first = segments.length > 1 ? `/${segments[0]}` : "";
    const tail = raw.length > 4 ? raw.slice(-4) : "";
    return `${url.origin}${first}/****${tail}`;
  } catch {
    return "****";
  }
}

/** The dashboard base for links: DASHBOARD_URL, else the Worker's origin recorded on the channel. */
export function dashboardBase(config: Config, target: ChannelTarget): string | null {
  return config.dashboardUrl ?? target.origin ?? null;
}

export async function sendThroughChannel(env: Env, config: Config, target: ChannelTarget, notice: Notice): Promise<SendResult> {
  if (target.type === "slack") return sendSlack(target.webhook_url, notice);
  const settings = sesSettings({
    region: config.sesRegion,
    from: config.sesFrom,
    endpoint: config.sesEndpoint,
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
  });
  if ("error" in settings) return { ok: false, error: settings.error };
  return sendEmail(settings, target.to, notice);
}
