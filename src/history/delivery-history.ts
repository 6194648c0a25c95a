// Finished deliveries in history: written by EndpointDOs in batches, read by the API, stats, batch retries.
// A delivery's shard is its endpoint × the day in its id (its event's), both read off the id (domain/ids.ts).
import { getDb } from "../db/client";
import { deliveryEndpointId } from "../domain/ids";
import type { Env } from "../env";
import type { DeliveryListQuery } from "./delivery-store";
import { shardDays, shardParts } from "./directory";
import type { DeliveryRecord } from "./records";
import { configuredParts, logShard, MAX_DAYS_PER_PAGE, pageAcrossDays } from "./shard-client";
import { dayOf, dayOfId, groupByShard, shardFor } from "./shards";

/** One RPC per shard; resolves once every shard stored its part. */
export async function writeDeliveries(env: Env, records: DeliveryRecord[]): Promise<void> {
  const parts = configuredParts(env);
  const groups = groupByShard(records, (r) => shardFor("deliveries", r.endpoint_id, r.id, parts));
  await Promise.all([...groups.values()].map(({ ref, items }) => logShard(env, ref).putDeliveries(ref, items)));
}

/** Finished deliveries by id; ids that are not delivery ids, or not (yet) in history, are absent. */
export async function findDeliveries(env: Env, ids: string[]): Promise<Map<string, DeliveryRecord>> {
  const db = getDb(env.DB);
  const groups = new Map<string, { endpointId: string; day: string; ids: string[] }>();
  for (const id of ids) {
    const endpointId = deliveryEndpointId(id);
    if (!endpointId) continue;
    const day = dayOfId(id);
    const key = `${endpointId}|${day}`;
    const group = groups.get(key) ?? { endpointId, day, ids: [] };
    group.ids.push(id);
    groups.set(key, group);
  }
  const out = new Map<string, DeliveryRecord>();
  await Promise.all(
    [...groups.values()].map(async ({ endpointId, day, ids: dayIds }) => {
      const parts = await shardParts(db, "deliveries", endpointId, day);
      const found = await Promise.all(parts.map((part) => logShard(env, { kind: "deliveries", key: endpointId, day, part }).getDeliveries(dayIds)));
      for (const r of found.flat()) out.set(r.id, r);
    }),
  );
  return out;
}

export interface DeliveryPageQuery extends Omit<DeliveryListQuery, "limit"> {
  endpointId: string;
  want: number;
}

/** One endpoint's finished deliveries, newest first, across its days. */
export async function listEndpointHistory(env: Env, q: DeliveryPageQuery): Promise<DeliveryRecord[]> {
  const { endpointId, want, ...filters } = q;
  const days = await shardDays(getDb(env.DB), "deliveries", endpointId, {
    beforeDay: q.beforeId !== undefined ? dayOfId(q.beforeId) : q.acceptedUntil !== undefined ? dayOf(q.acceptedUntil + 86_400_000) : undefined,
    fromDay: q.acceptedFrom !== undefined ? dayOf(q.acceptedFrom - 86_400_000) : q.createdFrom !== undefined ? dayOf(q.createdFrom - 2 * 86_400_000) : undefined,
    maxDays: MAX_DAYS_PER_PAGE,
  });
  return pageAcrossDays(days, want, (day, part, limit) =>
    logShard(env, { kind: "deliveries", key: endpointId, day, part }).listDeliveries({ ...filters, limit }),
  );
}

/** Counts and attempt durations of one endpoint's finished deliveries created in [from, until). */
export async function endpointHistoryStats(env: Env, endpointId: string, from: number, until: number) {
  // A delivery is created after its event's id time (up to a day later for idempotent retries).
  const days = await shardDays(getDb(env.DB), "deliveries", endpointId, {
    beforeDay: dayOf(until),
    fromDay: dayOf(from - 86_400_000),
    maxDays: MAX_DAYS_PER_PAGE,
  });
  const parts = await Promise.all(
    days.flatMap(({ day, parts }) => parts.map((part) => logShard(env, { kind: "deliveries", key: endpointId, day, part }).deliveryStats(from, until))),
  );
  const counts: Record<string, number> = {};
  const durations: number[] = [];
  let attemptsOk = 0;
  let attemptsFailed = 0;
  for (const p of parts) {
    for (const [status, n] of Object.entries(p.counts)) counts[status] = (counts[status] ?? 0) + n;
    durations.push(...p.durations);
    attemptsOk += p.attemptsOk;
    attemptsFailed += p.attemptsFailed;
  }
  return { counts, durations, attemptsOk, attemptsFailed };
}

/** How many of one endpoint's finished deliveries match (batch retries count their selection first). */
export async function countEndpointHistory(env: Env, endpointId: string, q: Omit<DeliveryListQuery, "limit">): Promise<number> {
  const days = await shardDays(getDb(env.DB), "deliveries", endpointId, {
    beforeDay: q.acceptedUntil !== undefined ? dayOf(q.acceptedUntil + 86_400_000) : undefined,
    fromDay: q.acceptedFrom !== undefined ? dayOf(q.acceptedFrom - 86_400_000) : undefined,
    maxDays: MAX_DAYS_PER_PAGE,
  });
  const counts = await Promise.all(
    days.flatMap(({ day, parts }) => parts.map((part) => logShard(env, { kind: "deliveries", key: endpointId, day, part }).countDeliveries(q))),
  );
  return counts.reduce((a, b) => a + b, 0);
}
