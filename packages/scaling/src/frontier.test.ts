import { describe, expect, it } from 'vitest';
import { computeFrontier, fitComputeFrontier, type LearningCurve } from './frontier.js';

/** Curves that each touch F(C) = (Cc/C)^a at one compute C_i and lie above it elsewhere. */
function touchingCurves(a: number, Cc: number, count: number): LearningCurve[] {
  const curves: LearningCurve[] = [];
  for (let i = 0; i < count; i++) {
    const logCi = Math.log(1e15) + (i / (count - 1)) * Math.log(1e4);
    const points = [];
    for (let k = 0; k <= 80; k++) {
      const logC = logCi - 3 + (k / 80) * 4; // starts 3 e-folds before the touch, ends 1 after
      const F = Math.exp(a * (Math.log(Cc) - logC));
      const above = Math.exp(0.3 * (logC - logCi) ** 2);
      points.push({ compute: Math.exp(logC), loss: F * above });
    }
    curves.push({ model: `m${i}`, points });
  }
  return curves;
}

/** Kaplan's L(N, S) = (Nc/N)^aN + (Sc/S)^aS with C = 6 N S B, for a few model sizes. */
function kaplanCurves(): LearningCurve[] {
  const Ns = [1e5, 4e5, 1.6e6, 6.4e6];
  return Ns.map((N) => ({
    model: `N${N}`,
    points: Array.from({ length: 60 }, (_, k) => {
      const S = Math.round(10 ** (1 + (4 * k) / 59));
      return { compute: 6 * N * S * 512 * 128, loss: (8.8e13 / N) ** 0.076 + (2.1e3 / S) ** 0.76 };
    }),
  }));
}

describe('computeFrontier', () => {
  it('is the lower envelope: never above any curve that covers the grid point', () => {
    const curves = kaplanCurves();
    const frontier = computeFrontier(curves, { gridSize: 40, runningMin: false });
    expect(frontier.length).toBe(40);
    for (const p of frontier) {
      for (const c of curves) {
        const exact = c.points.find((q) => Math.abs(Math.log(q.compute / p.compute)) < 1e-12);
        if (exact) expect(p.loss).toBeLessThanOrEqual(exact.loss + 1e-12);
      }
    }
  });

  it('bigger models own the frontier at bigger compute', () => {
    const frontier = computeFrontier(kaplanCurves(), { gridSize: 50 });
    const order = ['N100000', 'N400000', 'N1600000', 'N6400000'];
    let last = 0;
    for (const p of frontier) {
      const idx = order.indexOf(p.model);
      expect(idx).toBeGreaterThanOrEqual(last);
      last = idx;
    }
    expect(frontier[frontier.length - 1].model).toBe('N6400000');
  });

  it('skips grid points no curve covers and empty input', () => {
    const curves: LearningCurve[] = [
      {
        model: 'a',
        points: [
          { compute: 1, loss: 3 },
          { compute: 10, loss: 2 },
        ],
      },
      {
        model: 'b',
        points: [
          { compute: 1000, loss: 1.5 },
          { compute: 10000, loss: 1 },
        ],
      },
    ];
    const f = computeFrontier(curves, { gridSize: 5 }); // 1, 10, 100, 1000, 10000
    expect(f.map((p) => p.model)).toEqual(['a', 'a', 'b', 'b']);
    expect(f[1].loss).toBeCloseTo(2, 12);
    expect(computeFrontier([])).toEqual([]);
  });

  it('running minimum removes eval-noise bumps', () => {
    const curve: LearningCurve = {
      model: 'a',
      points: [
        { compute: 1, loss: 3 },
        { compute: 2, loss: 2 },
        { compute: 4, loss: 2.5 },
        { compute: 8, loss: 1.8 },
      ],
    };
    const f = computeFrontier([curve], { gridSize: 4 });
    for (let i = 1; i < f.length; i++) expect(f[i].loss).toBeLessThanOrEqual(f[i - 1].loss);
  });
});

describe('fitComputeFrontier', () => {
  it('recovers a_C from curves tangent to a known frontier', () => {
    const fit = fitComputeFrontier(touchingCurves(0.05, 3.1e8 * 8.64e19, 24), {
      gridSize: 80,
      minCompute: 1e15, // only where the tangent curves are dense
      maxCompute: 1e19,
    });
    expect(Math.abs(fit.a - 0.05)).toBeLessThan(0.003);
    expect(fit.r2).toBeGreaterThan(0.99);
    expect(fit.range[0]).toBeLessThan(fit.range[1]);
  });

  it('throws when the envelope is a single point', () => {
    expect(() => fitComputeFrontier([{ model: 'a', points: [{ compute: 1, loss: 2 }] }])).toThrow(/envelope/);
  });
});
