import { describe, expect, it } from 'vitest';
import { fmtDiff, listText, mdRow } from './compare.js';

describe('formatting', () => {
  it('formats signed differences, lists and table rows', () => {
    expect(fmtDiff(-0.012, 100)).toBe('−1.2');
    expect(fmtDiff(0.012, 100)).toBe('+1.2');
    expect(listText([1, 2, 3])).toBe('1, 2 and 3');
    expect(listText(['a'])).toBe('a');
    expect(mdRow(['a', 'b'])).toBe('| a | b |');
  });
});
