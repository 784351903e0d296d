/**
 * Next-sentence-prediction pairs (BERT; RoBERTa's SEGMENT-PAIR and SENTENCE-PAIR formats).
 * Input: documents, each a list of tokenized sentences. Output: raw (A, B, isNext) pairs without
 * special tokens; bert-inputs.ts adds [CLS]/[SEP], segment ids and padding.
 *
 * The loop follows google-research/bert create_instances_from_document: sentences are gathered
 * into a chunk until it reaches the target length, the chunk is split at a random sentence
 * boundary into A | B, and a negative example replaces B by a span of another document while the
 * unused sentences of the chunk go back for the next example. Differences, each for a reason:
 * - The isNext coin is flipped first and is always honoured, so the NSP labels are exactly
 *   Bernoulli(0.5). BERT forces a negative whenever the chunk holds a single sentence, which
 *   biases labels toward "random". Here a single-sentence chunk takes its next sentence as B,
 *   and the last sentence of a document, left alone, takes its previous sentence as A.
 * - The random document is drawn uniformly among the OTHER non-empty documents (BERT retries 10
 *   times and may still land on the same one).
 * - shortSeqProb defaults to 0: RoBERTa (section 3.1) trains only on full-length inputs and does
 *   not inject BERT's 10% of short sequences. Set 0.1 for BERT's recipe.
 * ALBERT's sentence-order prediction (sop.ts) cuts its segments as the positives here, through the
 * same helpers (pair-chunks.ts).
 * Documents with fewer than two sentences yield no pair (there is no true next sentence), but
 * can still supply random B segments.
 */
import { Rng } from '@pretrain-lab/runtime/rng';
import { checkPairOptions, chunkEnd, concatSentences, drawTargetLength } from './pair-chunks.js';

/** Sentences [start, end) of document doc. */
export interface SentenceSpan {
  doc: number;
  start: number;
  end: number;
}

export interface NspPair {
  /** Segment A tokens after truncation. */
  a: Int32Array;
  /** Segment B tokens after truncation. */
  b: Int32Array;
  /** 1: B is the text that follows A; 0: B comes from another document. */
  isNext: 0 | 1;
  /** Sentences A and B were cut from (before truncation). */
  aSpan: SentenceSpan;
  bSpan: SentenceSpan;
}

export interface NspPairOptions {
  /** 'multi-sentence': SEGMENT-PAIR (segments of contiguous sentences); 'single-sentence': SENTENCE-PAIR. */
  segments: 'multi-sentence' | 'single-sentence';
  /** Most tokens of A and B together (maxLen - 3 for [CLS] A [SEP] B [SEP]). */
  maxTokens: number;
  seed: number;
  /** Probability of a shorter target length, uniform in [2, maxTokens] (BERT: 0.1). Default 0. */
  shortSeqProb?: number;
}

export type Documents = readonly (readonly Int32Array[])[];

/**
 * BERT's truncate_seq_pair: while A and B are too long together, remove one token from the longer
 * one (B on ties), from the front or the back with equal probability.
 */
export function truncateSeqPair(
  a: Int32Array,
  b: Int32Array,
  maxTokens: number,
  rng: Rng,
): [Int32Array, Int32Array] {
  let a0 = 0;
  let a1 = a.length;
  let b0 = 0;
  let b1 = b.length;
  while (a1 - a0 + (b1 - b0) > maxTokens) {
    const front = rng.float() < 0.5;
    if (a1 - a0 > b1 - b0) {
      if (front) a0++;
      else a1--;
    } else if (front) b0++;
    else b1--;
  }
  return [a.subarray(a0, a1), b.subarray(b0, b1)];
}

const NSP_KEYS = new Set(['segments', 'maxTokens', 'seed', 'shortSeqProb']);

/**
 * All NSP pairs of a corpus, document by document. Document d draws from its own stream
 * Rng.derive(seed, 'nsp/doc' + d), so its pairs do not depend on how other documents went.
 */
export function nspPairs(documents: Documents, opts: NspPairOptions): NspPair[] {
  const { segments, maxTokens, seed } = opts;
  const shortSeqProb = opts.shortSeqProb ?? 0;
  checkPairOptions(opts, NSP_KEYS, maxTokens, shortSeqProb, 'NSP');
  if (segments !== 'multi-sentence' && segments !== 'single-sentence') {
    throw new Error(`NSP segments must be 'multi-sentence' or 'single-sentence', got '${segments}'`);
  }
  const nonEmpty: number[] = [];
  const rankOf = new Int32Array(documents.length);
  documents.forEach((doc, d) => {
    rankOf[d] = nonEmpty.length;
    if (doc.length > 0) nonEmpty.push(d);
  });
  if (nonEmpty.length < 2) {
    throw new Error(
      `NSP needs at least 2 non-empty documents to draw random next segments from, got ${nonEmpty.length}`,
    );
  }
  const single = segments === 'single-sentence';
  const pairs: NspPair[] = [];

  for (let d = 0; d < documents.length; d++) {
    const sents = documents[d];
    const n = sents.length;
    if (n < 2) continue;
    const rng = Rng.derive(seed, `nsp/doc${d}`);
    const self = rankOf[d]; // d's place in nonEmpty, to draw uniformly among the others
    let i = 0;
    while (i < n) {
      const target = drawTargetLength(rng, maxTokens, shortSeqProb);
      // Chunk: sentences [i, j).
      let j = single ? i + 1 : chunkEnd(sents, i, target);
      const isNext = rng.float() < 0.5;
      let aStart = i;
      let aEnd = j - i >= 2 ? i + 1 + rng.int(j - i - 1) : i + 1;
      let aSpan: SentenceSpan;
      let bSpan: SentenceSpan;
      if (isNext) {
        if (j - i === 1) {
          // Take the true next sentence as B; the last sentence, alone, takes its previous one as A (n >= 2).
          if (j < n) j++;
          else aStart = i - 1;
          aEnd = j - 1;
        }
        aSpan = { doc: d, start: aStart, end: aEnd };
        bSpan = { doc: d, start: aEnd, end: j };
        i = j;
      } else {
        aSpan = { doc: d, start: aStart, end: aEnd };
        let lengthA = 0;
        for (let s = aStart; s < aEnd; s++) lengthA += sents[s].length;
        let other = rng.int(nonEmpty.length - 1);
        if (other >= self) other++;
        const od = nonEmpty[other];
        const otherSents = documents[od];
        const bStart = rng.int(otherSents.length);
        let bEnd = bStart + 1;
        if (!single) {
          const targetB = target - lengthA;
          let lengthB = otherSents[bStart].length;
          while (bEnd < otherSents.length && lengthB < targetB) lengthB += otherSents[bEnd++].length;
        }
        bSpan = { doc: od, start: bStart, end: bEnd };
        i = aEnd; // the chunk's unused sentences go back for the next example
      }
      const [a, b] = truncateSeqPair(
        concatSentences(sents, aSpan.start, aSpan.end),
        concatSentences(documents[bSpan.doc], bSpan.start, bSpan.end),
        maxTokens,
        rng,
      );
      pairs.push({ a, b, isNext: isNext ? 1 : 0, aSpan, bSpan });
    }
  }
  return pairs;
}
