// Creating deliveries in batches (fanout consumer) and reading back their state to decide what to hand over.
// Reads for the API live in deliveries.ts; this module only creates rows and reads their progress.
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { deliveries } from "../schema";
import { idChunks } from "../id-chunks";

export interface NewDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  ownerId: string;
  eventType: string;
  /** `pending` for an active endpoint, `held` (never attempted) for a disabled one. */
  status: "pending" | "held";
  eventAcceptedAt: number;
}

/** A delivery row binds 6 parameters (status, counters and times are inlined literals): 16 rows per statement. */
const DELIVERIES_PER_STATEMENT = Math.floor(100 / 6);

const STATUS_LITERAL = { pending: sql.raw("'pending'"), held: sql.raw("'held'") } as const;
const ZERO = sql.raw("0");

/**
 * Statements inserting deliveries, ignoring (event, endpoint) pairs that already have one: the ids are
 * derived from (event, endpoint), so re-running a batch never duplicates or resets a delivery.
 */
export function insertDeliveriesIgnoringDuplicates(db: Db, rows: NewDelivery[], now: number) {
  const at = sql.raw(String(Math.trunc(now)));
  const statements = [];
  for (let i = 0; i < rows.length; i += DELIVERIES_PER_STATEMENT) {
    const chunk = rows.slice(i, i + DELIVERIES_PER_STATEMENT).map((row) => ({
      ...row,
      status: STATUS_LITERAL[row.status],
      attempts: ZERO,
      attemptsInRun: ZERO,
      createdAt: at,
      updatedAt: at,
    }));
    statements.push(db.insert(deliveries).values(chunk).onConflictDoNothing());
  }
  return statements;
}

export interface DeliveryProgress {
  id: string;
  status: string;
  attempts: number;
  attemptsInRun: number;
}

/** Statements (one per id chunk) reading the current status and attempt counters of deliveries. */
export function selectDeliveryProgress(db: Db, ids: string[]) {
  return idChunks(ids).map((chunk) =>
    db
      .select({ id: deliveries.id, status: deliveries.status, attempts: deliveries.attempts, attemptsInRun: deliveries.attemptsInRun })
      .from(deliveries)
      .where(inArray(deliveries.id, chunk)),
  );
}
