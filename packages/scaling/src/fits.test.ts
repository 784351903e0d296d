import { describe, expect, it } from 'vitest';
import { fitOffsetPowerLaw, fitPowerLaw, huber, offsetPowerLaw, powerLaw } from './fits.js';
import { Mulberry32 } from './prng.js';

const Ns = [1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8];

describe('fitPowerLaw', () => {
  it("recovers Kaplan's a_N and N_c exactly from noiseless data", () => {
    const ys = Ns.map((n) => (8.8e13 / n) ** 0.076);
    const fit = fitPowerLaw(Ns, ys);
    expect(fit.a).toBeCloseTo(0.076, 10);
    expect(fit.Nc / 8.8e13).toBeCloseTo(1, 6);
    expect(fit.r2).toBeCloseTo(1, 10);
    expect(powerLaw(fit, 2e6)).toBeCloseTo((8.8e13 / 2e6) ** 0.076, 10);
  });

  it('recovers the exponent within 0.01 under 1% multiplicative noise', () => {
    const rng = new Mulberry32(3);
    const xs = Array.from({ length: 40 }, (_, i) => 10 ** (5 + (3 * i) / 39));
    const ys = xs.map((n) => (1e10 / n) ** 0.2 * Math.exp(0.01 * rng.normal()));
    const fit = fitPowerLaw(xs, ys);
    expect(Math.abs(fit.a - 0.2)).toBeLessThan(0.01);
    expect(fit.r2).toBeGreaterThan(0.95);
  });

  it('rejects fewer than 2 distinct x and non-positive values', () => {
    expect(() => fitPowerLaw([1, 1], [2, 3])).toThrow(/2 distinct/);
    expect(() => fitPowerLaw([1, 2], [0, 3])).toThrow(/y > 0/);
    expect(() => fitPowerLaw([1, 2], [1])).toThrow(/lengths/);
  });
});

describe('huber', () => {
  it('is quadratic inside delta and linear outside, continuous at delta', () => {
    expect(huber(0.5e-3, 1e-3)).toBeCloseTo(0.5 * 0.25e-6, 15);
    expect(huber(-3e-3, 1e-3)).toBeCloseTo(1e-3 * 2.5e-3, 15);
    expect(huber(1e-3, 1e-3)).toBeCloseTo(0.5e-6, 15);
  });
});

describe('fitOffsetPowerLaw', () => {
  it('recovers E, A, alpha from noiseless data (Chinchilla-like constants)', () => {
    const truth = { E: 1.69, A: 406.4, alpha: 0.34 };
    const ys = Ns.map((n) => offsetPowerLaw(truth, n));
    const fit = fitOffsetPowerLaw(Ns, ys);
    expect(fit.alpha).toBeCloseTo(0.34, 2);
    expect(fit.E).toBeCloseTo(1.69, 2);
    expect(fit.A / 406.4).toBeCloseTo(1, 1);
  });

  it('is robust to one outlier (Huber) and close under small noise', () => {
    const truth = { E: 2.0, A: 60, alpha: 0.5 };
    const rng = new Mulberry32(11);
    const xs = Array.from({ length: 16 }, (_, i) => 10 ** (4 + (3 * i) / 15));
    const ys = xs.map((n) => offsetPowerLaw(truth, n) * Math.exp(0.002 * rng.normal()));
    ys[5] *= 1.3; // a diverged run
    const fit = fitOffsetPowerLaw(xs, ys);
    expect(Math.abs(fit.alpha - 0.5)).toBeLessThan(0.08);
    expect(Math.abs(fit.E - 2.0)).toBeLessThan(0.05);
  });

  it('is deterministic and needs 3 distinct x', () => {
    const ys = Ns.map((n) => offsetPowerLaw({ E: 1, A: 10, alpha: 0.3 }, n));
    expect(fitOffsetPowerLaw(Ns, ys)).toEqual(fitOffsetPowerLaw(Ns, ys));
    expect(() => fitOffsetPowerLaw([1, 2, 2], [3, 2, 2])).toThrow(/3 distinct/);
  });
});
