/** Order statistics for a handful of runs. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank on the sorted sample (p99 of 200 samples is the 198th value).
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  if (q === 0.5 && sorted.length % 2 === 0) return (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return sorted[rank]!;
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter((value) => Number.isFinite(value));
  return {
    n: finite.length,
    median: quantile(finite, 0.5),
    min: finite.length ? Math.min(...finite) : Number.NaN,
    max: finite.length ? Math.max(...finite) : Number.NaN,
  };
}

/** Per-run ratios a[i] / b[i] (paired runs share the machine's load at that moment). */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value / b[i]!).filter((value) => Number.isFinite(value));
}

/** median, p90 (nearest rank), min, max of a column. */
export function dist(values: readonly number[]): Summary & { p90: number } {
  return { ...summarize(values), p90: quantile(values.filter(Number.isFinite), 0.9) };
}
