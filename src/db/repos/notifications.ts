// The notification log: one row per (channel, endpoint, kind, episode), pending → sent | failed.
// The unique index notifications_once makes enqueueing idempotent across cron runs.
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { notifications } from "../schema";

export type NotificationRow = typeof notifications.$inferSelect;
export type NotificationKind = NotificationRow["kind"];

/** What a failing/disabled notice says, snapshotted from the endpoint row when the notice is created. */
export interface NoticeDetails {
  endpoint_url: string;
  owner_id: string;
  consecutive_failures: number;
  failing_since: number | null;
  last_status_code: number | null;
  last_error: string | null;
  disabled_reason: string | null;
}

/** An endpoint + channel pair that is owed a notice of `kind` for the endpoint's current episode. */
export interface OwedNotice {
  endpoint_id: string;
  owner_id: string;
  url: string;
  failure_episode: number;
  consecutive_failures: number;
  failing_since: number | null;
  last_status_code: number | null;
  last_error: string | null;
  disabled_reason: string | null;
  channel_id: string;
}

const OWED_COLUMNS = sql`e.id AS endpoint_id, e.owner_id, e.url, e.failure_episode, e.consecutive_failures,
  e.failing_since, e.last_status_code, e.last_error, e.disabled_reason, c.id AS channel_id`;

/**
 * Endpoints at or past the warning threshold, paired with every matching channel (the owner's own and
 * the global ones) that has no `endpoint.failing` row for the endpoint's current episode yet.
 */
export async function owedFailingNotices(db: Db, warnAfter: number, limit: number): Promise<OwedNotice[]> {
  return db.all<OwedNotice>(sql`
    SELECT ${OWED_COLUMNS}
    FROM endpoints e
    JOIN notification_channels c ON (c.owner_id = e.owner_id OR c.owner_id IS NULL)
    WHERE e.consecutive_failures >= ${warnAfter}
      AND NOT EXISTS (SELECT 1 FROM notifications n
                      WHERE n.channel_id = c.id AND n.endpoint_id = e.id
                        AND n.kind = 'endpoint.failing' AND n.episode = e.failure_episode)
    ORDER BY e.id, c.id
    LIMIT ${limit}`);
}

/** Endpoints disabled by failures (threshold or 410) whose channels have no disable notice for the episode. */
export async function owedDisabledNotices(db: Db, limit: number): Promise<OwedNotice[]> {
  return db.all<OwedNotice>(sql`
    SELECT ${OWED_COLUMNS}
    FROM endpoints e
    JOIN notification_channels c ON (c.owner_id = e.owner_id OR c.owner_id IS NULL)
    WHERE e.status = 'disabled' AND e.disabled_reason IN ('consecutive_failures', 'gone_410')
      AND NOT EXISTS (SELECT 1 FROM notifications n
                      WHERE n.channel_id = c.id AND n.endpoint_id = e.id
                        AND n.kind = 'endpoint.disabled' AND n.episode = e.failure_episode)
    ORDER BY e.id, c.id
    LIMIT ${limit}`);
}

/** Inserts pending notices; a row that already exists for (channel, endpoint, kind, episode) is left alone. */
export async function insertNotifications(db: Db, rows: NotificationRow[]): Promise<void> {
  if (rows.length === 0) return;
  const statements = rows.map((row) => db.insert(notifications).values(row).onConflictDoNothing());
  // Chunked so one batch stays small; each statement binds one row (well under 100 parameters).
  for (let i = 0; i < statements.length; i += 50) {
    const chunk = statements.slice(i, i + 50);
    await db.batch(chunk as [(typeof chunk)[number], ...typeof chunk]);
  }
}

export async function insertNotification(db: Db, row: NotificationRow): Promise<void> {
  await db.insert(notifications).values(row);
}

/** Pending failure notices and failed ones with tries left, oldest first (test messages are never re-sent). */
export async function dueNotifications(db: Db, maxTries: number, limit: number): Promise<NotificationRow[]> {
  return db
    .select()
    .from(notifications)
    .where(
      and(
        inArray(notifications.status, ["pending", "failed"]),
        lt(notifications.tries, maxTries),
        inArray(notifications.kind, ["endpoint.failing", "endpoint.disabled"]),
      ),
    )
    .orderBy(notifications.createdAt, notifications.id)
    .limit(limit)
    .all();
}

/**
 * Claims one try of a notice: bumps `tries` only if nobody else did since we read it, so two overlapping
 * cron runs never send the same notice twice. Returns whether this caller owns the try.
 */
export async function claimNotificationTry(db: Db, id: string, seenTries: number): Promise<boolean> {
  const result = await db
    .update(notifications)
    .set({ tries: seenTries + 1 })
    .where(and(eq(notifications.id, id), eq(notifications.tries, seenTries), inArray(notifications.status, ["pending", "failed"])))
    .run();
  return (result.meta?.changes ?? 0) > 0;
}

export async function recordNotificationResult(
  db: Db,
  id: string,
  result: { ok: true; at: number } | { ok: false; error: string; giveUpAt?: number },
): Promise<void> {
  await db
    .update(notifications)
    .set(
      result.ok
        ? { status: "sent", error: null, sentAt: result.at }
        : { status: "failed", error: result.error.slice(0, 2000), ...(result.giveUpAt !== undefined ? { tries: result.giveUpAt } : {}) },
    )
    .where(eq(notifications.id, id))
    .run();
}

export async function getNotification(db: Db, id: string): Promise<NotificationRow | undefined> {
  return db.select().from(notifications).where(eq(notifications.id, id)).get();
}

export async function listNotifications(
  db: Db,
  opts: { ownerId?: string; channelId?: string; endpointId?: string; kind?: NotificationKind; status?: NotificationRow["status"]; beforeId?: string; limit: number },
): Promise<NotificationRow[]> {
  const filters = [];
  if (opts.ownerId !== undefined) filters.push(eq(notifications.ownerId, opts.ownerId));
  if (opts.channelId) filters.push(eq(notifications.channelId, opts.channelId));
  if (opts.endpointId) filters.push(eq(notifications.endpointId, opts.endpointId));
  if (opts.kind) filters.push(eq(notifications.kind, opts.kind));
  if (opts.status) filters.push(eq(notifications.status, opts.status));
  if (opts.beforeId) filters.push(lt(notifications.id, opts.beforeId));
  return db
    .select()
    .from(notifications)
    .where(and(...filters))
    .orderBy(desc(notifications.id))
    .limit(opts.limit)
    .all();
}
