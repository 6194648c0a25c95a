// The EndpointDO's single alarm: its time kept in memory (this object is the only one that sets it), each
// setAlarm() counted as the billed write it is, and the watchdog rule that brings a dead object back.
import { count } from "../observability/counters";

export class AlarmKeeper {
  /** The armed alarm (null: none; undefined: not read from storage yet). */
  private at: number | null | undefined = undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** The alarm fired: none is armed now. */
  fired(): void {
    this.at = null;
  }

  async current(): Promise<number | null> {
    if (this.at === undefined) this.at = await this.storage.getAlarm();
    return this.at;
  }

  /** Each setAlarm() is billed as a row written: counted like one. */
  async arm(at: number): Promise<void> {
    count("do_sql_rows_written");
    await this.storage.setAlarm(at);
    this.at = at;
  }

  /** Arms `at` unless it is armed already. */
  async armAt(at: number): Promise<void> {
    if ((await this.current()) !== at) await this.arm(at);
  }

  /**
   * Watchdog: while a run goes on, the alarm is armed between `now + minMs` (not before an attempt in flight
   * can have ended) and `now + maxMs`, so an object that dies mid-run is brought back soon — its rows, or its
   * recovery mark, are still there. An alarm already in that span is left alone: back-to-back runs of single
   * deliveries write it about once per headroom, not once each.
   */
  async ensureWatchdog(now: number, minMs: number, maxMs: number): Promise<void> {
    const at = await this.current();
    if (at !== null && at >= now + minMs && at <= now + maxMs) return;
    await this.arm(now + maxMs);
  }
}
