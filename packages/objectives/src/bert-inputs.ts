/**
 * The four input formats of RoBERTa's NSP ablation (Liu et al. 2019, section 4.2, Table 2), and
 * ALBERT's sentence-order prediction, as one pipeline with a `format` switch; the pair objective
 * (NSP, SOP or none) is implied by the format (`pairObjective`).
 *
 *   segment-pair      [CLS] A [SEP] B [SEP], A and B spans of contiguous sentences, NSP
 *   sentence-pair     [CLS] A [SEP] B [SEP], A and B single sentences, NSP
 *   segment-pair-sop  as segment-pair, but B is always A's true neighbour in the same document,
 *                     in order or swapped, SOP (ALBERT, Lan et al. 2020, section 4.1; sop.ts)
 *   full-sentences    [CLS] s s s [SEP] s s [SEP], packed contiguously, crossing documents with
 *                     an extra [SEP] between them, no pair objective
 *   doc-sentences     as full-sentences but never crossing a document; the last input of a
 *                     document may be short (padded), no pair objective
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
import { INPUT_FORMATS, type InputFormat, NO_NSP_LABEL, type PairObjective } from './input-formats.js';
import { type Documents, nspPairs, type SentenceSpan } from './nsp.js';
import { sopPairs } from './sop.js';

export { describeExample, type ExampleMasking, type ExampleView } from './example-view.js';
export {
  formatHasNsp,
  formatHasPairLabel,
  INPUT_FORMATS,
  type InputFormat,
  NO_NSP_LABEL,
  type PairObjective,
  pairObjective,
} from './input-formats.js';

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
   * The pair head's label, whose meaning depends on `pairObjective`.
   * NSP: 1: B is the actual next text (isNext); 0: B is from another document.
   * SOP: 0: A then B in document order; 1: swapped (ALBERT's sentence_order_label, as in Hugging
   * Face's AlbertForPreTraining). So the coherent class is 1 for NSP but 0 for SOP.
   * -1: format without a pair objective.
   * Note: Hugging Face's BertForPreTraining uses the opposite NSP convention (0 = continuation);
   * flip when loading its NSP head.
   */
  nspLabel: number;
  /** Which objective nspLabel belongs to; set by buildBertInputs for the pair formats. */
  pairObjective?: PairObjective;
  /** Real tokens including specials; positions >= length are padding. */
  length: number;
  /**
   * Sentences the example was cut from, in order: [A, B] for pair formats (for a swapped SOP pair,
   * A's sentences come right after B's), one span per document piece otherwise.
   */
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
  const shortSeqProb = opts.shortSeqProb === undefined ? {} : { shortSeqProb: opts.shortSeqProb };
  if (format === 'segment-pair-sop') {
    // Segments as segment-pair's (same chunking and truncation, pair-chunks.ts), never across documents.
    const pairs = sopPairs(documents, { maxTokens: maxLen - 3, seed: opts.seed, ...shortSeqProb });
    return pairs.map((p) => ({
      ...pairExample(p.a, p.b, p.swapped, opts, [p.aSpan, p.bSpan]),
      pairObjective: 'sop',
    }));
  }
  const pairs = nspPairs(documents, {
    segments: format === 'segment-pair' ? 'multi-sentence' : 'single-sentence',
    maxTokens: maxLen - 3,
    seed: opts.seed,
    ...shortSeqProb,
  });
  return pairs.map((p) => ({
    ...pairExample(p.a, p.b, p.isNext, opts, [p.aSpan, p.bSpan]),
    pairObjective: 'nsp',
  }));
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
