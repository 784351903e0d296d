import { describe, expect, it } from 'vitest';
import {
  type BertExample,
  type BertInputOptions,
  batchExamples,
  buildBertBatch,
  buildBertInputs,
  formatHasNsp,
  INPUT_FORMATS,
  NO_NSP_LABEL,
} from './bert-inputs.js';
import { maskSequence } from './mlm.js';
import { docOf, tracedCorpus } from './testing.js';

const PAD = 0;
const CLS = 2;
const SEP = 3;
const MASK = 4;
const IDS = { clsId: CLS, sepId: SEP, padId: PAD } as const;

/** Element-wise equality (vitest's deep toEqual is slow on long typed arrays). */
function same(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What is wrong with the layout of an example, or '' (plain checks, cheap over thousands of examples). */
function layoutProblem(ex: BertExample, maxLen: number, nsp: boolean): string {
  const { inputIds, tokenTypeIds, attentionMask, length } = ex;
  if (inputIds.length !== maxLen || tokenTypeIds.length !== maxLen || attentionMask.length !== maxLen)
    return 'not padded to maxLen';
  if (length > maxLen || length < 2) return `length ${length}`;
  if (inputIds[0] !== CLS || inputIds[length - 1] !== SEP) return 'not [CLS] ... [SEP]';
  for (let t = 0; t < maxLen; t++) {
    if (attentionMask[t] !== (t < length ? 1 : 0)) return `attention mask wrong at ${t}`;
    if (t >= length && (inputIds[t] !== PAD || tokenTypeIds[t] !== 0)) return `padding wrong at ${t}`;
    if (t < length && inputIds[t] === PAD) return `pad inside the example at ${t}`;
  }
  const seps: number[] = [];
  for (let t = 0; t < length; t++) if (inputIds[t] === SEP) seps.push(t);
  if (nsp) {
    if (ex.nspLabel !== 0 && ex.nspLabel !== 1) return `nspLabel ${ex.nspLabel}`;
    if (seps.length !== 2) return `${seps.length} separators in a pair`;
    // Segment 0 is [CLS] A [SEP], segment 1 is B [SEP].
    for (let t = 0; t < length; t++)
      if (tokenTypeIds[t] !== (t <= seps[0] ? 0 : 1)) return `token type wrong at ${t}`;
  } else {
    if (ex.nspLabel !== NO_NSP_LABEL) return `nspLabel ${ex.nspLabel} without NSP`;
    for (let t = 0; t < maxLen; t++) if (tokenTypeIds[t] !== 0) return 'segment 1 in a packed format';
  }
  return '';
}

describe('buildBertInputs: the four RoBERTa formats', () => {
  const docs = tracedCorpus(1, 120, 14, 1, 24);
  docs[7] = []; // an empty document is skipped (ids of the others still name their index)
  docs.push([Int32Array.from({ length: 150 }, (_, k) => 10 + docs.length * 10000 + k)]); // a sentence longer than an input
  const maxLen = 64;

  it('every format fits maxLen with consistent segment ids, attention masks and NSP labels', () => {
    for (const format of INPUT_FORMATS) {
      const examples = buildBertInputs(docs, { format, ...IDS, maxLen, seed: 3 });
      expect(examples.length).toBeGreaterThan(50);
      const problems = examples
        .map((ex) => layoutProblem(ex, maxLen, formatHasNsp(format)))
        .filter((m) => m !== '');
      expect(problems, format).toEqual([]);
    }
  });

  it('pair formats: positives continue A in the same document, negatives come from another', () => {
    for (const format of ['segment-pair', 'sentence-pair'] as const) {
      const examples = buildBertInputs(docs, { format, ...IDS, maxLen, seed: 11 });
      let bad = 0;
      for (const ex of examples) {
        const [a, b] = ex.sources;
        const sameDoc = a.doc === b.doc && b.start === a.end;
        if (ex.nspLabel === 1 ? !sameDoc : b.doc === a.doc) bad++;
        // The B tokens themselves come from B's document.
        const sep = ex.inputIds.indexOf(SEP);
        if (sep + 1 < ex.length - 1 && docOf(ex.inputIds[sep + 1]) !== b.doc) bad++;
      }
      expect(bad).toBe(0);
      expect(examples.filter((e) => e.nspLabel === 1).length / examples.length).toBeGreaterThan(0.35);
    }
  });

  /** The non-special tokens of all examples in order, and for each example whether SEPs sit exactly at document changes. */
  function packedStream(examples: BertExample[]): {
    tokens: number[];
    sepAtEveryCrossing: boolean;
    crossings: number;
  } {
    const tokens: number[] = [];
    let sepAtEveryCrossing = true;
    let crossings = 0;
    for (const ex of examples) {
      let prevDoc = -1;
      let sawSep = false;
      for (let t = 1; t < ex.length - 1; t++) {
        const id = ex.inputIds[t];
        if (id === SEP) {
          sawSep = true;
          continue;
        }
        const d = docOf(id);
        if (prevDoc !== -1 && d !== prevDoc) {
          crossings++;
          if (!sawSep) sepAtEveryCrossing = false;
        } else if (sawSep) sepAtEveryCrossing = false; // a separator with no document change
        sawSep = false;
        prevDoc = d;
        tokens.push(id);
      }
    }
    return { tokens, sepAtEveryCrossing, crossings };
  }
  const corpusStream = docs.flatMap((sents) => sents.flatMap((s) => [...s]));

  it('FULL-SENTENCES packs the whole corpus in order, with an extra [SEP] wherever it crosses documents', () => {
    const examples = buildBertInputs(docs, { format: 'full-sentences', ...IDS, maxLen, seed: 0 });
    const { tokens, sepAtEveryCrossing, crossings } = packedStream(examples);
    expect(tokens).toEqual(corpusStream);
    expect(crossings).toBeGreaterThan(10);
    expect(sepAtEveryCrossing).toBe(true);
    // Greedy: an input ends only when the next sentence (and its separator) would not fit.
    let early = 0;
    for (let n = 0; n + 1 < examples.length; n++) {
      const next = examples[n + 1].sources[0];
      const nextSentence = docs[next.doc][next.start];
      const sep = examples[n].sources.at(-1)!.doc !== next.doc ? 1 : 0;
      const continuesSplit =
        examples[n].sources.at(-1)!.doc === next.doc && examples[n].sources.at(-1)!.end > next.start;
      if (!continuesSplit && examples[n].length - 2 + sep + nextSentence.length <= maxLen - 2) early++;
    }
    expect(early).toBe(0);
  });

  it('DOC-SENTENCES never crosses a document; a document end gives a shorter, padded input', () => {
    const examples = buildBertInputs(docs, { format: 'doc-sentences', ...IDS, maxLen, seed: 0 });
    const { tokens, crossings } = packedStream(examples);
    expect(tokens).toEqual(corpusStream);
    expect(crossings).toBe(0);
    for (const ex of examples) {
      expect(ex.sources.length).toBe(1);
      expect(ex.inputIds.subarray(1, ex.length - 1).includes(SEP)).toBe(false);
    }
    expect(examples.filter((e) => e.length < maxLen).length).toBeGreaterThan(docs.length / 2);
    expect(examples.length).toBeGreaterThan(
      buildBertInputs(docs, { format: 'full-sentences', ...IDS, maxLen, seed: 0 }).length,
    );
  });

  it('pins each format on a tiny corpus', () => {
    const tiny = [
      [Int32Array.from([10, 11]), Int32Array.from([12]), Int32Array.from([13, 14, 15])],
      [Int32Array.from([20, 21, 22]), Int32Array.from([23])],
      [Int32Array.from([30])],
    ];
    const show = (format: (typeof INPUT_FORMATS)[number]): string[] =>
      buildBertInputs(tiny, { format, ...IDS, maxLen: 8, seed: 1 }).map(
        (ex) => `${ex.nspLabel} ${[...ex.inputIds].join(' ')} / ${[...ex.tokenTypeIds].join('')}`,
      );
    expect({
      full: show('full-sentences'),
      doc: show('doc-sentences'),
      segment: show('segment-pair'),
      sentence: show('sentence-pair'),
    }).toMatchInlineSnapshot(`
      {
        "doc": [
          "-1 2 10 11 12 13 14 15 3 / 00000000",
          "-1 2 20 21 22 23 3 0 0 / 00000000",
          "-1 2 30 3 0 0 0 0 0 / 00000000",
        ],
        "full": [
          "-1 2 10 11 12 13 14 15 3 / 00000000",
          "-1 2 20 21 22 23 3 30 3 / 00000000",
        ],
        "segment": [
          "1 2 10 11 12 3 13 14 3 / 00000111",
          "0 2 20 21 22 3 10 11 3 / 00000111",
          "0 2 23 3 30 3 0 0 0 / 00011000",
        ],
        "sentence": [
          "1 2 10 11 3 12 3 0 0 / 00001100",
          "1 2 12 3 13 14 15 3 0 / 00011110",
          "0 2 20 21 22 3 10 11 3 / 00000111",
          "0 2 23 3 30 3 0 0 0 / 00011000",
        ],
      }
    `);
  });

  it('is deterministic for a seed; the batched form stacks the examples', () => {
    for (const format of ['segment-pair', 'sentence-pair'] as const) {
      const opts: BertInputOptions = { format, ...IDS, maxLen, seed: 5 };
      const a = buildBertBatch(docs, opts);
      const b = buildBertBatch(docs, opts);
      expect(
        same(a.inputIds, b.inputIds) &&
          same(a.tokenTypeIds, b.tokenTypeIds) &&
          same(a.nspLabels, b.nspLabels),
      ).toBe(true);
      expect(same(buildBertBatch(docs, { ...opts, seed: 6 }).inputIds, a.inputIds)).toBe(false);
    }
    const examples = buildBertInputs(docs, { format: 'segment-pair', ...IDS, maxLen, seed: 5 });
    const batch = batchExamples(examples);
    expect(batch.numExamples).toBe(examples.length);
    expect(batch.inputIds.length).toBe(examples.length * maxLen);
    const n = 17;
    expect(batch.inputIds.subarray(n * maxLen, (n + 1) * maxLen)).toEqual(examples[n].inputIds);
    expect(batch.tokenTypeIds.subarray(n * maxLen, (n + 1) * maxLen)).toEqual(examples[n].tokenTypeIds);
    expect(batch.attentionMask.subarray(n * maxLen, (n + 1) * maxLen)).toEqual(examples[n].attentionMask);
    expect(batch.nspLabels[n]).toBe(examples[n].nspLabel);
  });

  it('MLM over packed inputs never selects [CLS], [SEP] (document separators included) or padding', () => {
    const examples = buildBertInputs(docs, { format: 'full-sentences', ...IDS, maxLen, seed: 0 });
    const mlm = {
      vocabSize: 10 + docs.length * 10000,
      maskId: MASK,
      specialIds: [PAD, 1, CLS, SEP, MASK],
      mlmProbability: 0.5,
    };
    let hits = 0;
    examples.forEach((ex, i) => {
      const res = maskSequence(ex.inputIds, i, { masking: 'dynamic', seed: 2, epoch: 0 }, mlm);
      for (const p of res.positions) if ([PAD, CLS, SEP].includes(ex.inputIds[p])) hits++;
    });
    expect(hits).toBe(0);
  });

  it('explains bad options', () => {
    expect(() => buildBertInputs(docs, { format: 'segment-pair', ...IDS, maxLen: 4, seed: 0 })).toThrow(
      /maxLen must be an integer >= 5/,
    );
    expect(() => buildBertInputs(docs, { format: 'pairs', ...IDS, maxLen, seed: 0 } as never)).toThrow(
      /format must be one of/,
    );
    expect(() =>
      buildBertInputs(docs, { format: 'doc-sentences', ...IDS, maxLen, seed: 0, nsp: false } as never),
    ).toThrow(/Unknown BERT input option 'nsp'/);
    expect(() =>
      buildBertInputs(docs, { format: 'doc-sentences', ...IDS, maxLen, seed: 0, shortSeqProb: 0.1 }),
    ).toThrow(/pair formats/);
  });
});
