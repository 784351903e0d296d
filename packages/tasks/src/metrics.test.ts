import { describe, expect, it } from 'vitest';
import {
  accuracy,
  casedTokenize,
  classificationScores,
  confusionMatrix,
  exactMatch,
  lcsLength,
  macroF1,
  meanRouge,
  perClassScores,
  rouge,
  rougeLPerExample,
  rougeTokenize,
} from './metrics.js';

describe('classification metrics', () => {
  const gold = ['a', 'a', 'b', 'b', 'c'];
  const pred = ['a', 'b', 'b', 'b', 'a'];
  it('accuracy', () => {
    expect(accuracy(gold, pred)).toBeCloseTo(3 / 5, 12);
    expect(accuracy([], [])).toBe(0);
    expect(() => accuracy(['a'], [])).toThrow(/1 gold labels but 0 predictions/);
  });
  it('macro-F1 by hand: a 2/3*... b 0.8, c 0', () => {
    // a: TP1 FP1 FN1 -> F1 0.5; b: TP2 FP1 FN0 -> 0.8; c: TP0 FN1 -> 0.
    expect(macroF1(gold, pred)).toBeCloseTo((0.5 + 0.8 + 0) / 3, 12);
    const b = perClassScores(gold, pred).find((s) => s.label === 'b')!;
    expect(b).toMatchObject({ precision: 2 / 3, recall: 1, support: 2 });
  });
  it('classes absent from gold and predictions are excluded; predicted-only classes count as 0', () => {
    expect(macroF1(['a', 'b'], ['a', 'b'])).toBe(1);
    expect(macroF1(['a', 'a'], ['a', 'z'])).toBeCloseTo((2 / 3 + 0) / 2, 12);
    expect(macroF1([], [])).toBe(0);
  });
  it('confusion matrix rows are gold, columns predicted; listed labels first', () => {
    const cm = confusionMatrix(gold, pred, ['c', 'b', 'a', 'd']);
    expect(cm.labels).toEqual(['c', 'b', 'a', 'd']);
    expect(cm.matrix).toEqual([
      [0, 0, 1, 0],
      [0, 2, 0, 0],
      [0, 1, 1, 0],
      [0, 0, 0, 0],
    ]);
    expect(confusionMatrix(['x'], ['y']).labels).toEqual(['x', 'y']);
  });
});

describe('ROUGE (as rouge-score)', () => {
  it('rouge-score README example, checked by hand', () => {
    // target 9 tokens, prediction 8; unigram overlap the x2, quick, brown, dog, jumps = 6;
    // LCS "the quick brown jumps the" = 5.
    const s = rouge('The quick brown fox jumps over the lazy dog', 'The quick brown dog jumps on the log.');
    expect(s.rouge1.precision).toBeCloseTo(0.75, 4);
    expect(s.rouge1.recall).toBeCloseTo(0.6667, 4);
    expect(s.rouge1.fmeasure).toBeCloseTo(0.7059, 4);
    expect(s.rougeL.precision).toBeCloseTo(0.625, 4);
    expect(s.rougeL.recall).toBeCloseTo(0.5556, 4);
    expect(s.rougeL.fmeasure).toBeCloseTo(0.5882, 4);
    // bigrams: "the quick", "quick brown" shared of 7 and 8: P 2/7, R 2/8.
    expect(s.rouge2.precision).toBeCloseTo(2 / 7, 12);
    expect(s.rouge2.recall).toBeCloseTo(2 / 8, 12);
    expect(s.rouge2.fmeasure).toBeCloseTo((2 * (2 / 7) * (2 / 8)) / (2 / 7 + 2 / 8), 12);
  });
  it('tokenizes like rouge-score: lowercase, non-[a-z0-9] separates, accents dropped', () => {
    expect(rougeTokenize("Don't STOP-me now, café 42!")).toEqual([
      'don',
      't',
      'stop',
      'me',
      'now',
      'caf',
      '42',
    ]);
    expect(rougeTokenize('running jumps', { stemmer: (t) => t.replace(/(ing|s)$/, '') })).toEqual([
      'runn',
      'jump',
    ]);
  });
  it('clips repeated n-grams', () => {
    const s = rouge('the the the', 'the');
    expect(s.rouge1).toEqual({ precision: 1, recall: 1 / 3, fmeasure: 0.5 });
  });
  it('empty strings score 0 without NaN', () => {
    for (const [t, p] of [
      ['', ''],
      ['a b', ''],
      ['', 'a b'],
      ['!!!', 'a'],
    ]) {
      const s = rouge(t, p);
      for (const k of ['rouge1', 'rouge2', 'rougeL'] as const)
        expect(s[k]).toEqual({ precision: 0, recall: 0, fmeasure: 0 });
    }
    // one token: no bigrams on either side -> 0, but ROUGE-1 and L are perfect.
    const one = rouge('hello', 'Hello');
    expect(one.rouge1.fmeasure).toBe(1);
    expect(one.rougeL.fmeasure).toBe(1);
    expect(one.rouge2.fmeasure).toBe(0);
  });
  it('LCS and corpus mean', () => {
    expect(lcsLength(['a', 'b', 'c', 'd'], ['b', 'd', 'a'])).toBe(2);
    expect(lcsLength([], ['a'])).toBe(0);
    const m = meanRouge(['a b', 'c d'], ['a b', 'x y']);
    expect(m.rouge1.fmeasure).toBe(0.5);
    expect(meanRouge([], []).rougeL.fmeasure).toBe(0);
  });
});

describe('per-example scores', () => {
  it('exactMatch counts case and punctuation but not surrounding or doubled spaces', () => {
    expect(exactMatch(['He said, "No."', 'It is.', 'a b'], [' He said,  "No." ', 'it is', 'a b.'])).toEqual([
      1, 0, 0,
    ]);
    expect(exactMatch([], [])).toEqual([]);
    expect(() => exactMatch(['a'], [])).toThrow(/1 gold labels but 0 predictions/);
  });
  it('casedTokenize keeps case and splits off every punctuation mark', () => {
    expect(casedTokenize("Atlanta's hard-fought race, 20,000 votes.")).toEqual([
      'Atlanta',
      "'",
      's',
      'hard',
      '-',
      'fought',
      'race',
      ',',
      '20',
      ',',
      '000',
      'votes',
      '.',
    ]);
    expect(casedTokenize('  ')).toEqual([]);
  });
  it('rougeLPerExample: the values meanRouge averages; casedTokenize sees case and punctuation', () => {
    const targets = ['The quick brown fox jumps over the lazy dog', 'He left, then.'];
    const predictions = ['The quick brown dog jumps on the log.', 'he left then'];
    const per = rougeLPerExample(targets, predictions);
    expect(per[0]).toBeCloseTo(0.5882, 4);
    expect(per[1]).toBe(1); // the default tokenizer is blind to case and punctuation
    expect((per[0] + per[1]) / 2).toBeCloseTo(meanRouge(targets, predictions).rougeL.fmeasure, 12);
    const cased = rougeLPerExample(targets, predictions, { tokenize: casedTokenize });
    // "He left , then ." vs "he left then": LCS 2 (left, then), P 2/3, R 2/5 -> F 0.5.
    expect(cased[1]).toBeCloseTo(0.5, 12);
    expect(rouge('He left, then.', 'he left then', { tokenize: casedTokenize }).rougeL.fmeasure).toBe(
      cased[1],
    );
  });
});

describe('classificationScores', () => {
  it('gives 1 or 0 per example, with accuracy and macro-F1 as the functions compute them', () => {
    const gold = ['a', 'b', 'b', 'c'];
    const pred = ['a', 'b', 'c', 'c'];
    expect(classificationScores(gold, pred)).toEqual({
      perExample: [1, 1, 0, 1],
      accuracy: accuracy(gold, pred),
      macroF1: macroF1(gold, pred),
    });
    expect(() => classificationScores(gold, pred.slice(1))).toThrow();
  });
});
