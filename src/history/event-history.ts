// Events in history: written by the fanout consumer (and by accept() for large payloads), read by the API.
// An event's shard is its owner × the day in its id; the owner of a bare id comes from the tag the id carries.
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { owners } from "../db/schema";
import { eventOwnerTag, ownerTag } from "../domain/ids";
import type { Env } from "../env";
import { shardDays, shardParts } from "./directory";
import type { EventListQuery } from "./event-store";
import type { EventRecord, EventSummaryRecord } from "./records";
import { configuredParts, logShard, MAX_DAYS_PER_PAGE, pageAcrossDays } from "./shard-client";
import { dayOf, dayOfId, groupByShard, shardFor } from "./shards";

/** Owners already entered in the directory by this isolate: one D1 write per owner and isolate at most. */
const knownOwners = new Set<string>();
const KNOWN_OWNERS_MAX = 10_000;

export async function rememberOwners(env: Env, ownerIds: string[], now = Date.now()): Promise<void> {
  const fresh = [...new Set(ownerIds)].filter((id) => !knownOwners.has(id));
  if (fresh.length === 0) return;
  const db = getDb(env.DB);
  for (let i = 0; i < fresh.length; i += 30) {
    const chunk = fresh.slice(i, i + 30);
    await db.insert(owners).values(chunk.map((ownerId) => ({ ownerId, tag: ownerTag(ownerId), createdAt: now }))).onConflictDoNothing();
  }
  if (knownOwners.size + fresh.length > KNOWN_OWNERS_MAX) knownOwners.clear();
  for (const id of fresh) knownOwners.add(id);
}

/** Stores routed events, one RPC per shard. Returns the ids that were already routed (redelivered messages). */
export async function writeEvents(env: Env, events: EventRecord[]): Promise<Set<string>> {
  const parts = configuredParts(env);
  const groups = groupByShard(events, (e) => shardFor("events", e.owner_id, e.id, parts));
  const seen = new Set<string>();
  await Promise.all(
    [...groups.values()].map(async ({ ref, items }) => {
      const result = await logShard(env, ref).putEvents(ref, items);
      for (const id of result.seen) seen.add(id);
    }),
  );
  return seen;
}

/** A payload too large for a queue message: stored in its shard before the event is queued. */
export async function storeLargePayload(env: Env, event: EventRecord): Promise<void> {
  const ref = shardFor("events", event.owner_id, event.id, configuredParts(env));
  await logShard(env, ref).putLargePayload(ref, event);
}

/** A replay routed the event to more endpoints: its record lists them too (event detail shows their deliveries). */
export async function addEventEndpoints(env: Env, event: EventRecord, endpointIds: string[]): Promise<void> {
  const db = getDb(env.DB);
  const day = dayOfId(event.id);
  const parts = await shardParts(db, "events", event.owner_id, day);
  await Promise.all(parts.map((part) => logShard(env, { kind: "events", key: event.owner_id, day, part }).addEventEndpoints(event.id, endpointIds)));
}

/** Events of one owner by id (any days), from the shards the directory lists for their days. */
export async function findOwnerEvents(env: Env, ownerId: string, ids: string[]): Promise<Map<string, EventRecord>> {
  const db = getDb(env.DB);
  const byDay = new Map<string, string[]>();
  for (const id of ids) byDay.set(dayOfId(id), [...(byDay.get(dayOfId(id)) ?? []), id]);
  const out = new Map<string, EventRecord>();
  await Promise.all(
    [...byDay].map(async ([day, dayIds]) => {
      const parts = await shardParts(db, "events", ownerId, day);
      const found = await Promise.all(parts.map((part) => logShard(env, { kind: "events", key: ownerId, day, part }).getEvents(dayIds)));
      for (const e of found.flat()) out.set(e.id, e);
    }),
  );
  return out;
}

/** Events of several owners by id (ids may repeat), one directory read per owner-day. */
export async function findEventsOfOwners(env: Env, wanted: { ownerId: string; id: string }[]): Promise<Map<string, EventRecord>> {
  const byOwner = new Map<string, Set<string>>();
  for (const w of wanted) byOwner.set(w.ownerId, (byOwner.get(w.ownerId) ?? new Set()).add(w.id));
  const out = new Map<string, EventRecord>();
  await Promise.all(
    [...byOwner].map(async ([ownerId, ids]) => {
      for (const [id, record] of await findOwnerEvents(env, ownerId, [...ids])) out.set(id, record);
    }),
  );
  return out;
}

/** The owners an event id may belong to (its tag; collisions are possible, so each is checked). */
async function ownersTagged(env: Env, eventId: string): Promise<string[]> {
  const rows = await getDb(env.DB).select({ ownerId: owners.ownerId }).from(owners).where(eq(owners.tag, eventOwnerTag(eventId))).all();
  return rows.map((r) => r.ownerId);
}

/** One event by id; `ownerId` when the caller knows it (owner keys), else found through the id's tag. */
export async function findEvent(env: Env, eventId: string, ownerId?: string): Promise<EventRecord | undefined> {
  const candidates = ownerId !== undefined ? [ownerId] : await ownersTagged(env, eventId);
  for (const owner of candidates) {
    const found = (await findOwnerEvents(env, owner, [eventId])).get(eventId);
    if (found) return found;
  }
  return undefined;
}

export interface EventPageQuery extends Omit<EventListQuery, "limit"> {
  ownerId: string;
  /** Rows wanted (limit + 1 for the next cursor). */
  want: number;
}

export async function listEvents(env: Env, q: EventPageQuery): Promise<EventSummaryRecord[]> {
  const days = await shardDays(getDb(env.DB), "events", q.ownerId, {
    beforeDay: q.beforeId !== undefined ? dayOfId(q.beforeId) : q.acceptedBefore !== undefined ? dayOf(q.acceptedBefore + 86_400_000) : undefined,
    // An event's day is its id's time, at most a day (idempotent retries) before it was accepted.
    fromDay: q.acceptedFrom !== undefined ? dayOf(q.acceptedFrom - 86_400_000) : undefined,
    maxDays: MAX_DAYS_PER_PAGE,
  });
  return pageAcrossDays(days, q.want, (day, part, want) =>
    logShard(env, { kind: "events", key: q.ownerId, day, part }).listEvents({
      beforeId: q.beforeId,
      eventType: q.eventType,
      acceptedFrom: q.acceptedFrom,
      acceptedBefore: q.acceptedBefore,
      limit: want,
    }),
  );
}
