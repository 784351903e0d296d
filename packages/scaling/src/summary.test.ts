import { describe, expect, it } from 'vitest';
import type { LearningCurve } from './frontier.js';
import { Mulberry32 } from './prng.js';
import { fitScalingSummary, type ModelResult } from './summary.js';

/** Five model sizes on Kaplan-like laws, losses with 1% noise; curves L(N, tokens). */
function synthetic(seed: number): { models: ModelResult[]; curves: LearningCurve[] } {
  const rng = new Mulberry32(seed);
  const Ns = [5e4, 2e5, 8e5, 3.2e6, 1.28e7];
  const curves: LearningCurve[] = [];
  const models: ModelResult[] = [];
  for (const N of Ns) {
    const points = Array.from({ length: 30 }, (_, k) => {
      const tokens = 10 ** (5 + (3 * k) / 29);
      return { compute: 6 * N * tokens, loss: (1e11 / N) ** 0.1 + (1e6 / tokens) ** 0.5 };
    });
    curves.push({ model: `N${N}`, points });
    models.push({
      model: `N${N}`,
      nonEmbeddingParams: N,
      finalValLoss: (1e11 / N) ** 0.1 * Math.exp(0.01 * rng.normal()),
    });
  }
  return { models, curves };
}

describe('fitScalingSummary', () => {
  it('fills params, offset and compute with intervals that contain the estimate', () => {
    const { models, curves } = synthetic(1);
    const fits = fitScalingSummary(models, curves, { seed: 1, bootstrap: 300 });
    expect(fits.params?.a).toBeGreaterThan(0.08);
    expect(fits.params?.a).toBeLessThan(0.12);
    const [lo, hi] = fits.params?.ci ?? [Number.NaN, Number.NaN];
    expect(lo).toBeLessThanOrEqual(fits.params?.a ?? 0);
    expect(hi).toBeGreaterThanOrEqual(fits.params?.a ?? 0);
    expect(fits.offset).not.toBeNull();
    expect(fits.compute?.unit).toBe('PF-days');
    expect(fits.compute?.a).toBeGreaterThan(0);
    expect(fits.compute?.ci).not.toBeNull();
    expect(fits.notes).toEqual([]);
    // JSON round trip keeps everything (summary.json).
    expect(JSON.parse(JSON.stringify(fits))).toEqual(fits);
  });

  it('is deterministic for a seed', () => {
    const { models, curves } = synthetic(2);
    const a = fitScalingSummary(models, curves, { seed: 9, bootstrap: 100 });
    expect(fitScalingSummary(models, curves, { seed: 9, bootstrap: 100 })).toEqual(a);
  });

  it('degrades to notes, not errors, with too few models', () => {
    const { models, curves } = synthetic(3);
    const one = fitScalingSummary(models.slice(0, 1), [], { seed: 1, bootstrap: 50 });
    expect(one.params).toBeNull();
    expect(one.offset).toBeNull();
    expect(one.compute).toBeNull();
    expect(one.notes.length).toBe(3);
    const two = fitScalingSummary(models.slice(0, 2), curves.slice(0, 2), { seed: 1, bootstrap: 0 });
    expect(two.params?.ci).toBeNull();
    expect(two.offset).toBeNull();
    expect(two.compute).not.toBeNull();
  });
});
