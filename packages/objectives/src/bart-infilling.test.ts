import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import {
  poissonSample,
  poissonSpanLengths,
  type TextInfillingExample,
  textInfilling,
} from './bart-infilling.js';
import { dropNoiseTokens } from './denoise.js';
import { ceilCount } from './objective-options.js';
import { range, sigmas } from './testing.js';

const MASK = 0; // the test tokens are 1..n
const bits = (mask: ArrayLike<number>) => Array.from(mask).join('');
const poissonPmf = (lambda: number, k: number) => {
  let p = Math.exp(-lambda);
  for (let i = 1; i <= k; i++) p *= lambda / i;
  return p;
};

/** Puts each span's tokens back in place of its mask: what the model has to do. */
function decode(ex: TextInfillingExample): number[] {
  const out: number[] = [];
  let span = 0;
  for (const id of ex.inputs) {
    if (id !== MASK) out.push(id);
    else {
      const start = ex.spanStarts[span];
      out.push(...ex.targets.subarray(start, start + ex.spanLengths[span++]));
    }
  }
  return out;
}

describe('poissonSample (Knuth)', () => {
  it('matches the Poisson(3) distribution and mean (4 standard errors over 100k draws)', () => {
    const draws = 100_000;
    const counts = new Float64Array(30);
    let sum = 0;
    const rng = new Rng(1);
    for (let i = 0; i < draws; i++) {
      const k = poissonSample(3, rng);
      counts[k]++;
      sum += k;
    }
    for (let k = 0; k <= 8; k++) {
      const p = poissonPmf(3, k);
      expect(Math.abs(counts[k] / draws - p), `k = ${k}`).toBeLessThan(sigmas(4, p, draws));
    }
    expect(Math.abs(sum / draws - 3)).toBeLessThan(4 * Math.sqrt(3 / draws)); // variance lambda
    expect(() => poissonSample(0, rng)).toThrow(/lambda must be in \(0, 100\]/);
  });

  it('span lengths reach the budget exactly, cutting only the last draw', () => {
    for (let seed = 0; seed < 200; seed++) {
      const lengths = poissonSpanLengths(30, 3, new Rng(seed));
      expect(lengths.reduce((a, b) => a + b, 0)).toBe(30);
      expect(lengths.at(-1)).toBeGreaterThan(0);
      // The draws before the last are the sampler's own.
      const rng = new Rng(seed);
      for (let k = 0; k < lengths.length - 1; k++) expect(lengths[k]).toBe(poissonSample(3, rng));
    }
    expect(poissonSpanLengths(0, 3, new Rng(0)).length).toBe(0);
  });
});

describe('textInfilling (BART 2.2)', () => {
  it('pins fixed seeds, one with 0-length spans (inserted masks)', () => {
    const ex = textInfilling(range(12), { seed: 1, noiseDensity: 0.3, maskId: MASK });
    expect([...ex.inputs]).toEqual([1, 2, 3, 0, 0, 8, 9, 10, 11, 12]); // "4 5" and "6 7", touching
    expect(bits(ex.noiseMask)).toBe('000111100000');
    expect([...ex.spanStarts]).toEqual([3, 5]);
    expect([...ex.spanLengths]).toEqual([2, 2]);
    expect([...ex.targets]).toEqual([...range(12)]);
    // Seed 16: "2", "3", an insertion before 7, then "7 8".
    const inserted = textInfilling(range(12), { seed: 16, noiseDensity: 0.3, maskId: MASK });
    expect([...inserted.inputs]).toEqual([1, 0, 0, 4, 5, 6, 0, 0, 9, 10, 11, 12]);
    expect([...inserted.spanLengths]).toEqual([1, 1, 0, 2]);
    expect([...inserted.spanStarts]).toEqual([1, 2, 6, 6]);
    expect(decode(inserted)).toEqual([...range(12)]);
  });

  it('over many seeds: exactly the budget removed, one mask per span, decodable, spans in order', () => {
    for (const length of [0, 1, 5, 12, 100]) {
      for (const density of [0.15, 0.3, 1]) {
        for (let seed = 0; seed < 30; seed++) {
          const tokens = range(length);
          const ex = textInfilling(tokens, { seed, noiseDensity: density, maskId: MASK });
          const budget = ceilCount(length, density);
          const numSpans = ex.spanLengths.length;
          expect(ex.noiseMask.reduce((a, b) => a + b, 0)).toBe(budget);
          expect(ex.spanLengths.reduce((a, b) => a + b, 0)).toBe(budget);
          expect(ex.inputs.length).toBe(length - budget + numSpans);
          expect(ex.inputs.filter((t) => t === MASK).length).toBe(numSpans);
          expect([...ex.inputs.filter((t) => t !== MASK)]).toEqual([
            ...dropNoiseTokens(tokens, ex.noiseMask),
          ]);
          expect(decode(ex)).toEqual([...tokens]);
          for (let k = 1; k < numSpans; k++)
            expect(ex.spanStarts[k]).toBeGreaterThanOrEqual(ex.spanStarts[k - 1] + ex.spanLengths[k - 1]);
        }
      }
    }
  });

  it('inserts masks at about the Poisson rate of 0-length spans, and averages ~lambda per span', () => {
    // Every span but the one cut to the budget is a Poisson(3) draw, so about e^-3 = 5% of spans are
    // insertions and the mean length is a little under 3 (the cut one is shorter). 2000 examples of
    // 100 tokens give ~20k spans: 4 sd of the 5% is 0.6 pp; the cut span (1 in ~11) lowers it by ~0.5 pp.
    let spans = 0;
    let inserts = 0;
    for (let seed = 0; seed < 2000; seed++) {
      const ex = textInfilling(range(100), { seed, noiseDensity: 0.3, maskId: MASK });
      spans += ex.spanLengths.length;
      for (const l of ex.spanLengths) if (l === 0) inserts++;
    }
    expect(spans).toBeGreaterThan(18_000);
    expect(Math.abs(inserts / spans - Math.exp(-3))).toBeLessThan(0.012);
    const meanLength = (2000 * 30) / spans;
    expect(meanLength).toBeGreaterThan(2.6);
    expect(meanLength).toBeLessThan(3);
  });

  it('explains bad options', () => {
    expect(() =>
      textInfilling(range(4), { seed: 0, noiseDensity: 0.3, maskId: MASK, lambda: 3 } as never),
    ).toThrow(/unknown option 'lambda'/);
    expect(() => textInfilling(range(4), { seed: 0, noiseDensity: -1, maskId: MASK })).toThrow(
      /noiseDensity/,
    );
    expect(() => textInfilling(range(4), { seed: 0, noiseDensity: 0.3, maskId: 1.5 })).toThrow(/maskId/);
  });
});
