/** Mean, median and 90th percentile of a set of durations (ms); null when the set is empty. */
export interface DurationStats {
  count: number;
  meanMs: number | null;
  medianMs: number | null;
  p90Ms: number | null;
}

/**
 * The statistics a report shows for one measure. Percentiles interpolate linearly between the
 * two nearest values (rank p·(n−1), as spreadsheets' PERCENTILE and numpy's default do), so the
 * median of an even count is the mean of its two middle values. Rounded to the millisecond.
 */
export function durationStats(values: readonly number[]): DurationStats {
  if (values.length === 0) return { count: 0, meanMs: null, medianMs: null, p90Ms: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return { count: sorted.length, meanMs: Math.round(mean), medianMs: Math.round(percentile(sorted, 0.5)), p90Ms: Math.round(percentile(sorted, 0.9)) };
}

/** The p-th percentile (0–1) of sorted values, interpolated. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}
