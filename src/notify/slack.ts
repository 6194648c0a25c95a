// Slack notices through an incoming webhook: fallback `text` plus Block Kit `blocks`. Slack answers `200 ok`.
import { readBoundedText } from "../http/bounded-read";
import { noticeFacts, noticeSummary, noticeText, noticeTitle, type Notice, type SendResult } from "./notice";

const SEND_TIMEOUT_MS = 10_000;
/** Slack's answers are a word ("ok", "invalid_payload"); anything past this is not Slack talking. */
const ANSWER_READ_LIMIT = 4096;
/** Slack caps section fields at 10 and each text at 2,000 characters (header text at 150). */
const FIELD_MAX = 1900;

const clip = (value: string, max: number) => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

export function slackPayload(notice: Notice) {
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: clip(noticeTitle(notice).replace(/^\[HookRelay\] /, ""), 150) } },
    { type: "section", text: { type: "mrkdwn", text: noticeSummary(notice) } },
  ];
  const facts = noticeFacts(notice);
  if (facts.length) {
    blocks.push({
      type: "section",
      fields: facts.slice(0, 10).map(([k, v]) => ({ type: "mrkdwn", text: clip(`*${k}*\n${v}`, FIELD_MAX) })),
    });
  }
  if (notice.link) {
    blocks.push({
      type: "actions",
      elements: [{ type: "button", text: { type: "plain_text", text: "Open in dashboard" }, url: notice.link }],
    });
  }
  return { text: noticeText(notice), blocks };
}

export async function sendSlack(webhookUrl: string, notice: Notice): Promise<SendResult> {
  const signal = AbortSignal.timeout(SEND_TIMEOUT_MS);
  try {
    const res = await fetch(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(slackPayload(notice)),
      signal,
      redirect: "manual",
    });
    // The URL is the channel owner's choice: its answer is read with a bound, whatever it streams.
    const text = (await readBoundedText(res, { limit: ANSWER_READ_LIMIT, signal })).text.trim();
    // Slack answers exactly "ok"; anything else (invalid_payload, channel_not_found, …) is a failure.
    if (res.status === 200 && text === "ok") return { ok: true };
    return { ok: false, error: `Slack answered ${res.status}: ${clip(text || "(empty body)", 500)}` };
  } catch (err) {
    return { ok: false, error: `Slack request failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
