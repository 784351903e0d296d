import { describe, expect, it } from 'vitest';
import {
  CHINCHILLA_STARTS,
  COARSE_STARTS,
  fitParametric,
  type LossPoint,
  parametricLoss,
  parametricNopt,
  parametricObjective,
} from './parametric.js';
import { Mulberry32 } from './prng.js';

const law = { E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28 };

function grid(noise: number, seed = 1): LossPoint[] {
  const rng = new Mulberry32(seed);
  const pts: LossPoint[] = [];
  for (const C of [1e17, 1e18, 1e19, 1e20]) {
    for (const N of [3e7, 1e8, 3e8, 1e9, 3e9]) {
      const D = C / (6 * N);
      pts.push({ N, D, loss: parametricLoss(law, N, D) * Math.exp(noise * rng.normal()) });
    }
  }
  return pts;
}

describe('parametricObjective', () => {
  it('has the gradient of its value (finite differences)', () => {
    const fg = parametricObjective(grid(0.01), 0.05);
    const theta = [6, 6, 0.5, 0.3, 0.3];
    const { g } = fg(theta);
    for (let i = 0; i < 5; i++) {
      const h = 1e-6;
      const up = theta.slice();
      const dn = theta.slice();
      up[i] += h;
      dn[i] -= h;
      expect(g[i]).toBeCloseTo((fg(up).f - fg(dn).f) / (2 * h), 5);
    }
  });
});

describe('fitParametric (Chinchilla approach 3)', () => {
  it('Chinchilla’s start grid has 4,500 points, the coarse one 32', () => {
    expect(CHINCHILLA_STARTS).toHaveLength(4500);
    expect(COARSE_STARTS).toHaveLength(32);
  });

  it('recovers a known law from noiseless points, and the implied a = beta / (alpha + beta)', () => {
    const f = fitParametric(grid(0), { starts: COARSE_STARTS });
    expect(f.alpha).toBeCloseTo(law.alpha, 2);
    expect(f.beta).toBeCloseTo(law.beta, 2);
    expect(f.E).toBeCloseTo(law.E, 1);
    expect(f.a).toBeCloseTo(law.beta / (law.alpha + law.beta), 2);
    expect(f.a + f.b).toBeCloseTo(1, 12);
    // N_opt from G matches minimising the fitted loss along C = 6 N D.
    const C = 1e19;
    let best = { N: 0, L: Number.POSITIVE_INFINITY };
    for (let u = Math.log(1e6); u < Math.log(1e11); u += 0.001) {
      const N = Math.exp(u);
      const L = parametricLoss(f, N, C / (6 * N));
      if (L < best.L) best = { N, L };
    }
    expect(parametricNopt(f, C) / best.N).toBeCloseTo(1, 2);
  });

  it('with 0.5% noise stays near the truth', () => {
    const f = fitParametric(grid(0.005, 7), { starts: COARSE_STARTS });
    expect(Math.abs(f.a - 0.4516)).toBeLessThan(0.05);
  });

  it('refuses too few or degenerate points', () => {
    expect(() => fitParametric(grid(0).slice(0, 4))).toThrow(/at least 5/);
    expect(() => fitParametric(grid(0).map((p) => ({ ...p, N: 1e8 })))).toThrow(/2 distinct N/);
    expect(() => fitParametric([{ N: 1, D: 1, loss: -1 }])).toThrow(/need N, D, loss > 0/);
  });
});
