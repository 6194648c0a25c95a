// Attempts: one row per HTTP attempt, written only by the EndpointDO (batched), read by the deliveries API.
import { asc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { attempts } from "../schema";

export type AttemptRow = typeof attempts.$inferSelect;

/** INSERT OR IGNORE: attempt ids are derived from (delivery, attempt number), so a re-flush is harmless. */
export function insertAttemptStatement(db: Db, row: AttemptRow) {
  return db.insert(attempts).values(row).onConflictDoNothing();
}

export async function listAttemptsOfDelivery(db: Db, deliveryId: string): Promise<AttemptRow[]> {
  return db.select().from(attempts).where(eq(attempts.deliveryId, deliveryId)).orderBy(asc(attempts.attempt)).all();
}
