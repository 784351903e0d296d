import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import { IGNORE_INDEX as X } from './mlm.js';
import { ceilCount } from './objective-options.js';
import {
  type SpanBertExample,
  type SpanBertOptions,
  sampleSpanLength,
  spanBert,
  spanBoundaryTargets,
  spanLengthDistribution,
} from './spanbert.js';
import { sigmas } from './testing.js';

// Vocabulary as mlm.test.ts: 0 [PAD], 1 [UNK], 2 [CLS], 3 [SEP], 4 [MASK], 5.. words.
const CLS = 2;
const SEP = 3;
const MASK = 4;
const OPTS = { vocabSize: 99, maskId: MASK, specialIds: [0, 1, CLS, SEP, MASK] };
const isSpecial = (id: number) => id < 5;

/** [CLS] n word pieces [SEP], and word starts with words of 1..maxWord pieces. */
function sequence(rng: Rng, n: number, maxWord: number): { ids: Int32Array; wordStarts: Uint8Array } {
  const ids = Int32Array.from({ length: n + 2 }, (_, i) =>
    i === 0 ? CLS : i === n + 1 ? SEP : 5 + rng.int(94),
  );
  const wordStarts = new Uint8Array(n + 2).fill(1);
  for (let i = 1; i <= n; ) {
    const len = 1 + rng.int(maxWord);
    for (let k = 1; k < len && i + k <= n; k++) wordStarts[i + k] = 0;
    i += len;
  }
  return { ids, wordStarts };
}

/** Maximal runs [s, e] of a mask. */
function runs(mask: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    if (i > 0 && mask[i - 1]) out[out.length - 1][1] = i;
    else out.push([i, i]);
  }
  return out;
}

/** What is wrong with an example, or '' (plain checks: per-token expect() calls are slow). */
function problem(ids: Int32Array, wordStarts: Uint8Array | undefined, ex: SpanBertExample): string {
  const spans = runs(ex.noiseMask);
  if (spans.length !== ex.how.length) return `${spans.length} spans but ${ex.how.length} treatments`;
  for (let i = 0; i < ids.length; i++) {
    if (isSpecial(ids[i]) && ex.noiseMask[i]) return `special token ${i} masked`;
    if (ex.labels[i] !== (ex.noiseMask[i] ? ids[i] : X)) return `label ${i}`;
    if (!ex.noiseMask[i] && ex.inputs[i] !== ids[i]) return `unmasked token ${i} changed`;
    // Whole words: a masked word piece's word-mates are masked too.
    if (wordStarts && !wordStarts[i] && !isSpecial(ids[i - 1]) && ex.noiseMask[i] !== ex.noiseMask[i - 1])
      return `word cut at ${i}`;
  }
  for (const [k, [s, e]] of spans.entries()) {
    const got = [...ex.inputs.subarray(s, e + 1)];
    const how = ex.how[k];
    if (how === 'mask' && got.some((t) => t !== MASK)) return `span ${s} not all [MASK]`;
    if (how === 'keep' && got.some((t, i) => t !== ids[s + i])) return `kept span ${s} changed`;
    if (how === 'random' && got.some(isSpecial)) return `span ${s} replaced by a special id`;
  }
  // SBO: one row per masked token of a span with a token on each side, boundaries unmasked.
  const { position, leftBoundary, rightBoundary, relativePosition, targetId } = ex.sbo;
  const inner = spans
    .filter(([s, e]) => s > 0 && e < ids.length - 1)
    .flatMap(([s, e]) => [...Array(e - s + 1).keys()].map((i) => s + i));
  if (position.join() !== inner.join()) return `SBO positions ${[...position]} for masked ${inner}`;
  for (let k = 0; k < position.length; k++) {
    const [l, r, p] = [leftBoundary[k], rightBoundary[k], position[k]];
    if (ex.noiseMask[l] || ex.noiseMask[r] || l >= p || r <= p) return `boundary of ${p}`;
    if (relativePosition[k] !== p - l || targetId[k] !== ids[p]) return `SBO row of ${p}`;
  }
  return '';
}

describe('span lengths: Geo(0.2) clipped at 10', () => {
  it("renormalizes over 1..10, which gives the paper's mean of 3.8", () => {
    const pmf = spanLengthDistribution();
    expect(pmf.length).toBe(11);
    expect(pmf[0]).toBe(0);
    expect(pmf.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let l = 1; l < 10; l++) expect(pmf[l + 1] / pmf[l]).toBeCloseTo(0.8, 12);
    const mean = pmf.reduce((a, p, l) => a + p * l, 0);
    expect(mean).toBeCloseTo(3.797, 3);
  });

  it('draws lengths with those probabilities (4 standard errors over 100k draws)', () => {
    const pmf = spanLengthDistribution();
    const draws = 100_000;
    const counts = new Float64Array(11);
    const rng = new Rng(2);
    for (let i = 0; i < draws; i++) counts[sampleSpanLength(pmf, rng)]++;
    expect(counts[0]).toBe(0);
    for (let l = 1; l <= 10; l++)
      expect(Math.abs(counts[l] / draws - pmf[l]), `length ${l}`).toBeLessThan(sigmas(4, pmf[l], draws));
  });
});

describe('spanBert (SpanBERT 3.1, 3.2)', () => {
  // [CLS] 18 word pieces [SEP]; words: 10 | 11 12 | 13 14 15 | 16 | 17 | 18 19 | 20 | 21 22 | 23 | 24 | 25 26 | 27
  const ids = Int32Array.from([2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 3]);
  const wordStarts = Uint8Array.from([1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1]);
  const base: SpanBertOptions = { ...OPTS, wordStarts, maskRatio: 0.3 };

  it('pins fixed seeds: whole-word spans, per-span treatment, SBO targets', () => {
    // Seed 5: budget ceil(18 * 0.3) = 6; spans "17 | 18 19" (replaced at random) and "25 26 | 27" ([MASK]).
    const ex = spanBert(ids, { ...base, seed: 5 });
    expect([...ex.inputs]).toEqual([
      2, 10, 11, 12, 13, 14, 15, 16, 35, 38, 81, 20, 21, 22, 23, 24, 4, 4, 4, 3,
    ]);
    expect(ex.how).toEqual(['random', 'mask']);
    expect([...ex.labels]).toEqual([X, X, X, X, X, X, X, X, 17, 18, 19, X, X, X, X, X, 25, 26, 27, X]);
    expect([...ex.sbo.position]).toEqual([8, 9, 10, 16, 17, 18]);
    expect([...ex.sbo.leftBoundary]).toEqual([7, 7, 7, 15, 15, 15]);
    expect([...ex.sbo.rightBoundary]).toEqual([11, 11, 11, 19, 19, 19]); // [SEP] is a boundary
    expect([...ex.sbo.relativePosition]).toEqual([1, 2, 3, 1, 2, 3]);
    expect([...ex.sbo.targetId]).toEqual([17, 18, 19, 25, 26, 27]);
    // Seed 0: one span of 7 pieces, one more than the budget, to keep the word "25 26" whole.
    const whole = spanBert(ids, { ...base, seed: 0 });
    expect([...whole.inputs]).toEqual([
      2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 4, 4, 4, 4, 4, 4, 4, 3,
    ]);
    expect(problem(ids, wordStarts, ex) + problem(ids, wordStarts, whole)).toBe('');
  });

  it('holds its invariants over many seeds, with and without word boundaries', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const { ids: seq, wordStarts: starts } = sequence(rng, 10 + rng.int(120), 4);
      if (trial % 3 === 0) {
        // A pair: [CLS] A [SEP] B [SEP]; the middle [SEP] is never masked and starts a word.
        const mid = seq.length >> 1;
        seq[mid] = SEP;
        starts[mid] = 1;
        starts[mid + 1] = 1;
      }
      const words = trial % 2 === 0 ? starts : undefined;
      const ex = spanBert(seq, { ...OPTS, wordStarts: words, rng });
      expect(problem(seq, words, ex), `trial ${trial}`).toBe('');
      const budget = ceilCount(seq.filter((t) => !isSpecial(t)).length, 0.15); // of the non-special tokens
      const count = ex.noiseMask.reduce((a, b) => a + b, 0);
      if (words === undefined) expect(count).toBe(budget);
      else {
        expect(count).toBeGreaterThanOrEqual(budget);
        expect(count).toBeLessThan(budget + 4); // at most one word (<= 4 pieces) over
      }
    }
  });

  it('masks 15% and treats 80/10/10 of the spans as a whole (4 standard errors over 2000 seeds)', () => {
    let spans = 0;
    let tokens = 0;
    const how = { mask: 0, random: 0, keep: 0 };
    for (let seed = 0; seed < 2000; seed++) {
      const { ids: seq } = sequence(new Rng(seed + 10_000), 200, 1);
      const ex = spanBert(seq, { ...OPTS, seed });
      tokens += ex.noiseMask.reduce((a, b) => a + b, 0);
      spans += ex.how.length;
      for (const h of ex.how) how[h]++;
    }
    expect(tokens).toBe(2000 * 30); // ceil(200 * 0.15) each
    expect(spans).toBeGreaterThan(10_000);
    expect(Math.abs(how.mask / spans - 0.8)).toBeLessThan(sigmas(4, 0.8, spans));
    expect(Math.abs(how.random / spans - 0.1)).toBeLessThan(sigmas(4, 0.1, spans));
    expect(Math.abs(how.keep / spans - 0.1)).toBeLessThan(sigmas(4, 0.1, spans));
  });

  it("starts spans uniformly over words, not tokens (the paper, not the reference's token anchor)", () => {
    // [CLS] a | b b b b b [SEP]: budget ceil(6 * 0.15) = 1, so one word is masked. Uniform over the
    // two words gives "a" half the time; a token anchor would give it 1 time in 6.
    const seq = Int32Array.from([CLS, 5, 6, 6, 6, 6, 6, SEP]);
    const starts = Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 1]);
    let a = 0;
    for (let seed = 0; seed < 4000; seed++)
      a += spanBert(seq, { ...OPTS, wordStarts: starts, seed }).noiseMask[1];
    expect(Math.abs(a / 4000 - 0.5)).toBeLessThan(sigmas(4, 0.5, 4000));
  });

  it('spanBoundaryTargets: spans at either end have no boundary pair', () => {
    const sbo = spanBoundaryTargets([5, 6, 7, 8, 9, 10], [1, 0, 1, 1, 0, 1]);
    expect([...sbo.position]).toEqual([2, 3]);
    expect([...sbo.leftBoundary, ...sbo.rightBoundary, ...sbo.relativePosition]).toEqual([1, 1, 4, 4, 1, 2]);
  });

  it('explains bad options', () => {
    expect(() => spanBert(ids, { ...OPTS, seed: 0, spanLower: 1 } as never)).toThrow(
      /unknown option 'spanLower'/,
    );
    expect(() => spanBert(ids, { ...OPTS, seed: 0, wordStarts: [1, 0] })).toThrow(/wordStarts has length 2/);
    expect(() => spanBert(ids, { ...OPTS, seed: 0, maskId: 200 })).toThrow(/maskId 200 is outside/);
    expect(() => spanBert(ids, { ...OPTS, seed: 0, geometricP: 0 })).toThrow(/geometricP/);
    expect(() => spanBert(ids, { ...OPTS, seed: 0, maskReplaceProb: 0.95 })).toThrow(/<= 1/);
  });
});
