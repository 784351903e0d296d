/**
 * Nonparametric bootstrap (Efron): resample items (here: models) with replacement, refit,
 * and take the percentile interval of the statistic. Seeded, so the interval is reproducible.
 */
import { Mulberry32 } from './prng.js';

export interface BootstrapOptions<T> {
  /** Number of resamples (default 1000). */
  B?: number;
  seed: number;
  /** Coverage of the percentile interval (default 0.95 -> 2.5th and 97.5th percentiles). */
  level?: number;
  /**
   * Key whose distinct values must number at least `minDistinct` in a resample, otherwise the
   * resample is skipped (e.g. x, so a line is not fitted through one x value).
   */
  distinctKey?: (item: T) => number | string;
  minDistinct?: number;
}

export interface BootstrapResult {
  lo: number;
  hi: number;
  /** Resamples that produced a finite statistic. */
  used: number;
  /** Resamples skipped as degenerate or whose statistic failed. */
  skipped: number;
}

/** Percentile with linear interpolation between order statistics (R's type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile interval of `statistic` over `B` resamples of `items`. Returns null when fewer
 * than 10 resamples survive (too few for a percentile interval to mean anything).
 */
export function bootstrap<T>(
  items: readonly T[],
  statistic: (sample: T[]) => number,
  opts: BootstrapOptions<T>,
): BootstrapResult | null {
  const B = opts.B ?? 1000;
  const level = opts.level ?? 0.95;
  const minDistinct = opts.minDistinct ?? 2;
  const rng = new Mulberry32(opts.seed);
  const values: number[] = [];
  let skipped = 0;
  const n = items.length;
  for (let b = 0; b < B; b++) {
    const sample: T[] = new Array(n);
    for (let i = 0; i < n; i++) sample[i] = items[rng.int(n)];
    if (opts.distinctKey && new Set(sample.map(opts.distinctKey)).size < minDistinct) {
      skipped++;
      continue;
    }
    let v: number;
    try {
      v = statistic(sample);
    } catch {
      skipped++;
      continue;
    }
    if (Number.isFinite(v)) values.push(v);
    else skipped++;
  }
  if (values.length < 10) return null;
  values.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return { lo: quantile(values, tail), hi: quantile(values, 1 - tail), used: values.length, skipped };
}

export interface VectorBootstrapResult {
  /** Percentile interval of each component, in the order the statistic returns them. */
  intervals: [number, number][];
  used: number;
  skipped: number;
}

/**
 * Percentile intervals of a vector statistic over `B` resamples drawn by `draw` (which makes
 * one resample from the generator and returns the refitted statistic, or null when the
 * resample is degenerate or the refit fails). Null when fewer than 10 resamples survive.
 */
export function bootstrapVector(
  draw: (rng: Mulberry32) => number[] | null,
  opts: { B?: number; seed: number; level?: number },
): VectorBootstrapResult | null {
  const B = opts.B ?? 1000;
  const level = opts.level ?? 0.95;
  const rng = new Mulberry32(opts.seed);
  const columns: number[][] = [];
  let used = 0;
  let skipped = 0;
  for (let b = 0; b < B; b++) {
    let v: number[] | null;
    try {
      v = draw(rng);
    } catch {
      v = null;
    }
    if (!v?.every(Number.isFinite)) {
      skipped++;
      continue;
    }
    v.forEach((x, i) => {
      if (!columns[i]) columns[i] = [];
      columns[i].push(x);
    });
    used++;
  }
  if (used < 10) return null;
  const tail = (1 - level) / 2;
  const intervals = columns.map((c) => {
    const s = c.slice().sort((a, b) => a - b);
    return [quantile(s, tail), quantile(s, 1 - tail)] as [number, number];
  });
  return { intervals, used, skipped };
}

/** Items drawn with replacement within each group (a stratified resample), groups in order. */
export function resampleWithin<T>(groups: readonly (readonly T[])[], rng: Mulberry32): T[] {
  const out: T[] = [];
  for (const g of groups) for (let i = 0; i < g.length; i++) out.push(g[rng.int(g.length)]);
  return out;
}

/** Items drawn with replacement. */
export function resample<T>(items: readonly T[], rng: Mulberry32): T[] {
  return Array.from({ length: items.length }, () => items[rng.int(items.length)]);
}
