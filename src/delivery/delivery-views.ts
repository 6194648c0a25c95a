// What the API shows of deliveries: history (finished ones, in log shards) merged with what is still in
// flight in each endpoint's EndpointDO (pending, retrying). The object's view wins for a delivery in both
// (a manual retry running again); lists merge both newest first.
import { deliveryEndpointId } from "../domain/ids";
import type { Env } from "../env";
import { findDeliveries, listEndpointHistory, type DeliveryPageQuery } from "../history/delivery-history";
import { mergeAttempts, type DeliveryRecord } from "../history/records";
import { endpointStub } from "./endpoint-client";

function combine(history: DeliveryRecord | undefined, live: DeliveryRecord | undefined): DeliveryRecord | undefined {
  if (!live) return history;
  if (!history) return live;
  return { ...live, created_at: history.created_at, ...mergeAttempts(history.attempts, history.attempts_dropped, live.attempts) };
}

/** Deliveries by id, wherever they are now. */
export async function findDeliveryViews(env: Env, ids: string[]): Promise<Map<string, DeliveryRecord>> {
  const byEndpoint = new Map<string, string[]>();
  for (const id of ids) {
    const endpointId = deliveryEndpointId(id);
    if (endpointId) byEndpoint.set(endpointId, [...(byEndpoint.get(endpointId) ?? []), id]);
  }
  const [history, live] = await Promise.all([
    findDeliveries(env, ids),
    Promise.all([...byEndpoint].map(([endpointId, some]) => endpointStub(env, endpointId).getInFlight(some) as Promise<DeliveryRecord[]>)),
  ]);
  const liveById = new Map(live.flat().map((r) => [r.id, r]));
  const out = new Map<string, DeliveryRecord>();
  for (const id of ids) {
    const view = combine(history.get(id), liveById.get(id));
    if (view) out.set(id, view);
  }
  return out;
}

function matches(r: DeliveryRecord, q: Omit<DeliveryPageQuery, "endpointId" | "want">): boolean {
  if (q.beforeId !== undefined && !(r.id < q.beforeId)) return false;
  if (q.status !== undefined && r.status !== q.status) return false;
  if (q.statuses !== undefined && !q.statuses.includes(r.status)) return false;
  if (q.eventId !== undefined && r.event_id !== q.eventId) return false;
  return true;
}

/** One endpoint's deliveries newest first: in flight and finished, merged. */
export async function listEndpointDeliveries(env: Env, q: DeliveryPageQuery): Promise<DeliveryRecord[]> {
  const { endpointId, want, ...filters } = q;
  const liveWanted = filters.status === undefined || filters.status === "pending" || filters.status === "retrying" || filters.status === "held";
  const [history, live] = await Promise.all([
    filters.status === "pending" || filters.status === "retrying" ? Promise.resolve([]) : listEndpointHistory(env, q),
    liveWanted ? (endpointStub(env, endpointId).listInFlight(filters.beforeId, want) as Promise<DeliveryRecord[]>) : Promise.resolve([]),
  ]);
  const byId = new Map<string, DeliveryRecord>();
  for (const r of history) byId.set(r.id, r);
  for (const r of live) {
    const view = combine(byId.get(r.id), r)!;
    if (matches(view, filters)) byId.set(r.id, view);
    else byId.delete(r.id);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, want);
}

/** Several endpoints' deliveries newest first (an owner's): each endpoint's page, merged. */
export async function listDeliveriesOf(env: Env, endpointIds: string[], q: Omit<DeliveryPageQuery, "endpointId">): Promise<DeliveryRecord[]> {
  const pages = await Promise.all(endpointIds.map((endpointId) => listEndpointDeliveries(env, { ...q, endpointId })));
  return pages.flat().sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, q.want);
}
