// Finding fresh work again after the object lost its memory (evicted, reset, redeployed mid-drain).
// Fresh deliveries (fresh-work.ts) are not stored here one by one: their events are in the owner's history
// shard, listing this endpoint. One mark in storage says how far back that may matter: every delivery whose
// event was accepted before it is settled (in history, or an in-flight row). On start, the events from the
// mark to the start are read again, and each delivery to this endpoint that history does not hold becomes an
// in-flight row. The mark is written when fresh work arrives older than it, moved up at most every
// MARK_REFRESH_MS while the endpoint is busy, moved past a large spell once it is all settled, and cleared
// after MARK_IDLE_MS with nothing unsettled: rows written for it are per busy spell, not per delivery.
import { deliveryId } from "../domain/ids";
import type { Env } from "../env";
import { findDeliveries } from "../history/delivery-history";
import { findOwnerEvents, listEvents } from "../history/event-history";
import type { DeliveryWork } from "./contracts";
import type { EndpointStore } from "./endpoint-store";

const MARK_KEY = "unsettled_since";
/** The mark sits this far before the oldest unsettled event: handoffs arrive a little out of order. */
const MARK_SLACK_MS = 5_000;
/** While busy, the mark moves up at most this often (one row written each time). */
const MARK_REFRESH_MS = 30_000;
/** With nothing unsettled for this long, the mark is cleared: a later start reads no events at all. */
export const MARK_IDLE_MS = 30_000;
/** Events read per page of a recovery scan, and pages per alarm run (the rest continues in the next run). */
const SCAN_PAGE = 200;
const SCAN_PAGES_PER_RUN = 50;
/**
 * A spell that handed over at least this many fresh deliveries moves the mark past itself once all of it is
 * settled: one row written, so that a restart before the idle clearing (an eviction; locally objects are
 * evicted within seconds) does not read the whole spell's events again and look each delivery up in history.
 */
const SPELL_WORTH_SKIPPING = SCAN_PAGE;

export class RecoveryMark {
  private mark: number | null;
  /** Events from `from` to `to` (this object's start) may hold deliveries lost from an earlier instance's memory. */
  private scan: { from: number; to: number; beforeId?: string } | null;
  /** Fresh deliveries handed over since the mark was last written: what a restart's scan would read again. */
  private coveredSinceWrite = 0;

  constructor(
    private readonly store: EndpointStore,
    startedAt: number,
  ) {
    const stored = store.getMeta(MARK_KEY);
    this.mark = stored === null ? null : Number(stored);
    this.scan = this.mark === null ? null : { from: this.mark, to: startedAt };
  }

  get scanPending(): boolean {
    return this.scan !== null;
  }

  /** Before a fresh delivery is kept in memory: the mark must be at or before its event. Call inside the enqueue transaction. */
  cover(acceptedAt: number): void {
    if (this.mark === null || this.mark > acceptedAt) this.write(acceptedAt - MARK_SLACK_MS);
    this.coveredSinceWrite++;
  }

  /**
   * After a run: moves the mark up to the oldest unsettled event, or clears it once idle long enough.
   * Returns when to look again (the idle clearing), or null.
   */
  settle(oldestUnsettled: number | null, lastActivity: number, now: number): number | null {
    const floors = [oldestUnsettled, this.scan?.from ?? null].filter((t): t is number => t !== null);
    if (floors.length === 0) {
      if (this.mark === null) return null;
      // Everything handed over so far is settled: the mark may pass all of it (a late handoff of an older
      // event moves it back in cover()).
      if (this.coveredSinceWrite >= SPELL_WORTH_SKIPPING) this.write(now);
      if (now - lastActivity < MARK_IDLE_MS) return lastActivity + MARK_IDLE_MS;
      this.store.deleteMeta(MARK_KEY);
      this.mark = null;
      return null;
    }
    const wanted = Math.min(...floors) - MARK_SLACK_MS;
    if (this.mark === null || this.mark > wanted || wanted - this.mark >= MARK_REFRESH_MS) this.write(wanted);
    return null;
  }

  /**
   * One step of recovery, if one is due: the lost deliveries found go to `store` (as rows). False when
   * history could not be read (the scan is retried in the next run).
   */
  async recover(
    env: Env,
    ids: { endpointId: string | null; ownerId: string | null },
    isHere: (deliveryId: string) => boolean,
    store: (lost: DeliveryWork[]) => void,
  ): Promise<boolean> {
    if (!this.scan) return true;
    const { endpointId, ownerId } = ids;
    // Never handed any work (no ids remembered), so there is nothing to look for.
    if (endpointId === null || ownerId === null) return (this.scan = null), true;
    try {
      const lost = await this.scanStep(env, { endpointId, ownerId }, isHere);
      store(lost);
      if (lost.length > 0) console.log(JSON.stringify({ level: "info", msg: "recovered fresh deliveries", endpoint_id: endpointId, count: lost.length }));
      return true;
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "recovery scan failed; retried in the next run", error: String(err) }));
      return false;
    }
  }

  /**
   * Reads one stretch of the scan and returns the deliveries to this endpoint that are neither here nor in
   * history (to be stored as in-flight rows). Marks the scan done when it reached the mark.
   */
  private async scanStep(env: Env, target: { endpointId: string; ownerId: string }, isHere: (deliveryId: string) => boolean): Promise<DeliveryWork[]> {
    const scan = this.scan;
    if (!scan) return [];
    const lost: DeliveryWork[] = [];
    for (let page = 0; page < SCAN_PAGES_PER_RUN; page++) {
      const events = await listEvents(env, {
        ownerId: target.ownerId,
        acceptedFrom: scan.from - 1,
        acceptedBefore: scan.to,
        beforeId: scan.beforeId,
        want: SCAN_PAGE,
      });
      const routedHere = events.filter((e) => e.endpoints?.includes(target.endpointId));
      const ids = new Map(await Promise.all(routedHere.map(async (e) => [await deliveryId(e.id, target.endpointId), e] as const)));
      const unknown = [...ids.keys()].filter((id) => !isHere(id));
      if (unknown.length > 0) {
        const finished = await findDeliveries(env, unknown);
        const missing = unknown.filter((id) => !finished.has(id));
        const full = missing.length ? await findOwnerEvents(env, target.ownerId, missing.map((id) => ids.get(id)!.id)) : new Map();
        for (const id of missing) {
          const e = ids.get(id)!;
          const event = full.get(e.id);
          if (!event) continue; // pruned by retention meanwhile: nothing left to deliver
          lost.push({
            delivery_id: id, event_id: e.id, endpoint_id: target.endpointId, owner_id: e.owner_id,
            event_type: e.event_type, payload: event.payload, accepted_at: e.accepted_at, attempts: 0, attempts_in_run: 0,
          });
        }
      }
      if (events.length < SCAN_PAGE) {
        this.scan = null;
        return lost;
      }
      scan.beforeId = events[events.length - 1]!.id;
    }
    return lost;
  }

  private write(at: number): void {
    this.store.setMeta(MARK_KEY, String(at));
    this.mark = at;
    this.coveredSinceWrite = 0;
  }
}
