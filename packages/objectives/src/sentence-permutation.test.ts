import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import { permuteSentences, sentenceStartsOf } from './sentence-permutation.js';
import { range } from './testing.js';

// Tokens 1..12 with "." = 3 and 7, "!" = 8 as sentence ends: [1 2 3] [4 5 6 7 8] [9 10 11 12].
const tokens = range(12);
const sentenceEndIds = [3, 7, 8];

describe('sentenceStartsOf', () => {
  it('splits after runs of end tokens, keeps trailing text, or takes the starts given', () => {
    expect([...sentenceStartsOf(tokens, { sentenceEndIds })]).toEqual([0, 3, 8]);
    expect([...sentenceStartsOf([5, 3, 3, 5, 3], { sentenceEndIds: [3] })]).toEqual([0, 3]);
    expect([...sentenceStartsOf([3, 5], { sentenceEndIds: [3] })]).toEqual([0, 1]);
    expect([...sentenceStartsOf([5, 6], { sentenceEndIds: [3] })]).toEqual([0]);
    expect([...sentenceStartsOf([], { sentenceEndIds: [3] })]).toEqual([]);
    expect([...sentenceStartsOf(tokens, { sentenceStarts: [0, 5] })]).toEqual([0, 5]);
  });

  it('explains a bad split', () => {
    expect(() => sentenceStartsOf(tokens, {})).toThrow(/exactly one of sentenceEndIds or sentenceStarts/);
    expect(() => sentenceStartsOf(tokens, { sentenceEndIds: [3], sentenceStarts: [0] })).toThrow(
      /exactly one/,
    );
    for (const bad of [[1, 4], [0, 4, 4], [0, 12], []])
      expect(() => sentenceStartsOf(tokens, { sentenceStarts: bad })).toThrow(/ascend strictly from 0/);
  });
});

describe('permuteSentences (BART 2.2)', () => {
  it('pins a fixed seed', () => {
    const ex = permuteSentences(tokens, { seed: 1, sentenceEndIds });
    expect([...ex.order]).toEqual([1, 2, 0]);
    expect([...ex.inputs]).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]);
    expect([...ex.targets]).toEqual([...tokens]);
    expect([...ex.sentenceStarts]).toEqual([0, 3, 8]);
  });

  it('moves whole sentences only: the inputs are the sentences in `order`', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(40);
      const starts = [0];
      for (let i = 1; i < n; i++) if (rng.float() < 0.2) starts.push(i);
      const ex = permuteSentences(range(n), { sentenceStarts: starts, rng });
      const sentence = (s: number) => [...range(n)].slice(starts[s], starts[s + 1] ?? n);
      expect([...ex.inputs]).toEqual([...ex.order].flatMap(sentence));
      expect([...ex.order].sort((a, b) => a - b)).toEqual(starts.map((_, s) => s));
    }
  });

  it('makes the 6 orders of three sentences equally likely (each within 5 sd over 6000 draws)', () => {
    const draws = 6000;
    const counts = new Map<string, number>();
    for (let seed = 0; seed < draws; seed++) {
      const key = [...permuteSentences(tokens, { seed, sentenceEndIds }).order].join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    const sd = Math.sqrt(draws * (1 / 6) * (5 / 6)); // ~29
    for (const [key, c] of counts) expect(Math.abs(c - draws / 6), key).toBeLessThan(5 * sd);
  });

  it('explains bad options', () => {
    expect(() => permuteSentences(tokens, { seed: 1, sentenceEndIds, p: 0.5 } as never)).toThrow(
      /unknown option 'p'/,
    );
    expect(() => permuteSentences(tokens, { sentenceEndIds })).toThrow(/exactly one of `seed` or `rng`/);
  });
});
