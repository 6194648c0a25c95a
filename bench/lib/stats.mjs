// Small, exact statistics over recorded samples: percentiles (nearest-rank), means, rates and ratios.

/** Nearest-rank percentile of an ascending-sorted array; null when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median of the numbers among `xs` (the lower middle of an even count: nearest-rank p50); null when none. */
export function median(xs) {
  return percentile((Array.isArray(xs) ? xs : []).filter((x) => typeof x === "number").sort((a, b) => a - b), 50);
}

/** p50/p90/p99/max/mean (ms, 2 decimals) of latency samples. */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0, p50_ms: null, p90_ms: null, p99_ms: null, max_ms: null, mean_ms: null };
  let sum = 0;
  for (const v of sorted) sum += v; // Infinity (a censored sample) makes the mean null, as it should
  return {
    count: n,
    p50_ms: r2(percentile(sorted, 50)),
    p90_ms: r2(percentile(sorted, 90)),
    p99_ms: r2(percentile(sorted, 99)),
    max_ms: r2(sorted[n - 1]),
    mean_ms: r2(sum / n),
  };
}

export function r2(x) {
  return x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 100) / 100;
}

export function r1(x) {
  return x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10) / 10;
}

/** a / b rounded, or null when either is missing or b is 0. */
export function ratio(a, b, digits = 3) {
  if (a === null || a === undefined || !b) return null;
  const f = 10 ** digits;
  return Math.round((a / b) * f) / f;
}
