// Email notices through AWS SES v2 SendEmail, SigV4-signed with aws4fetch. SES_ENDPOINT points tests at a local emulator.
import { AwsClient } from "aws4fetch";
import { readBoundedText } from "../http/bounded-read";
import { noticeFacts, noticeSummary, noticeText, noticeTitle, type Notice, type SendResult } from "./notice";

export interface SesSettings {
  region: string;
  from: string;
  /** Base URL; AWS's regional endpoint when unset. */
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const SEND_TIMEOUT_MS = 10_000;
/** SES answers with a small JSON document; only the start of an error is logged anyway. */
const ANSWER_READ_LIMIT = 4096;

/** The SES settings, or why email cannot be sent (a notice then fails with that error and is retried). */
export function sesSettings(input: {
  region?: string;
  from?: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}): SesSettings | { error: string } {
  const missing = [
    !input.region && "SES_REGION",
    !input.from && "SES_FROM",
    !input.accessKeyId && "AWS_ACCESS_KEY_ID",
    !input.secretAccessKey && "AWS_SECRET_ACCESS_KEY",
  ].filter(Boolean);
  if (missing.length) return { error: `email is not configured: ${missing.join(", ")} unset` };
  return {
    region: input.region!,
    from: input.from!,
    endpoint: input.endpoint,
    accessKeyId: input.accessKeyId!,
    secretAccessKey: input.secretAccessKey!,
  };
}

export function sesSendUrl(settings: Pick<SesSettings, "region" | "endpoint">): string {
  const base = (settings.endpoint ?? `https://email.${settings.region}.amazonaws.com`).replace(/\/+$/, "");
  return `${base}/v2/email/outbound-emails`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
}

function noticeHtml(notice: Notice): string {
  const rows = noticeFacts(notice)
    .map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join("");
  const link = notice.link ? `<p><a href="${escapeHtml(notice.link)}">Open in the HookRelay dashboard</a></p>` : "";
  return `<h2>${escapeHtml(noticeTitle(notice))}</h2><p>${escapeHtml(noticeSummary(notice))}</p>${rows ? `<table>${rows}</table>` : ""}${link}`;
}

/** The SES v2 SendEmail request body (Simple content: subject, text and HTML parts). */
export function sesSendEmailBody(from: string, to: string[], notice: Notice) {
  return {
    FromEmailAddress: from,
    Destination: { ToAddresses: to },
    Content: {
      Simple: {
        Subject: { Data: noticeTitle(notice), Charset: "UTF-8" },
        Body: {
          Text: { Data: noticeText(notice), Charset: "UTF-8" },
          Html: { Data: noticeHtml(notice), Charset: "UTF-8" },
        },
      },
    },
    EmailTags: [{ Name: "kind", Value: notice.kind.replace(".", "_") }],
  };
}

export async function sendEmail(settings: SesSettings, to: string[], notice: Notice): Promise<SendResult> {
  // No client-side retries: a failed send is retried by the next cron run, which also logs the error.
  const aws = new AwsClient({
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    service: "ses",
    region: settings.region,
    retries: 0,
  });
  const signal = AbortSignal.timeout(SEND_TIMEOUT_MS);
  try {
    const res = await aws.fetch(sesSendUrl(settings), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(sesSendEmailBody(settings.from, to, notice)),
      signal,
    });
    const { text } = await readBoundedText(res, { limit: ANSWER_READ_LIMIT, signal });
    if (res.ok) return { ok: true };
    return { ok: false, error: `SES answered ${res.status}: ${text.slice(0, 500)}` };
  } catch (err) {
    return { ok: false, error: `SES request failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
