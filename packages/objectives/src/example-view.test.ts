import { describe, expect, it } from 'vitest';
import { buildBertInputs } from './bert-inputs.js';
import { describeExample } from './example-view.js';
import { maskSequence } from './mlm.js';

const IDS = { clsId: 2, sepId: 3, padId: 0 } as const;
const MASK = 4;

describe('describeExample', () => {
  const words = [
    '[PAD]',
    '[UNK]',
    '[CLS]',
    '[SEP]',
    '[MASK]',
    'i',
    'love',
    'this',
    'red',
    'car',
    'it',
    'is',
    'fast',
  ];
  const tok = (id: number): string => words[id] ?? `#${id}`;
  const docs = [
    [Int32Array.from([5, 6, 7, 8, 9]), Int32Array.from([10, 11, 12])],
    [Int32Array.from([10, 11, 8])],
  ];

  it('gives tokens, segments and the NSP label as JSON, with an optional MLM corruption', () => {
    const examples = buildBertInputs(docs, { format: 'sentence-pair', ...IDS, maxLen: 12, seed: 0 });
    const ex = examples[0];
    const mlm = maskSequence(
      ex.inputIds,
      0,
      { masking: 'dynamic', seed: 1, epoch: 0 },
      {
        vocabSize: words.length,
        maskId: MASK,
        specialIds: [0, 1, 2, 3, 4],
        selection: 'exact',
      },
    );
    const view = describeExample(ex, tok, mlm);
    expect(view.segmentA).toEqual(['i', 'love', 'this', 'red', 'car']);
    expect(view.tokens.slice(0, 7)).toEqual(['[CLS]', 'i', 'love', 'this', 'red', 'car', '[SEP]']);
    expect(view.padding).toBe(12 - view.length);
    expect(view.isNext).toBe(ex.nspLabel === 1);
    expect(view.masked?.targets.length).toBe(1);
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
    expect(view).toMatchInlineSnapshot(`
      {
        "isNext": true,
        "length": 11,
        "masked": {
          "targets": [
            {
              "how": "mask",
              "index": 5,
              "original": "car",
              "shownAs": "[MASK]",
            },
          ],
          "tokens": [
            "[CLS]",
            "i",
            "love",
            "this",
            "red",
            "[MASK]",
            "[SEP]",
            "it",
            "is",
            "fast",
            "[SEP]",
          ],
        },
        "maxLen": 12,
        "nspLabel": 1,
        "padding": 1,
        "segmentA": [
          "i",
          "love",
          "this",
          "red",
          "car",
        ],
        "segmentB": [
          "it",
          "is",
          "fast",
        ],
        "sources": [
          {
            "doc": 0,
            "end": 1,
            "start": 0,
          },
          {
            "doc": 0,
            "end": 2,
            "start": 1,
          },
        ],
        "tokenTypeIds": [
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          1,
          1,
          1,
          1,
        ],
        "tokens": [
          "[CLS]",
          "i",
          "love",
          "this",
          "red",
          "car",
          "[SEP]",
          "it",
          "is",
          "fast",
          "[SEP]",
        ],
      }
    `);
  });

  it('packed examples have no NSP and all content in segment A', () => {
    const [ex] = buildBertInputs(docs, { format: 'full-sentences', ...IDS, maxLen: 16, seed: 0 });
    const view = describeExample(ex, tok);
    expect(view.isNext).toBeNull();
    expect(view.segmentB).toEqual([]);
    expect(view.segmentA.join(' ')).toBe('i love this red car it is fast [SEP] it is red');
  });
});

describe('describeExample for sentence-order prediction', () => {
  // "i love this red car" then "it is fast" (ids as in the vocabulary above, 5..12).
  const doc = [[Int32Array.from([5, 6, 7, 8, 9]), Int32Array.from([10, 11, 12])]];
  const words = [
    '[PAD]',
    '[UNK]',
    '[CLS]',
    '[SEP]',
    '[MASK]',
    'i',
    'love',
    'this',
    'red',
    'car',
    'it',
    'is',
    'fast',
  ];
  const tok = (id: number): string => words[id] ?? `#${id}`;

  it('says whether the segments were swapped, and isNext is whether B follows A', () => {
    const views = [0, 1, 2, 3, 4, 5].map((seed) => {
      const [ex] = buildBertInputs(doc, { format: 'segment-pair-sop', ...IDS, maxLen: 12, seed });
      return describeExample(ex, tok);
    });
    const inOrder = views.find((v) => v.swapped === false);
    const swapped = views.find((v) => v.swapped === true);
    expect(inOrder).toMatchObject({ nspLabel: 0, isNext: true, swapped: false });
    expect(inOrder?.segmentA.join(' ')).toBe('i love this red car');
    expect(inOrder?.segmentB.join(' ')).toBe('it is fast');
    expect(swapped).toMatchObject({ nspLabel: 1, isNext: false, swapped: true });
    expect(swapped?.segmentA.join(' ')).toBe('it is fast');
    expect(swapped?.segmentB.join(' ')).toBe('i love this red car');
    expect(swapped?.sources).toEqual([
      { doc: 0, start: 1, end: 2 },
      { doc: 0, start: 0, end: 1 },
    ]);
    expect(JSON.parse(JSON.stringify(swapped))).toEqual(swapped);
  });

  it('NSP views have no swapped field', () => {
    const twoDocs = [...doc, [Int32Array.from([10, 11, 8])]];
    const [ex] = buildBertInputs(twoDocs, { format: 'segment-pair', ...IDS, maxLen: 12, seed: 0 });
    expect('swapped' in describeExample(ex, tok)).toBe(false);
  });
});
