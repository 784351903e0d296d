import { describe, expect, it } from 'vitest';
import { bootstrap, quantile } from './bootstrap.js';
import { fitPowerLaw } from './fits.js';
import { Mulberry32 } from './prng.js';

interface Pt {
  x: number;
  y: number;
}
const slope = (s: Pt[]) =>
  fitPowerLaw(
    s.map((p) => p.x),
    s.map((p) => p.y),
  ).a;

function noisyLaw(seed: number, n: number, a: number, sigma: number): Pt[] {
  const rng = new Mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = 10 ** (5 + (3 * i) / (n - 1));
    return { x, y: (1e12 / x) ** a * Math.exp(sigma * rng.normal()) };
  });
}

describe('quantile', () => {
  it('interpolates between order statistics (type 7)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('bootstrap', () => {
  it('is reproducible for a seed and changes with it', () => {
    const pts = noisyLaw(1, 12, 0.1, 0.02);
    const opts = { B: 300, distinctKey: (p: Pt) => p.x };
    const a = bootstrap(pts, slope, { ...opts, seed: 5 });
    expect(bootstrap(pts, slope, { ...opts, seed: 5 })).toEqual(a);
    expect(bootstrap(pts, slope, { ...opts, seed: 6 })).not.toEqual(a);
  });

  it('95% intervals cover the true exponent in about 95% of noisy data sets', () => {
    let covered = 0;
    const trials = 60;
    for (let t = 0; t < trials; t++) {
      const ci = bootstrap(noisyLaw(100 + t, 20, 0.076, 0.01), slope, {
        B: 400,
        seed: t,
        distinctKey: (p) => p.x,
      });
      if (ci && ci.lo <= 0.076 && 0.076 <= ci.hi) covered++;
    }
    // Percentile intervals undercover a little at n = 20; 60 trials give a binomial sd of ~3%.
    expect(covered / trials).toBeGreaterThan(0.8);
  });

  it('skips degenerate resamples (fewer than 2 distinct x)', () => {
    const pts = noisyLaw(2, 3, 0.1, 0.01);
    const r = bootstrap(pts, slope, { B: 1000, seed: 1, distinctKey: (p) => p.x });
    expect(r).not.toBeNull();
    // P(all three draws equal) = 3 / 27 = 1/9.
    expect(r?.skipped).toBeGreaterThan(60);
    expect(r?.skipped).toBeLessThan(170);
    expect((r?.used ?? 0) + (r?.skipped ?? 0)).toBe(1000);
  });

  it('returns null when almost every resample is degenerate', () => {
    const pts = [
      { x: 1, y: 1 },
      { x: 2, y: 0.5 },
    ];
    expect(bootstrap(pts, slope, { B: 15, seed: 0, distinctKey: (p) => p.x })).toBeNull();
  });
});
