// Decides which failure notices are owed (one per channel, endpoint, kind and failure episode), records
// them as pending, and sends pending and previously failed ones; a failed send is retried on the next run.
import { loadConfig, type Config } from "../config";
import { getDb, type Db } from "../db/client";
import { getChannelsByIds, type ChannelRow } from "../db/repos/notification-channels";
import {
  claimNotificationTry,
  dueNotifications,
  insertNotification,
  insertNotifications,
  owedDisabledNotices,
  owedFailingNotices,
  recordNotificationResult,
  type NoticeDetails,
  type NotificationKind,
  type NotificationRow,
  type OwedNotice,
} from "../db/repos/notifications";
import { newId } from "../domain/ids";
import type { Clock } from "../domain/time";
import type { Env } from "../env";
import { dashboardBase, openTarget, sendThroughChannel, type ChannelTarget } from "./channels";
import { dashboardLink, type Notice } from "./notice";

/** A notice that failed this many times stays `failed` and is no longer retried (about 10 cron minutes). */
export const MAX_NOTIFICATION_TRIES = 10;
/** Per cron run: how many owed notices are recorded and how many sends are attempted. */
const OWED_PER_RUN = 500;
const SENDS_PER_RUN = 100;
/** Sends in flight at once (a Worker invocation may wait on at most 6 connections). */
const SEND_CONCURRENCY = 5;

export interface NotifierRunResult {
  created: number;
  sent: number;
  failed: number;
}

export async function runNotifications(env: Env, clock: Clock): Promise<NotifierRunResult> {
  const config = loadConfig(env);
  const db = getDb(env.DB);
  const created = await recordOwedNotices(db, config, clock);
  const { sent, failed } = await sendDueNotices(env, db, config, clock);
  return { created, sent, failed };
}

function toRow(owed: OwedNotice, kind: NotificationKind, now: number): NotificationRow {
  const details: NoticeDetails = {
    // Relay endpoints (`hookrelay listen`) store no URL.
    endpoint_url: owed.url || "relay endpoint (hookrelay listen)",
    owner_id: owed.owner_id,
    consecutive_failures: owed.consecutive_failures,
    failing_since: owed.failing_since,
    last_status_code: owed.last_status_code,
    last_error: owed.last_error,
    disabled_reason: owed.disabled_reason,
  };
  return {
    id: newId("ntf", now),
    channelId: owed.channel_id,
    endpointId: owed.endpoint_id,
    ownerId: owed.owner_id,
    kind,
    episode: owed.failure_episode,
    status: "pending",
    error: null,
    tries: 0,
    details: JSON.stringify(details),
    sentAt: null,
    createdAt: now,
  };
}

/** Records every owed notice as pending. Idempotent: the unique index drops a second copy. */
export async function recordOwedNotices(db: Db, config: Config, clock: Clock): Promise<number> {
  const now = clock.now();
  const failing = await owedFailingNotices(db, config.failureWarnAfter, OWED_PER_RUN);
  const disabled = await owedDisabledNotices(db, OWED_PER_RUN);
  // The warning is recorded before the disable notice of the same run, so it is also sent first.
  const rows = [...failing.map((o) => toRow(o, "endpoint.failing", now)), ...disabled.map((o) => toRow(o, "endpoint.disabled", now + 1))];
  await insertNotifications(db, rows);
  return rows.length;
}

const KIND_ORDER: Record<NotificationKind, number> = { "endpoint.failing": 0, "endpoint.disabled": 1, test: 2 };

export async function sendDueNotices(env: Env, db: Db, config: Config, clock: Clock): Promise<{ sent: number; failed: number }> {
  const due = (await dueNotifications(db, MAX_NOTIFICATION_TRIES, SENDS_PER_RUN)).sort(
    (a, b) => a.createdAt - b.createdAt || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.id.localeCompare(b.id),
  );
  if (due.length === 0) return { sent: 0, failed: 0 };
  const channels = new Map((await getChannelsByIds(db, [...new Set(due.map((n) => n.channelId))])).map((c) => [c.id, c]));
  let sent = 0;
  let failed = 0;
  // Notices for the same channel go out in order (warning before disable); channels run side by side.
  const byChannel = new Map<string, NotificationRow[]>();
  for (const n of due) byChannel.set(n.channelId, [...(byChannel.get(n.channelId) ?? []), n]);
  const queues = [...byChannel.values()];
  for (let i = 0; i < queues.length; i += SEND_CONCURRENCY) {
    await Promise.all(
      queues.slice(i, i + SEND_CONCURRENCY).map(async (queue) => {
        for (const notification of queue) {
          const outcome = await sendOne(env, db, config, clock, notification, channels.get(notification.channelId));
          if (outcome === "sent") sent++;
          else if (outcome === "failed") failed++;
        }
      }),
    );
  }
  return { sent, failed };
}

async function sendOne(
  env: Env,
  db: Db,
  config: Config,
  clock: Clock,
  notification: NotificationRow,
  channel: ChannelRow | undefined,
): Promise<"sent" | "failed" | "skipped"> {
  if (!(await claimNotificationTry(db, notification.id, notification.tries))) return "skipped";
  if (!channel) {
    await recordNotificationResult(db, notification.id, {
      ok: false,
      error: "the channel was deleted",
      giveUpAt: MAX_NOTIFICATION_TRIES,
    });
    return "failed";
  }
  let target: ChannelTarget;
  try {
    target = await openTarget(channel, env);
  } catch (err) {
    await recordNotificationResult(db, notification.id, { ok: false, error: `cannot read the channel: ${String(err)}` });
    return "failed";
  }
  const notice: Notice = {
    kind: notification.kind,
    endpointId: notification.endpointId,
    details: JSON.parse(notification.details) as NoticeDetails,
    link: dashboardLink(dashboardBase(config, target), notification.endpointId),
  };
  const result = await sendThroughChannel(env, config, target, notice);
  await recordNotificationResult(db, notification.id, result.ok ? { ok: true, at: clock.now() } : result);
  logSend(notification, channel, result.ok ? null : result.error, notification.tries + 1);
  return result.ok ? "sent" : "failed";
}

function logSend(notification: NotificationRow, channel: ChannelRow, error: string | null, tryNumber: number) {
  const line = {
    level: error ? "warn" : "info",
    msg: error ? "notification failed" : "notification sent",
    notification_id: notification.id,
    channel_id: channel.id,
    channel_type: channel.type,
    endpoint_id: notification.endpointId,
    kind: notification.kind,
    try: tryNumber,
    ...(error ? { error } : {}),
  };
  (error ? console.warn : console.log)(JSON.stringify(line));
}

/** POST /v1/notification-channels/{id}/test: sends now and logs a `test` notification (never re-sent). */
export async function sendTestNotice(env: Env, channel: ChannelRow, clock: Clock): Promise<NotificationRow> {
  const config = loadConfig(env);
  const db = getDb(env.DB);
  const now = clock.now();
  const target = await openTarget(channel, env);
  const notice: Notice = { kind: "test", endpointId: null, details: null, link: dashboardLink(dashboardBase(config, target), null) };
  const result = await sendThroughChannel(env, config, target, notice);
  const row: NotificationRow = {
    id: newId("ntf", now),
    channelId: channel.id,
    endpointId: null,
    ownerId: channel.ownerId,
    kind: "test",
    episode: 0,
    status: result.ok ? "sent" : "failed",
    error: result.ok ? null : result.error.slice(0, 2000),
    tries: 1,
    details: "{}",
    sentAt: result.ok ? clock.now() : null,
    createdAt: now,
  };
  await insertNotification(db, row);
  logSend(row, channel, result.ok ? null : result.error, 1);
  return row;
}
