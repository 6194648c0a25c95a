// The deliveries a batch retry walks: failed/held ones in history, endpoint by endpoint (one endpoint, an
// owner's, or every endpoint), each newest first. The walk's position is a cursor stored with the job.
import { asc, eq, gt, and } from "drizzle-orm";
import { getDb } from "../db/client";
import type { RetrySelection } from "../db/repos/jobs";
import { endpoints } from "../db/schema";
import type { Env } from "../env";
import { countEndpointHistory, listEndpointHistory } from "../history/delivery-history";

/** Where a walk stands: the endpoint it is in and the last delivery id it took there. */
interface WalkCursor {
  endpointId: string;
  beforeId: string | null;
}

/** Endpoints after `afterId` (exclusive) in id order, that the selection covers. */
async function endpointsAfter(env: Env, sel: RetrySelection, afterId: string | null, limit: number): Promise<string[]> {
  if (sel.endpointId) return afterId === null || afterId < sel.endpointId ? [sel.endpointId] : [];
  const filters = [];
  if (sel.ownerId !== undefined) filters.push(eq(endpoints.ownerId, sel.ownerId));
  if (afterId !== null) filters.push(gt(endpoints.id, afterId));
  const rows = await getDb(env.DB).select({ id: endpoints.id }).from(endpoints).where(and(...filters)).orderBy(asc(endpoints.id)).limit(limit).all();
  return rows.map((r) => r.id);
}

function historyFilters(sel: RetrySelection) {
  return {
    statuses: sel.statuses,
    acceptedFrom: sel.since,
    acceptedUntil: sel.until === undefined ? undefined : sel.until - 1,
  };
}

export async function countSelection(env: Env, sel: RetrySelection): Promise<number> {
  let total = 0;
  let after: string | null = null;
  for (let guard = 0; guard < 10_000; guard++) {
    const ids = await endpointsAfter(env, sel, after, 100);
    if (ids.length === 0) break;
    const counts = await Promise.all(ids.map((id) => countEndpointHistory(env, id, historyFilters(sel))));
    total += counts.reduce((a, b) => a + b, 0);
    after = ids[ids.length - 1]!;
  }
  return total;
}

/** The next chunk of delivery ids and the cursor after it; an empty chunk means the walk is done. */
export async function selectionChunk(env: Env, sel: RetrySelection, cursorText: string | null, limit: number): Promise<{ ids: string[]; cursor: string | null }> {
  let cursor: WalkCursor | null = cursorText ? (JSON.parse(cursorText) as WalkCursor) : null;
  for (let guard = 0; guard < 10_000; guard++) {
    if (!cursor) {
      const first = await endpointsAfter(env, sel, null, 1);
      if (first.length === 0) return { ids: [], cursor: null };
      cursor = { endpointId: first[0]!, beforeId: null };
    }
    const rows = await listEndpointHistory(env, {
      endpointId: cursor.endpointId,
      ...historyFilters(sel),
      beforeId: cursor.beforeId ?? undefined,
      want: limit,
    });
    if (rows.length > 0) {
      const next: WalkCursor = { endpointId: cursor.endpointId, beforeId: rows[rows.length - 1]!.id };
      return { ids: rows.map((r) => r.id), cursor: JSON.stringify(next) };
    }
    const following = await endpointsAfter(env, sel, cursor.endpointId, 1);
    if (following.length === 0) return { ids: [], cursor: JSON.stringify(cursor) };
    cursor = { endpointId: following[0]!, beforeId: null };
  }
  return { ids: [], cursor: cursorText };
}
