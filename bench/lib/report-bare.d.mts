// Types for report-bare.mjs as test/unit/bench-verdicts.test.ts uses it.
/** The "beside the bare pipeline" section of the results markdown, one string per line. */
export function renderBareComparison(res: { vs_bare: unknown; phases: Record<string, unknown> }): string[];
