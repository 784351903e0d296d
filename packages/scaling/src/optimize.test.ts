import { describe, expect, it } from 'vitest';
import { nelderMead } from './optimize.js';

describe('nelderMead', () => {
  it('finds the minimum of a shifted quadratic', () => {
    const r = nelderMead((x) => (x[0] - 3) ** 2 + 10 * (x[1] + 1) ** 2, [0, 0]);
    expect(r.x[0]).toBeCloseTo(3, 5);
    expect(r.x[1]).toBeCloseTo(-1, 5);
    expect(r.f).toBeLessThan(1e-10);
  });

  it('solves Rosenbrock from the classic start', () => {
    const rosen = (x: number[]) => 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2;
    const r = nelderMead(rosen, [-1.2, 1], { maxIter: 5000 });
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(1, 3);
  });

  it('handles a non-smooth objective and non-finite values', () => {
    const r = nelderMead((x) => (x[0] < -5 ? Number.NaN : Math.abs(x[0] - 2) + Math.abs(x[1])), [0, 1]);
    expect(r.x[0]).toBeCloseTo(2, 4);
    expect(r.x[1]).toBeCloseTo(0, 4);
  });

  it('is deterministic', () => {
    const f = (x: number[]) => Math.sin(x[0]) + (x[1] - 0.3) ** 2;
    expect(nelderMead(f, [0.5, 0.5])).toEqual(nelderMead(f, [0.5, 0.5]));
  });
});
