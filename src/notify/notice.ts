// What a failure notice says, independent of the channel: pure, so email and Slack tell the same story.
import type { NoticeDetails, NotificationKind } from "../db/repos/notifications";

export interface Notice {
  kind: NotificationKind;
  endpointId: string | null;
  /** Snapshot of the endpoint when the notice was created; null for `test`. */
  details: NoticeDetails | null;
  /** Link to the endpoint in the dashboard (hash route), or to the dashboard itself for `test`. */
  link: string | null;
}

export type SendResult = { ok: true } | { ok: false; error: string };

/** The dashboard page for an endpoint: the dashboard uses hash routes (#/endpoints/ep_…). */
export function dashboardLink(base: string | null | undefined, endpointId: string | null): string | null {
  if (!base) return null;
  const root = base.replace(/\/+$/, "");
  return endpointId ? `${root}/#/endpoints/${encodeURIComponent(endpointId)}` : `${root}/`;
}

export function noticeTitle(notice: Notice): string {
  const d = notice.details;
  switch (notice.kind) {
    case "endpoint.failing":
      return `[HookRelay] Endpoint ${notice.endpointId} is failing (${d?.consecutive_failures ?? "?"} consecutive failures)`;
    case "endpoint.disabled":
      return d?.disabled_reason === "gone_410"
        ? `[HookRelay] Endpoint ${notice.endpointId} was disabled: it answered 410 Gone`
        : `[HookRelay] Endpoint ${notice.endpointId} was disabled after ${d?.consecutive_failures ?? "?"} consecutive failures`;
    case "test":
      return "[HookRelay] Test notification";
  }
}

/** Label/value pairs shown in every channel's body. */
export function noticeFacts(notice: Notice): Array<[string, string]> {
  const d = notice.details;
  if (!d) return [];
  const facts: Array<[string, string]> = [
    ["Endpoint", `${notice.endpointId} (${d.endpoint_url})`],
    ["Owner", d.owner_id],
    ["Consecutive failures", String(d.consecutive_failures)],
    ["Last status", d.last_status_code === null ? "no response" : String(d.last_status_code)],
    ["Last error", d.last_error ?? "—"],
  ];
  if (d.failing_since !== null) facts.push(["Failing since", new Date(d.failing_since).toISOString()]);
  if (notice.kind === "endpoint.disabled") facts.push(["Disabled reason", d.disabled_reason ?? "—"]);
  return facts;
}

export function noticeSummary(notice: Notice): string {
  switch (notice.kind) {
    case "endpoint.failing":
      return "Deliveries to this endpoint keep failing. HookRelay keeps retrying; if failures continue the endpoint will be disabled and new events held.";
    case "endpoint.disabled":
      return "HookRelay stopped delivering to this endpoint. New events are held, not lost. Fix the receiver, enable the endpoint, then retry failed and held deliveries (POST /v1/endpoints/{id}/retry-failed).";
    case "test":
      return "This is a test message from HookRelay: this channel will receive endpoint failure notices.";
  }
}

/** Plain-text rendering (email text part, Slack fallback `text`). */
export function noticeText(notice: Notice): string {
  const lines = [noticeTitle(notice), "", noticeSummary(notice)];
  const facts = noticeFacts(notice);
  if (facts.length) lines.push("", ...facts.map(([k, v]) => `${k}: ${v}`));
  if (notice.link) lines.push("", `Dashboard: ${notice.link}`);
  return lines.join("\n");
}
