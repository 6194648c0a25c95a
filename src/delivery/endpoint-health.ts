// The endpoint's consecutive-failure counters, owned by its EndpointDO: updated per attempt in the object's
// storage (only when they change: a success on a healthy endpoint writes nothing), and copied to D1 when
// health-sync.ts says it matters.
import type { Config } from "../config";
import type { Env } from "../env";
import type { AttemptResult } from "./classify";
import type { EndpointStore } from "./endpoint-store";
import { afterFailure, afterSuccess, type DisableReason, type FailureCounters } from "./failure-tracker";
import { healthWriteDue, writeHealth, type HealthSync } from "./health-sync";

const HEALTHY: FailureCounters = { consecutiveFailures: 0, failingSince: null, failureEpisode: 0 };

function sameCounters(a: FailureCounters, b: FailureCounters): boolean {
  return a.consecutiveFailures === b.consecutiveFailures && a.failingSince === b.failingSince && a.failureEpisode === b.failureEpisode;
}

export class EndpointHealth {
  private lastWrittenAt = 0;

  constructor(
    private readonly env: Env,
    private readonly store: EndpointStore,
  ) {}

  /** The stored counters' text and its parse: read on every attempt, changed rarely. */
  private parsed: { text: string; counters: FailureCounters } | null = null;

  private counters(): FailureCounters {
    const stored = this.store.getMeta("counters");
    if (stored === null) return HEALTHY;
    if (this.parsed?.text !== stored) this.parsed = { text: stored, counters: JSON.parse(stored) as FailureCounters };
    return this.parsed.counters;
  }

  /**
   * D1's counters, as just read, are taken when this object has none yet, or when D1 says healthy while this
   * object counts failures and owes D1 no write: only a re-enable (which resets D1's count) does that, since
   * every episode start is written to D1.
   */
  adopt(fromD1: FailureCounters): void {
    const stored = this.store.getMeta("counters");
    const mine = stored ? (JSON.parse(stored) as FailureCounters) : null;
    const resetInD1 = fromD1.consecutiveFailures === 0 && fromD1.failingSince === null && (mine?.consecutiveFailures ?? 0) > 0 && !this.pending();
    if (mine === null || resetInD1) {
      this.store.setMeta("counters", JSON.stringify({ ...fromD1, failureEpisode: Math.max(fromD1.failureEpisode, mine?.failureEpisode ?? 0) }));
    }
  }

  /** Whether record() of a success would write nothing: no failures are counted. */
  successWritesNothing(): boolean {
    const previous = this.counters();
    return previous.consecutiveFailures === 0 && previous.failingSince === null;
  }

  /** Records one attempt's outcome; returns the reason when it disables the endpoint. Inside the caller's transaction. */
  record(success: boolean, gone: boolean, result: AttemptResult, now: number, cfg: Config): DisableReason | null {
    const previous = this.counters();
    let next: FailureCounters;
    let disable: DisableReason | null = null;
    if (success) {
      next = afterSuccess(previous);
    } else {
      const u = afterFailure(previous, now, { disableAfter: cfg.failureDisableAfter, disableMinSeconds: cfg.failureDisableMinSeconds }, gone);
      next = u.counters;
      disable = u.disable;
    }
    // Written only when a counter changes (none stored yet means healthy): most attempts write nothing.
    if (!sameCounters(previous, next)) this.store.setMeta("counters", JSON.stringify(next));
    if (disable || healthWriteDue(previous, next, cfg.failureWarnAfter, this.lastWrittenAt, now)) {
      const sync: HealthSync = {
        counters: next,
        lastStatusCode: result.statusCode,
        lastError: result.error,
        lastAttemptAt: now,
        disable: disable ? { reason: disable, at: now } : (this.pendingSync()?.disable ?? null),
      };
      this.store.setMeta("health_sync", JSON.stringify(sync));
      this.lastWrittenAt = now;
    }
    return disable;
  }

  private pendingSync(): HealthSync | null {
    const stored = this.store.getMeta("health_sync");
    return stored ? (JSON.parse(stored) as HealthSync) : null;
  }

  pending(): boolean {
    return this.store.getMeta("health_sync") !== null;
  }

  /** Writes a pending health change to D1; false when D1 refused (it stays pending). */
  async flush(endpointId: string | null, ownerId: string | null): Promise<boolean> {
    const sync = this.pendingSync();
    if (!sync || !endpointId || !ownerId) return true;
    try {
      await writeHealth(this.env, endpointId, ownerId, sync);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "endpoint health write failed; kept for the next run", endpoint_id: endpointId, error: String(err) }));
      return false;
    }
    // A newer change recorded during the write stays for the next flush.
    if (this.store.getMeta("health_sync") === JSON.stringify(sync)) this.store.deleteMeta("health_sync");
    return true;
  }

  /** For tests and inspect: the counters now. */
  current(): FailureCounters {
    return this.counters();
  }
}
