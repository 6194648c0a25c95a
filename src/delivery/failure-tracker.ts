// Pure consecutive-failure bookkeeping for one endpoint: episodes, and when to disable it.
// The EndpointDO owns these counters and writes them (absolute values) to the endpoints row.

export interface FailureCounters {
  consecutiveFailures: number;
  /** Epoch ms the current run of failures began; null while healthy. */
  failingSince: number | null;
  /** Increments when a run of failures begins; notifications are sent once per episode. */
  failureEpisode: number;
}

export interface FailureThresholds {
  disableAfter: number;
  disableMinSeconds: number;
}

export type DisableReason = "consecutive_failures" | "gone_410";

export interface FailureUpdate {
  counters: FailureCounters;
  /** Set when this attempt disables the endpoint. */
  disable: DisableReason | null;
}

export function afterSuccess(counters: FailureCounters): FailureCounters {
  return { consecutiveFailures: 0, failingSince: null, failureEpisode: counters.failureEpisode };
}

export function afterFailure(
  counters: FailureCounters,
  nowMs: number,
  thresholds: FailureThresholds,
  gone: boolean,
): FailureUpdate {
  const starting = counters.consecutiveFailures === 0 || counters.failingSince === null;
  const next: FailureCounters = {
    consecutiveFailures: counters.consecutiveFailures + 1,
    failingSince: starting ? nowMs : counters.failingSince,
    failureEpisode: starting ? counters.failureEpisode + 1 : counters.failureEpisode,
  };
  if (gone) return { counters: next, disable: "gone_410" };
  const spanMs = nowMs - (next.failingSince ?? nowMs);
  const disable =
    next.consecutiveFailures >= thresholds.disableAfter && spanMs >= thresholds.disableMinSeconds * 1000
      ? "consecutive_failures"
      : null;
  return { counters: next, disable };
}
