/**
 * The paired test behind every claim verdict: a two-level (hierarchical) paired bootstrap.
 * Rows A and B were evaluated on the same test examples with the same seeds (the same
 * fine-tuning data order and head init), so the unit of comparison is the per-example score
 * difference d[seed][example]. Each replicate resamples seeds with replacement and, once for
 * all seeds, test examples with replacement, and takes the mean difference; the percentile
 * interval and a two-sided p-value (twice the smaller tail at 0) come from the replicates.
 * Resampling seeds carries the fine-tuning seed's variance; resampling examples carries the
 * test set's (Koehn 2004; Berg-Kirkpatrick et al. 2012; Bouthillier et al. 2021).
 */
import { Rng } from '@pretrain-lab/runtime/rng';

export interface PairedTest {
  /** Mean over seeds and examples of A - B. */
  diff: number;
  lo: number;
  hi: number;
  p: number;
  level: number;
  seeds: number;
  examples: number;
  resamples: number;
}

export interface PairedOptions {
  resamples?: number;
  seed?: number;
  level?: number;
}

export function pairedBootstrap(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
  opts: PairedOptions = {},
): PairedTest {
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  const S = a.length;
  if (S === 0 || S !== b.length) throw new Error(`pairedBootstrap: ${S} seeds in A, ${b.length} in B`);
  const N = a[0].length;
  const d: Float64Array[] = [];
  for (let s = 0; s < S; s++) {
    if (a[s].length !== N || b[s].length !== N)
      throw new Error(
        `pairedBootstrap: seed ${s} has ${a[s].length} and ${b[s].length} examples, expected ${N}`,
      );
    d.push(Float64Array.from(a[s], (x, i) => x - b[s][i]));
  }
  let total = 0;
  for (const row of d) for (const x of row) total += x;
  const diff = total / (S * N);
  const rng = new Rng(opts.seed ?? 0);
  const stats = new Float64Array(resamples);
  const idx = new Int32Array(N);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < N; i++) idx[i] = rng.int(N);
    let sum = 0;
    for (let k = 0; k < S; k++) {
      const row = d[S === 1 ? 0 : rng.int(S)];
      for (let i = 0; i < N; i++) sum += row[idx[i]];
    }
    stats[r] = sum / (S * N);
  }
  stats.sort();
  const q = (p: number) => stats[Math.min(resamples - 1, Math.max(0, Math.floor(p * resamples)))];
  let below = 0;
  let above = 0;
  for (const x of stats) {
    if (x <= 0) below++;
    if (x >= 0) above++;
  }
  const p = Math.min(1, (2 * Math.min(below, above)) / resamples);
  return {
    diff,
    lo: q((1 - level) / 2),
    hi: q(1 - (1 - level) / 2),
    p,
    level,
    seeds: S,
    examples: N,
    resamples,
  };
}

export type Verdict = 'supported' | 'not supported' | 'within noise';

/**
 * A claim about A - B: 'greater' (A beats B), 'less', or 'equal' within ±margin (an
 * equivalence test: supported when the whole interval lies inside the margin).
 * - greater/less: supported when the interval excludes 0 on the claimed side, not supported
 *   when it excludes 0 on the other side, within noise otherwise.
 * - equal: supported inside the margin; not supported when the interval excludes 0 and
 *   leaves the margin; within noise otherwise (too wide to tell).
 */
export function judge(
  t: PairedTest,
  claim: { direction: 'greater' | 'less' | 'equal'; margin?: number },
): Verdict {
  if (claim.direction === 'equal') {
    const m = claim.margin ?? 0.01;
    if (t.lo > -m && t.hi < m) return 'supported';
    if (t.lo > 0 || t.hi < 0) return 'not supported';
    return 'within noise';
  }
  const [lo, hi] = claim.direction === 'greater' ? [t.lo, t.hi] : [-t.hi, -t.lo];
  if (lo > 0) return 'supported';
  if (hi < 0) return 'not supported';
  return 'within noise';
}
