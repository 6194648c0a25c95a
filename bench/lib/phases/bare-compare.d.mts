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
};
export function medianPair<P extends { ratio: number | null }>(pairs: P[], opts?: { lowerIsBetter?: boolean }): P;
