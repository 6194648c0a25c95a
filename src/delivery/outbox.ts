// The EndpointDO's outbox: D1 writes recorded in the object's storage in the same transaction as the state
// change they describe, then applied to D1 in one db.batch. Every op is idempotent (INSERT OR IGNORE,
// absolute values), so re-applying a batch after a crash or a D1 error changes nothing.
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { insertAttemptStatement, type AttemptRow } from "../db/repos/attempts";
import { bumpConfigVersion } from "../db/repos/config-versions";
import { updateDeliveryStatement, type DeliveryChanges } from "../db/repos/deliveries";
import { endpoints } from "../db/schema";
import type { DisableReason } from "./failure-tracker";

export interface EndpointChanges {
  consecutiveFailures: number;
  failingSince: number | null;
  failureEpisode: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: number;
}

export type OutboxOp =
  | { t: "attempt"; row: AttemptRow }
  | { t: "delivery"; id: string; changes: DeliveryChanges }
  | { t: "endpoint"; id: string; changes: EndpointChanges }
  | { t: "disable"; id: string; ownerId: string; reason: DisableReason; at: number };

/** The statements for one db.batch, in op order. Endpoint counter updates are absolute: only the last counts. */
export function outboxStatements(db: Db, ops: OutboxOp[]) {
  const lastEndpointOp = new Map<string, number>();
  ops.forEach((op, i) => {
    if (op.t === "endpoint") lastEndpointOp.set(op.id, i);
  });
  const statements = [];
  for (const [i, op] of ops.entries()) {
    switch (op.t) {
      case "attempt":
        statements.push(insertAttemptStatement(db, op.row));
        break;
      case "delivery":
        statements.push(updateDeliveryStatement(db, op.id, op.changes));
        break;
      case "endpoint":
        if (lastEndpointOp.get(op.id) === i) statements.push(db.update(endpoints).set(op.changes).where(eq(endpoints.id, op.id)));
        break;
      case "disable":
        // Only an active endpoint is disabled: a manual disable that came first keeps its own reason.
        statements.push(
          db
            .update(endpoints)
            .set({ status: "disabled", disabledReason: op.reason, disabledAt: op.at, updatedAt: op.at })
            .where(and(eq(endpoints.id, op.id), eq(endpoints.status, "active"))),
        );
        // Routing caches must see the endpoint as disabled so new deliveries are recorded `held`.
        statements.push(bumpConfigVersion(db, op.ownerId));
        break;
    }
  }
  return statements;
}
