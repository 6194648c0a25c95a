// The SNS ingest route's own writes to the sources table: a subscription's confirmation (with the topic it
// pins) and its end. Reads go through db/repos/sources.ts.
import { and, eq, isNull, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { sources } from "../db/schema";

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
