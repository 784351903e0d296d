/** Mean and sample standard deviation over seeds, as experiment summaries report them. */
export interface MeanStd {
  mean: number;
  std: number;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export function meanStd(xs: readonly number[]): MeanStd {
  return { mean: mean(xs), std: sampleStd(xs) };
}
