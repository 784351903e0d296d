import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import { judge, pairedBootstrap } from './paired.js';

/** Per-example 0/1 scores for `seeds` seeds, each correct with probability p. */
function scores(seeds: number, n: number, p: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: seeds }, () => Array.from({ length: n }, () => (rng.float() < p ? 1 : 0)));
}

describe('pairedBootstrap', () => {
  it('is deterministic for a seed and gives the observed mean difference', () => {
    const a = scores(3, 200, 0.7, 1);
    const b = scores(3, 200, 0.6, 2);
    const t = pairedBootstrap(a, b, { seed: 4 });
    expect(pairedBootstrap(a, b, { seed: 4 })).toEqual(t);
    const mean = (m: number[][]) => m.flat().reduce((x, y) => x + y, 0) / m.flat().length;
    expect(t.diff).toBeCloseTo(mean(a) - mean(b), 12);
    expect(t.lo).toBeLessThanOrEqual(t.diff);
    expect(t.hi).toBeGreaterThanOrEqual(t.diff);
    expect({ seeds: t.seeds, examples: t.examples }).toEqual({ seeds: 3, examples: 200 });
  });

  it('finds a planted 15-point gain and calls a zero effect noise', () => {
    const b = scores(3, 500, 0.6, 3);
    const better = b.map((row, s) => row.map((x, i) => (x === 0 && (i * 7 + s) % 3 === 0 ? 1 : x)));
    const t = pairedBootstrap(better, b);
    expect(t.lo).toBeGreaterThan(0.05);
    expect(t.p).toBeLessThan(0.01);
    expect(judge(t, { direction: 'greater' })).toBe('supported');
    expect(judge(t, { direction: 'less' })).toBe('not supported');
    const same = pairedBootstrap(b, b);
    expect(same.diff).toBe(0);
    expect(judge(same, { direction: 'greater' })).toBe('within noise');
    expect(judge(same, { direction: 'equal', margin: 0.02 })).toBe('supported');
  });

  it('covers the true difference about 95% of the time', () => {
    let covered = 0;
    const trials = 60;
    for (let k = 0; k < trials; k++) {
      const a = scores(2, 300, 0.55, 100 + k);
      const b = scores(2, 300, 0.5, 500 + k);
      const t = pairedBootstrap(a, b, { resamples: 400, seed: k });
      if (t.lo <= 0.05 && 0.05 <= t.hi) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.85);
  });

  it('rejects unpaired inputs', () => {
    expect(() =>
      pairedBootstrap(
        [[1, 0]],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    ).toThrow(/1 seeds in A, 2 in B/);
    expect(() => pairedBootstrap([[1, 0]], [[1]])).toThrow(/examples/);
  });
});

describe('judge', () => {
  const t = (lo: number, hi: number) => ({
    diff: (lo + hi) / 2,
    lo,
    hi,
    p: 0,
    level: 0.95,
    seeds: 3,
    examples: 100,
    resamples: 1,
  });
  it('applies the stated rules', () => {
    expect(judge(t(0.01, 0.05), { direction: 'greater' })).toBe('supported');
    expect(judge(t(-0.05, -0.01), { direction: 'greater' })).toBe('not supported');
    expect(judge(t(-0.05, -0.01), { direction: 'less' })).toBe('supported');
    expect(judge(t(-0.01, 0.05), { direction: 'greater' })).toBe('within noise');
    expect(judge(t(-0.01, 0.015), { direction: 'equal', margin: 0.02 })).toBe('supported');
    expect(judge(t(0.01, 0.05), { direction: 'equal', margin: 0.02 })).toBe('not supported');
    expect(judge(t(-0.03, 0.05), { direction: 'equal', margin: 0.02 })).toBe('within noise');
  });
});
