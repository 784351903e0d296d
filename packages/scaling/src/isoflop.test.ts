import { describe, expect, it } from 'vitest';
import {
  fitApproach2,
  fitIsoflopProfile,
  fitLine,
  fitParabola,
  groupByBudget,
  type IsoflopRun,
} from './isoflop.js';
import { parametricLoss } from './parametric.js';

const law = { E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28 };

function profile(C: number, Ns: number[]): IsoflopRun[] {
  return Ns.map((N) => ({ budget: C, N, D: C / (6 * N), loss: parametricLoss(law, N, C / (6 * N)) }));
}

describe('fitParabola and fitLine', () => {
  it('recover exact coefficients', () => {
    const xs = [1, 2, 3, 4, 5];
    const [c0, c1, c2] = fitParabola(
      xs,
      xs.map((x) => 3 - 2 * x + 0.5 * x * x),
    );
    expect(c0).toBeCloseTo(3, 10);
    expect(c1).toBeCloseTo(-2, 10);
    expect(c2).toBeCloseTo(0.5, 10);
    const l = fitLine([0, 1, 2], [1, 3, 5]);
    expect(l.slope).toBeCloseTo(2, 12);
    expect(l.intercept).toBeCloseTo(1, 12);
    expect(l.r2).toBeCloseTo(1, 12);
  });

  it('is well conditioned far from the origin (x = ln N about 15)', () => {
    const xs = [14, 14.5, 15, 15.5, 16];
    const c = fitParabola(
      xs,
      xs.map((x) => 4 + 0.2 * (x - 15.2) ** 2),
    );
    expect(-c[1] / (2 * c[2])).toBeCloseTo(15.2, 8);
  });
});

describe('fitIsoflopProfile', () => {
  it('finds the minimum of a profile that brackets it, and D_opt = C / (6 N_opt)', () => {
    const C = 1e19;
    const p = fitIsoflopProfile(profile(C, [3e7, 6e7, 1.2e8, 2.4e8, 4.8e8, 9.6e8, 1.9e9]));
    if ('reason' in p) throw new Error(p.reason);
    expect(p.bracketed).toBe(true);
    expect(p.Dopt * 6 * p.Nopt).toBeCloseTo(C, -15);
    expect(p.Copt / C).toBeCloseTo(1, 10);
    // The law's own optimum at C: G (C/6)^a, G = (alpha A / (beta B))^(1/(alpha+beta)), about 2.3e8.
    const G = ((law.alpha * law.A) / (law.beta * law.B)) ** (1 / (law.alpha + law.beta));
    const truth = G * (C / 6) ** (law.beta / (law.alpha + law.beta));
    expect(Math.abs(Math.log(p.Nopt / truth))).toBeLessThan(0.05);
  });

  it('says why when there is no usable minimum', () => {
    const down = fitIsoflopProfile(
      [1, 2, 3, 4].map((i) => ({ budget: 1, N: 10 ** i, D: 1, loss: 5 - (i - 2.5) ** 2 })),
    );
    expect(down).toEqual({ reason: 'the parabola opens downwards (no minimum)' });
    const two = fitIsoflopProfile(profile(1e19, [1e8, 2e8]));
    expect(two).toHaveProperty('reason');
    // Monotone within the sizes: the minimum is an extrapolation far outside them.
    const far = fitIsoflopProfile(profile(1e19, [1e6, 2e6, 4e6, 8e6]));
    expect('reason' in far ? far.reason : '').toMatch(/far outside|opens downwards/);
  });
});

describe('fitApproach2', () => {
  it('recovers N_opt ~ C^a with a = beta / (alpha + beta) from exact profiles', () => {
    const runs = [1e18, 1e19, 1e20, 1e21].flatMap((C) => {
      const centre = 1.35 * (C / 6) ** 0.4516; // G (C/6)^a of the law
      return profile(
        C,
        [-3, -2, -1, 0, 1, 2, 3].map((k) => centre * 2 ** k),
      );
    });
    const f = fitApproach2(runs);
    expect(f.n).toBe(4);
    expect(f.a).toBeCloseTo(law.beta / (law.alpha + law.beta), 2);
    expect(f.a + f.b).toBeCloseTo(1, 8);
  });

  it('needs two budgets with a minimum', () => {
    expect(() => fitApproach2(profile(1e19, [1e8, 2e8, 4e8, 8e8]))).toThrow(/need 2/);
  });

  it('groups by budget in ascending order', () => {
    const g = groupByBudget([
      { budget: 3, N: 1 },
      { budget: 1, N: 2 },
      { budget: 3, N: 3 },
    ]);
    expect(g.map((x) => x.map((r) => r.N))).toEqual([[2], [1, 3]]);
  });
});
