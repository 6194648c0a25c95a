// The due order of an EndpointDO's queued work, kept in memory so the work table needs no index (each index
// entry is a billed row per delivery). Holds exactly the queued rows whose (due, seq) is at or before a
// horizon, sorted; rows past it stay in storage and come in a page at a time when the index runs dry.
import type { DueKey } from "./endpoint-store";

/** Rows read per refill: a refill scans the table once, so this amortises it over that many attempts. */
export const DUE_PAGE = 500;

function before(a: { due: number; seq: number }, b: { due: number; seq: number }): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

export class DueIndex {
  private keys: DueKey[] = [];
  private loaded = false;
  /** Every queued row at or before this is in `keys`; null = all of them are (the last page was short). */
  private horizon: { due: number; seq: number } | null = null;

  constructor(private readonly page: (after: { due: number; seq: number } | null, limit: number) => DueKey[]) {}

  private ensure(): void {
    if (this.loaded && (this.keys.length > 0 || this.horizon === null)) return;
    const after = this.loaded ? this.horizon : null;
    const rows = this.page(after, DUE_PAGE);
    this.keys.push(...rows);
    this.horizon = rows.length < DUE_PAGE ? null : rows[rows.length - 1]!;
    this.loaded = true;
  }

  /** A row that became queued (new, restarted or rescheduled). Its old key, if any, must be removed first. */
  add(key: DueKey): void {
    if (!this.loaded) return; // the first load reads it from storage
    if (this.horizon !== null && !before(key, this.horizon)) return; // a later refill reads it
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.keys[mid]!, key)) lo = mid + 1;
      else hi = mid;
    }
    this.keys.splice(lo, 0, key);
  }

  remove(id: string): void {
    const i = this.keys.findIndex((k) => k.id === id);
    if (i >= 0) this.keys.splice(i, 1);
  }

  /** The earliest queued row not in `skip`, without taking it. Rows in `skip` are dropped (they are busy). */
  peek(skip: (id: string) => boolean): DueKey | undefined {
    for (;;) {
      this.ensure();
      while (this.keys.length > 0 && skip(this.keys[0]!.id)) this.keys.shift();
      if (this.keys.length > 0 || this.horizon === null) return this.keys[0];
    }
  }

  take(): DueKey | undefined {
    return this.keys.shift();
  }

  /** Forget everything: the next peek reloads from storage (after an error left the memory in doubt). */
  reset(): void {
    this.keys = [];
    this.loaded = false;
    this.horizon = null;
  }

  get size(): number {
    return this.keys.length;
  }
}
