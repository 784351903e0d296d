import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import { replacedTokenDetection } from './electra.js';
import { type MlmOptions, maskTokens, IGNORE_INDEX as X } from './mlm.js';
import { sigmas } from './testing.js';

// Vocabulary as mlm.test.ts: 0 [PAD], 1 [UNK], 2 [CLS], 3 [SEP], 4 [MASK], 5.. words.
const MASK = 4;
const OPTS: MlmOptions = { vocabSize: 99, maskId: MASK, specialIds: [0, 1, 2, 3, 4] };

describe('replacedTokenDetection (ELECTRA)', () => {
  it('the textbook example: a sample equal to the original counts as original', () => {
    // I=5 love=6 this=7 red=8 car=9 like=10. MLM masked "love" and "car"; the generator sampled
    // "like" for "love" and got "car" right.
    const mlm = { inputs: Int32Array.from([5, MASK, 7, 8, MASK]), labels: Int32Array.from([X, 6, X, X, 9]) };
    const ex = replacedTokenDetection(mlm, [10, 9]);
    expect([...ex.inputs]).toEqual([5, 10, 7, 8, 9]);
    expect([...ex.labels]).toEqual([0, 1, 0, 0, 0]);
    expect([...ex.masked]).toEqual([0, 1, 0, 0, 1]);
    expect([...ex.original]).toEqual([5, 6, 7, 8, 9]);
    // The same with one sample per position (only the masked ones are read).
    expect([...replacedTokenDetection(mlm, [50, 10, 50, 50, 9]).inputs]).toEqual([5, 10, 7, 8, 9]);
  });

  it('over BERT-masked sequences: labels are exactly "differs from the original"', () => {
    for (let seed = 0; seed < 100; seed++) {
      const rng = new Rng(seed);
      const ids = Int32Array.from({ length: 40 }, (_, i) => (i === 0 ? 2 : 5 + rng.int(94)));
      const mlm = maskTokens(ids, rng, { ...OPTS, mlmProbability: 0.3 });
      const samples = Array.from(mlm.positions, () => 5 + rng.int(4)); // a bad generator: four ids
      const ex = replacedTokenDetection(mlm, samples);
      expect([...ex.original]).toEqual([...ids]); // 'random' and 'keep' positions are undone too
      ids.forEach((id, i) => {
        expect(ex.labels[i]).toBe(ex.inputs[i] === id ? 0 : 1);
        if (!ex.masked[i]) expect(ex.inputs[i]).toBe(id);
      });
      expect([...mlm.positions].map((i) => ex.inputs[i])).toEqual(samples);
    }
  });

  it('a generator that is right 1 time in 4 leaves 1 in 4 masked tokens labelled original (4 sd)', () => {
    let masked = 0;
    let replaced = 0;
    for (let seed = 0; seed < 2000; seed++) {
      const rng = new Rng(seed);
      const ids = Int32Array.from({ length: 50 }, () => 5 + rng.int(4));
      const mlm = maskTokens(ids, rng, OPTS);
      const ex = replacedTokenDetection(
        mlm,
        Array.from(mlm.positions, () => 5 + rng.int(4)),
      );
      masked += mlm.positions.length;
      replaced += ex.labels.reduce((a, b) => a + b, 0);
    }
    expect(masked).toBeGreaterThan(14_000);
    expect(Math.abs(replaced / masked - 0.75)).toBeLessThan(sigmas(4, 0.75, masked));
  });

  it('explains mismatched inputs', () => {
    const mlm = { inputs: Int32Array.from([5, MASK, 7]), labels: Int32Array.from([X, 6, X]) };
    expect(() => replacedTokenDetection(mlm, [1, 2])).toThrow(
      /one generator sample per masked position \(1\) or per position \(3\), got 2/,
    );
    expect(() => replacedTokenDetection(mlm, [0.5])).toThrow(/not a token id/);
    expect(() => replacedTokenDetection({ ...mlm, inputs: Int32Array.from([5]) }, [1])).toThrow(
      /length 1 but labels/,
    );
  });
});
