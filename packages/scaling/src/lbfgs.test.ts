import { describe, expect, it } from 'vitest';
import { lbfgs } from './lbfgs.js';

describe('lbfgs', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const fg = (x: readonly number[]) => {
      const [a, b] = x;
      return {
        f: (1 - a) ** 2 + 100 * (b - a * a) ** 2,
        g: [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)],
      };
    };
    const r = lbfgs(fg, [-1.2, 1], { maxIter: 500 });
    expect(r.x[0]).toBeCloseTo(1, 5);
    expect(r.x[1]).toBeCloseTo(1, 5);
    expect(r.f).toBeLessThan(1e-10);
  });

  it('solves a quadratic in a few iterations and is deterministic', () => {
    const c = [3, -2, 0.5, 7];
    const fg = (x: readonly number[]) => ({
      f: x.reduce((s, v, i) => s + (i + 1) * (v - c[i]) ** 2, 0),
      g: x.map((v, i) => 2 * (i + 1) * (v - c[i])),
    });
    const a = lbfgs(fg, [0, 0, 0, 0]);
    const b = lbfgs(fg, [0, 0, 0, 0]);
    expect(a).toEqual(b);
    for (const [i, v] of a.x.entries()) expect(v).toBeCloseTo(c[i], 8);
    expect(a.iterations).toBeLessThan(20);
  });

  it('backs off from non-finite values instead of returning them', () => {
    const fg = (x: readonly number[]) => ({
      f: x[0] > 2 ? Number.NaN : (x[0] - 1.5) ** 2,
      g: [2 * (x[0] - 1.5)],
    });
    const r = lbfgs(fg, [-10]);
    expect(r.x[0]).toBeCloseTo(1.5, 6);
    expect(Number.isFinite(r.f)).toBe(true);
  });
});
