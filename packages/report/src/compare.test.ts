import { describe, expect, it } from 'vitest';
import { compareMeans, fmtDiff, fmtMeanStd, listText, meanStd } from './compare.js';

describe('compareMeans', () => {
  it('calls a gap a difference only beyond the summed standard deviations', () => {
    expect(compareMeans({ mean: 0.5, std: 0.01 }, { mean: 0.47, std: 0.01 }, 3).verdict).toBe('higher');
    expect(compareMeans({ mean: 0.45, std: 0.01 }, { mean: 0.47, std: 0.005 }, 3).verdict).toBe('lower');
    expect(compareMeans({ mean: 0.48, std: 0.01 }, { mean: 0.47, std: 0.01 }, 3).verdict).toBe(
      'within noise',
    );
    expect(compareMeans({ mean: 0.9, std: 0 }, { mean: 0.1, std: 0 }, 1).verdict).toBe('one seed');
  });
});

describe('formatting', () => {
  it('formats mean ± std, signed differences and lists', () => {
    expect(fmtMeanStd({ mean: 0.8754, std: 0.0123 }, 100)).toBe('87.5 ± 1.2');
    expect(fmtMeanStd(null)).toBe('n/a');
    expect(fmtDiff(-0.012, 100)).toBe('−1.2');
    expect(fmtDiff(0.012, 100)).toBe('+1.2');
    expect(listText([1, 2, 3])).toBe('1, 2 and 3');
    const m = meanStd([1, 2, 3]);
    expect(m.mean).toBe(2);
    expect(m.std).toBe(1);
  });
});
