import { describe, expect, it } from 'vitest';
import { mean, meanStd, sampleStd } from './stats.js';

describe('stats', () => {
  it('computes the mean and the sample (n - 1) standard deviation', () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(sampleStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(meanStd([5])).toEqual({ mean: 5, std: 0 });
    expect(Number.isNaN(mean([]))).toBe(true);
  });
});
