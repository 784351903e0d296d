/**
 * ALBERT's sentence-order prediction (Lan et al. 2020, section 4.1), the pair objective that
 * replaces NSP: two consecutive segments of one document, in order (label 0) or swapped
 * (label 1), 50/50. ALBERT argues that NSP is solved mostly by telling topics apart (a random B is
 * off topic); both SOP classes come from the same document, so only inter-sentence coherence helps.
 *
 * The segments are built exactly as SEGMENT-PAIR's positives (nsp.ts, both through
 * pair-chunks.ts): a chunk of contiguous sentences up to the target length, split at a random
 * sentence boundary into A | B, then BERT's truncate_seq_pair. The draws follow ALBERT's
 * create_instances_from_document: target length, split point, the swap coin, then truncation of
 * the (possibly swapped) pair. One difference, for the reason given: ALBERT still takes B from a
 * random other document when a chunk holds a single sentence (and labels it 1), so some of its
 * "swapped" pairs are NSP negatives. Here such a chunk takes its next sentence as B, and the last
 * sentence of a document, left alone, takes its previous sentence as A (as nsp.ts does for its
 * positives), so every pair is two consecutive segments of one document.
 *
 * Documents with fewer than two sentences yield no pair. Document d draws from its own stream
 * Rng.derive(seed, 'sop/doc' + d).
 */
import { Rng } from '@pretrain-lab/runtime/rng';
import { type Documents, type SentenceSpan, truncateSeqPair } from './nsp.js';
import { checkPairOptions, chunkEnd, concatSentences, drawTargetLength } from './pair-chunks.js';

export interface SopPair {
  /** First segment of the example, after truncation (the later text when swapped). */
  a: Int32Array;
  /** Second segment of the example, after truncation. */
  b: Int32Array;
  /** The SOP label (ALBERT's sentence_order_label): 0 in document order, 1 swapped. */
  swapped: 0 | 1;
  /** Sentences a and b were cut from (before truncation): aSpan.end === bSpan.start, or the reverse when swapped. */
  aSpan: SentenceSpan;
  bSpan: SentenceSpan;
}

export interface SopPairOptions {
  /** Most tokens of A and B together (maxLen - 3 for [CLS] A [SEP] B [SEP]). */
  maxTokens: number;
  seed: number;
  /** Probability of a shorter target length, uniform in [2, maxTokens] (BERT and ALBERT: 0.1). Default 0. */
  shortSeqProb?: number;
}

const SOP_KEYS = new Set(['maxTokens', 'seed', 'shortSeqProb']);

/** All SOP pairs of a corpus, document by document, in document order. */
export function sopPairs(documents: Documents, opts: SopPairOptions): SopPair[] {
  const { maxTokens, seed } = opts;
  const shortSeqProb = opts.shortSeqProb ?? 0;
  checkPairOptions(opts, SOP_KEYS, maxTokens, shortSeqProb, 'SOP');
  if (!Number.isInteger(seed)) throw new Error(`SOP seed must be an integer, got ${seed}`);
  const pairs: SopPair[] = [];
  for (let d = 0; d < documents.length; d++) {
    const sents = documents[d];
    const n = sents.length;
    if (n < 2) continue;
    const rng = Rng.derive(seed, `sop/doc${d}`);
    let i = 0;
    while (i < n) {
      const target = drawTargetLength(rng, maxTokens, shortSeqProb);
      // Chunk: sentences [start, end), split into [start, split) | [split, end).
      let start = i;
      let end = chunkEnd(sents, i, target);
      let split: number;
      if (end - i >= 2) split = i + 1 + rng.int(end - i - 1);
      else {
        if (end < n) end++;
        else start = i - 1; // the last sentence, alone: its previous one (already used) is the first segment
        split = end - 1;
      }
      const swapped = rng.float() < 0.5;
      const first: SentenceSpan = { doc: d, start, end: split };
      const second: SentenceSpan = { doc: d, start: split, end };
      const [aSpan, bSpan] = swapped ? [second, first] : [first, second];
      const [a, b] = truncateSeqPair(
        concatSentences(sents, aSpan.start, aSpan.end),
        concatSentences(sents, bSpan.start, bSpan.end),
        maxTokens,
        rng,
      );
      pairs.push({ a, b, swapped: swapped ? 1 : 0, aSpan, bSpan });
      i = end;
    }
  }
  return pairs;
}
