/**
 * The four input formats of RoBERTa's NSP ablation (Liu et al. 2019, section 4.2, Table 2) as one
 * pipeline with a `format` switch; NSP is implied by the format.
 *
 *   segment-pair    [CLS] A [SEP] B [SEP], A and B spans of contiguous sentences, NSP
 *   sentence-pair   [CLS] A [SEP] B [SEP], A and B single sentences, NSP
 *   full-sentences  [CLS] s s s [SEP] s s [SEP], packed contiguously, crossing documents with an
 *                   extra [SEP] between them, no NSP
 *   doc-sentences   as full-sentences but never crossing a document; the last input of a
 *                   document may be short (padded), no NSP
 *
 * Input documents are lists of tokenized sentences (Int32Array per sentence). Every example is
 * padded to maxLen, total length including specials. Token type (segment) ids are 0 for
 * [CLS] A [SEP] and 1 for B [SEP]; packed formats are all segment 0. Packing keeps the corpus
 * order (the loader shuffles examples); a sentence longer than an input's room is split over
 * several inputs rather than dropped.
 *
 * RoBERTa grows the batch for short DOC-SENTENCES inputs to keep tokens per batch constant; that
 * belongs to the batcher, which can read `length` of each example.
 */
import { type Documents, nspPairs, type SentenceSpan } from './nsp.js';

export type InputFormat = 'segment-pair' | 'sentence-pair' | 'full-sentences' | 'doc-sentences';

export const INPUT_FORMATS: readonly InputFormat[] = [
  'segment-pair',
  'sentence-pair',
  'full-sentences',
  'doc-sentences',
];

/** Whether a format trains next-sentence prediction. */
export function formatHasNsp(format: InputFormat): boolean {
  return format === 'segment-pair' || format === 'sentence-pair';
}

/** nspLabel of formats without NSP (an ignore value for the NSP head). */
export const NO_NSP_LABEL = -1;

export interface BertInputOptions {
  format: InputFormat;
  clsId: number;
  sepId: number;
  padId: number;
  /** Total length including [CLS]/[SEP]; every example is padded to it. */
  maxLen: number;
  seed: number;
  /** Pair formats only: probability of a shorter target length (BERT 0.1, RoBERTa 0 = default). */
  shortSeqProb?: number;
}

export interface BertExample {
  /** [maxLen] */
  inputIds: Int32Array;
  /** [maxLen] 0 for [CLS] A [SEP], 1 for B [SEP], 0 on padding. */
  tokenTypeIds: Int32Array;
  /** [maxLen] 1 on real tokens, 0 on padding. */
  attentionMask: Int32Array;
  /**
   * 1: B is the actual next text (isNext); 0: B is from another document; -1: format without NSP.
   * Note: Hugging Face's BertForPreTraining uses the opposite (0 = continuation); flip when
   * loading its NSP head.
   */
  nspLabel: number;
  /** Real tokens including specials; positions >= length are padding. */
  length: number;
  /** Sentences the example was cut from, in order: [A, B] for pair formats, one span per document piece otherwise. */
  sources: SentenceSpan[];
}

export interface BertBatch {
  /** [numExamples * maxLen] row-major */
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  attentionMask: Int32Array;
  /** [numExamples] */
  nspLabels: Int32Array;
  numExamples: number;
  maxLen: number;
}

const INPUT_KEYS = new Set(['format', 'clsId', 'sepId', 'padId', 'maxLen', 'seed', 'shortSeqProb']);

function emptyExample(maxLen: number, padId: number): BertExample {
  return {
    inputIds: new Int32Array(maxLen).fill(padId),
    tokenTypeIds: new Int32Array(maxLen),
    attentionMask: new Int32Array(maxLen),
    nspLabel: NO_NSP_LABEL,
    length: 0,
    sources: [],
  };
}

/** [CLS] a [SEP] b [SEP] padded to maxLen; a.length + b.length must be <= maxLen - 3. */
export function pairExample(
  a: Int32Array,
  b: Int32Array,
  nspLabel: number,
  opts: Pick<BertInputOptions, 'clsId' | 'sepId' | 'padId' | 'maxLen'>,
  sources: SentenceSpan[] = [],
): BertExample {
  const { clsId, sepId, padId, maxLen } = opts;
  const length = a.length + b.length + 3;
  if (length > maxLen)
    throw new Error(`pair of ${a.length} + ${b.length} tokens does not fit maxLen ${maxLen} with 3 specials`);
  const ex = emptyExample(maxLen, padId);
  ex.inputIds[0] = clsId;
  ex.inputIds.set(a, 1);
  ex.inputIds[1 + a.length] = sepId;
  ex.inputIds.set(b, 2 + a.length);
  ex.inputIds[length - 1] = sepId;
  ex.tokenTypeIds.fill(1, 2 + a.length, length);
  ex.attentionMask.fill(1, 0, length);
  ex.nspLabel = nspLabel;
  ex.length = length;
  ex.sources = sources;
  return ex;
}

/**
 * FULL-SENTENCES / DOC-SENTENCES packing: [CLS] content [SEP], content at most maxLen - 2 tokens.
 * With crossDocuments, a document boundary inside an input becomes an extra [SEP] (counted in the
 * budget); without it, every document starts a new input.
 */
function packSentences(documents: Documents, opts: BertInputOptions, crossDocuments: boolean): BertExample[] {
  const { clsId, sepId, padId, maxLen } = opts;
  const room = maxLen - 2;
  const examples: BertExample[] = [];
  let content: number[] = [];
  let sources: SentenceSpan[] = [];
  const flush = (): void => {
    if (content.length === 0) return;
    const ex = emptyExample(maxLen, padId);
    ex.inputIds[0] = clsId;
    ex.inputIds.set(content, 1);
    ex.inputIds[content.length + 1] = sepId;
    ex.length = content.length + 2;
    ex.attentionMask.fill(1, 0, ex.length);
    ex.sources = sources;
    examples.push(ex);
    content = [];
    sources = [];
  };
  // Adds sentence s of document d to the current input's sources.
  const note = (d: number, s: number): void => {
    const last = sources[sources.length - 1];
    if (last !== undefined && last.doc === d && last.end === s + 1) return; // another piece of a split sentence
    if (last !== undefined && last.doc === d && last.end === s) last.end = s + 1;
    else sources.push({ doc: d, start: s, end: s + 1 });
  };
  for (let d = 0; d < documents.length; d++) {
    const sents = documents[d];
    if (sents.length === 0) continue;
    if (!crossDocuments) flush();
    let firstOfDoc = true;
    for (let s = 0; s < sents.length; s++) {
      const sentence = sents[s];
      const needsSep = firstOfDoc && content.length > 0;
      if (content.length + (needsSep ? 1 : 0) + sentence.length > room) flush();
      else if (needsSep) content.push(sepId);
      firstOfDoc = false;
      // A sentence longer than a whole input is split over several inputs.
      for (let at = 0; at < sentence.length; ) {
        if (content.length === room) flush();
        const take = Math.min(room - content.length, sentence.length - at);
        for (let t = 0; t < take; t++) content.push(sentence[at + t]);
        note(d, s);
        at += take;
      }
      if (sentence.length === 0) note(d, s);
    }
  }
  flush();
  return examples;
}

/** Builds every example of the corpus in the chosen format. Deterministic given opts.seed. */
export function buildBertInputs(documents: Documents, opts: BertInputOptions): BertExample[] {
  for (const key of Object.keys(opts)) {
    if (!INPUT_KEYS.has(key))
      throw new Error(`Unknown BERT input option '${key}'; known: ${[...INPUT_KEYS].join(', ')}`);
  }
  const { format, maxLen } = opts;
  if (!INPUT_FORMATS.includes(format))
    throw new Error(`format must be one of ${INPUT_FORMATS.join(', ')}; got '${format}'`);
  for (const name of ['clsId', 'sepId', 'padId', 'seed'] as const) {
    if (!Number.isInteger(opts[name]))
      throw new Error(`BERT input option ${name} must be an integer, got ${opts[name]}`);
  }
  if (format === 'full-sentences' || format === 'doc-sentences') {
    if (!Number.isInteger(maxLen) || maxLen < 3)
      throw new Error(`maxLen must be an integer >= 3 for ${format}, got ${maxLen}`);
    if (opts.shortSeqProb !== undefined && opts.shortSeqProb !== 0) {
      throw new Error(`shortSeqProb applies only to the pair formats, not ${format}`);
    }
    return packSentences(documents, opts, format === 'full-sentences');
  }
  if (!Number.isInteger(maxLen) || maxLen < 5)
    throw new Error(`maxLen must be an integer >= 5 for ${format}, got ${maxLen}`);
  const pairs = nspPairs(documents, {
    segments: format === 'segment-pair' ? 'multi-sentence' : 'single-sentence',
    maxTokens: maxLen - 3,
    seed: opts.seed,
    ...(opts.shortSeqProb === undefined ? {} : { shortSeqProb: opts.shortSeqProb }),
  });
  return pairs.map((p) => pairExample(p.a, p.b, p.isNext, opts, [p.aSpan, p.bSpan]));
}

/** Stacks examples of one maxLen into flat [N * maxLen] arrays. */
export function batchExamples(examples: readonly BertExample[]): BertBatch {
  const numExamples = examples.length;
  const maxLen = numExamples === 0 ? 0 : examples[0].inputIds.length;
  const inputIds = new Int32Array(numExamples * maxLen);
  const tokenTypeIds = new Int32Array(numExamples * maxLen);
  const attentionMask = new Int32Array(numExamples * maxLen);
  const nspLabels = new Int32Array(numExamples);
  examples.forEach((ex, n) => {
    if (ex.inputIds.length !== maxLen)
      throw new Error(`example ${n} has length ${ex.inputIds.length}, expected ${maxLen}`);
    inputIds.set(ex.inputIds, n * maxLen);
    tokenTypeIds.set(ex.tokenTypeIds, n * maxLen);
    attentionMask.set(ex.attentionMask, n * maxLen);
    nspLabels[n] = ex.nspLabel;
  });
  return { inputIds, tokenTypeIds, attentionMask, nspLabels, numExamples, maxLen };
}

/** buildBertInputs then batchExamples. */
export function buildBertBatch(documents: Documents, opts: BertInputOptions): BertBatch {
  return batchExamples(buildBertInputs(documents, opts));
}

/** An MLM corruption of one example, row-aligned with it (e.g. maskSequence's result). */
export interface ExampleMasking {
  inputs: Int32Array;
  labels: Int32Array;
  positions: Int32Array;
  how: readonly string[];
}

export interface ExampleView {
  /** Real tokens (padding left out). */
  tokens: string[];
  tokenTypeIds: number[];
  /** Number of pad positions after the real tokens. */
  padding: number;
  length: number;
  maxLen: number;
  nspLabel: number;
  /** true / false for NSP formats, null without NSP. */
  isNext: boolean | null;
  /** Segment A and B tokens without specials, for pair formats; for packed formats A is the whole content. */
  segmentA: string[];
  segmentB: string[];
  sources: SentenceSpan[];
  /** Present when an MLM corruption was given. */
  masked?: {
    tokens: string[];
    targets: { index: number; original: string; shownAs: string; how: string }[];
  };
}

/** A JSON-able view of one example, tokens as strings, optionally with its MLM corruption. */
export function describeExample(
  example: BertExample,
  idToToken: (id: number) => string,
  mlm?: ExampleMasking,
): ExampleView {
  const { length, inputIds, tokenTypeIds } = example;
  const maxLen = inputIds.length;
  const real = Array.from(inputIds.subarray(0, length));
  const types = Array.from(tokenTypeIds.subarray(0, length));
  const tokens = real.map(idToToken);
  // Content between the specials: A is positions 1 .. first segment-1 position - 2, B up to length - 2.
  const firstB = types.indexOf(1);
  const aEnd = firstB === -1 ? length - 1 : firstB - 1;
  const segmentA = tokens.slice(1, Math.max(1, aEnd));
  const segmentB = firstB === -1 ? [] : tokens.slice(firstB, length - 1);
  const view: ExampleView = {
    tokens,
    tokenTypeIds: types,
    padding: maxLen - length,
    length,
    maxLen,
    nspLabel: example.nspLabel,
    isNext: example.nspLabel === NO_NSP_LABEL ? null : example.nspLabel === 1,
    segmentA,
    segmentB,
    sources: example.sources.map((s) => ({ ...s })),
  };
  if (mlm !== undefined) {
    if (mlm.inputs.length !== maxLen)
      throw new Error(`MLM corruption has length ${mlm.inputs.length}, example has ${maxLen}`);
    view.masked = {
      tokens: Array.from(mlm.inputs.subarray(0, length), idToToken),
      targets: Array.from(mlm.positions, (index, k) => ({
        index,
        original: idToToken(mlm.labels[index]),
        shownAs: idToToken(mlm.inputs[index]),
        how: mlm.how[k],
      })),
    };
  }
  return view;
}
