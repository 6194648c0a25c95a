// Types for the parts of stats.mjs that test/unit/bench-verdicts.test.ts imports.
/** The median of the numbers among `xs` (the lower middle of an even count: nearest-rank p50); null when none. */
export function median(xs: unknown): number | null;
