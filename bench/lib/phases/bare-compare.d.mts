// Types for the pure parts of bare-compare.mjs that test/unit/bench-verdicts.test.ts imports.
export function backlogGrowing(run: unknown): boolean | null;
export function compareWithBare(phases: Record<string, unknown>): {
  fanout: {
    bare_deliveries_per_s: number | null;
    hookrelay_deliveries_per_s: number | null;
    ratio_hookrelay_to_bare: number | null;
    cpu_ratio_hookrelay_to_bare: number | null;
  };
  single: { ratio_p50_hookrelay_to_bare: number | null; ratio_p99_hookrelay_to_bare: number | null };
  single_same_front: { ratio_p50_hookrelay_to_bare_front: number | null; ratio_p99_hookrelay_to_bare_front: number | null } | null;
  floor: {
    fanout_deliveries_per_s: number | null;
    fanout_ratio_floor_to_bare: number | null;
    fanout_ratio_hookrelay_to_floor: number | null;
    fanout_cpu_ratio_floor_to_bare: number | null;
    single_ratio_p50_floor_to_bare: number | null;
    single_ratio_p50_hookrelay_to_floor: number | null;
  } | null;
  targets: Record<string, boolean | null>;
  /** Why the single-endpoint targets are null: the rounds ran at another rate than issue 14's (--single-rate). */
  targets_note: string | null;
};
/** The rate issue 14's single-endpoint targets are set at (events/s). */
export const ISSUE_14_SINGLE_RATE: number;
export function medianPair<P extends { ratio: number | null }>(pairs: P[], opts?: { lowerIsBetter?: boolean }): P;
