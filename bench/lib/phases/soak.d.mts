// Types for the pure parts of soak.mjs that test/unit/bench-verdicts.test.ts imports.
export interface RssSample {
  at: number;
  t_s: number;
  [key: string]: number | null;
}
export interface RssSummary {
  at_load_start_mib: number;
  plateau_mib: number;
  peak_mib: number;
  at_end_mib: number;
  slope_last_third_mib_per_min: number | null;
}
export function rssSummary(samples: RssSample[], name: string, from: number, to: number): RssSummary | null;
export function soakTargets(hr: unknown, bare: unknown): { plateau_ratio_hookrelay_to_bare: number | null; targets: Record<string, boolean | null> };
export function startRssSampler(trees: Record<string, number | undefined>, everyS: number): { samples: RssSample[]; stop(): void };
export function runSoak(ctx: unknown, options: unknown): Promise<unknown>;
