// Where history lives: one log shard (a LogShard Durable Object) per owner × day for events and per
// endpoint × day for deliveries, named in this one place. The day is the UTC day in the event id's time,
// so an id alone names its day, shards of one key never overlap in id range, and retention drops whole days.
// A shard too hot or too big for one object splits by a hash of the id into `parts` (HISTORY_SHARD_PARTS,
// fixed per day when the day's first write picks it; readers take the parts a day has from the directory).
import { idTimestamp } from "../domain/ids";

export type ShardKind = "events" | "deliveries";

export interface ShardRef {
  kind: ShardKind;
  /** Owner id (events) or endpoint id (deliveries). */
  key: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  part: number;
}

export const DAY_MS = 86_400_000;

export function dayOf(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`);
}

/** The day an event, delivery or attempt id belongs to (the time its event id carries). */
export function dayOfId(id: string): string {
  return dayOf(idTimestamp(id) ?? 0);
}

/** Which of `parts` an id goes to: FNV-1a of the id, so every writer and reader agrees without a lookup. */
export function partOf(id: string, parts: number): number {
  if (parts <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h % parts;
}

export function shardName(ref: ShardRef): string {
  return `${ref.kind}:${ref.key}:${ref.day}:${ref.part}`;
}

export function shardFor(kind: ShardKind, key: string, id: string, parts: number): ShardRef {
  return { kind, key, day: dayOfId(id), part: partOf(id, parts) };
}

/** Groups items by the shard each belongs to. */
export function groupByShard<T>(items: T[], refOf: (item: T) => ShardRef): Map<string, { ref: ShardRef; items: T[] }> {
  const out = new Map<string, { ref: ShardRef; items: T[] }>();
  for (const item of items) {
    const ref = refOf(item);
    const name = shardName(ref);
    const group = out.get(name) ?? { ref, items: [] };
    group.items.push(item);
    out.set(name, group);
  }
  return out;
}
