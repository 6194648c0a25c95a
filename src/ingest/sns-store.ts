// The SNS ingest route's own reads and writes of the sources table: look a source up, record its
// subscription confirmation (with the topic it pins) and its unsubscription.
import { and, eq, isNull, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { sources } from "../db/schema";

export type SnsSourceStatus = "pending_confirmation" | "confirmed" | "unsubscribed";

export interface SnsSourceRow {
  id: string;
  type: "sns" | "websocket";
  ownerId: string;
  eventType: string | null;
  eventTypeAttribute: string | null;
  status: string;
  topicArn: string | null;
  subscriptionArn: string | null;
  updatedAt: number;
}

export async function findSnsSource(db: Db, id: string): Promise<SnsSourceRow | null> {
  const row = await db
    .select({
      id: sources.id,
      type: sources.type,
      ownerId: sources.ownerId,
      eventType: sources.eventType,
      eventTypeAttribute: sources.eventTypeAttribute,
      status: sources.status,
      topicArn: sources.topicArn,
      subscriptionArn: sources.subscriptionArn,
      updatedAt: sources.updatedAt,
    })
    .from(sources)
    .where(eq(sources.id, id))
    .get();
  return row ?? null;
}

/**
 * Marks the source confirmed. A source without a pinned topic is pinned to this one (trust on first use):
 * anyone can subscribe a URL to a topic of their own, so after the first confirmation only the owner's
 * topic may speak. The condition makes the pin atomic; false means another topic got there first.
 */
export async function recordConfirmed(
  db: Db,
  id: string,
  topicArn: string,
  subscriptionArn: string | null,
  now: number,
): Promise<boolean> {
  const result = await db
    .update(sources)
    .set({ status: "confirmed", topicArn, subscriptionArn, updatedAt: now })
    .where(and(eq(sources.id, id), or(isNull(sources.topicArn), eq(sources.topicArn, topicArn))))
    .run();
  return (result.meta.changes ?? 0) > 0;
}

export async function recordUnsubscribed(db: Db, id: string, now: number): Promise<void> {
  await db.update(sources).set({ status: "unsubscribed", updatedAt: now }).where(eq(sources.id, id)).run();
}
