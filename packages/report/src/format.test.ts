import { describe, expect, it } from 'vitest';
import { fmtInt, fmtInterval, fmtSig, stableStringify } from './format.js';

describe('format', () => {
  it('fmtSig', () => {
    expect(fmtSig(0.076)).toBe('0.076');
    expect(fmtSig(0.123456)).toBe('0.123');
    expect(fmtSig(3.1e8)).toBe('3.10e8');
    expect(fmtSig(4.47e-7)).toBe('4.47e-7');
    expect(fmtSig(24576)).toBe('2.46e4');
    expect(fmtSig(1234)).toBe('1230');
    expect(fmtSig(0)).toBe('0');
    expect(fmtSig(null)).toBe('n/a');
    expect(fmtSig(Number.NaN)).toBe('n/a');
  });

  it('fmtInt and fmtInterval', () => {
    expect(fmtInt(786432)).toBe('786,432');
    expect(fmtInt(-1234567.4)).toBe('-1,234,567');
    expect(fmtInt(12)).toBe('12');
    expect(fmtInterval([0.0712, 0.0811])).toBe('[0.0712, 0.0811]');
    expect(fmtInterval(null)).toBe('n/a');
  });

  it('stableStringify sorts keys at every level', () => {
    expect(stableStringify({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 2 } })).toBe(
      '{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}',
    );
  });
});
