/**
 * How BERT's create_instances_from_document cuts a document into segments, shared by the two
 * pair objectives (nsp.ts, sop.ts) so that SOP's segments are built exactly as SEGMENT-PAIR's.
 * Internal: not exported from the package index.
 */
import type { Rng } from '@pretrain-lab/runtime/rng';

/** Sentences [start, end) joined into one token array. */
export function concatSentences(sentences: readonly Int32Array[], start: number, end: number): Int32Array {
  let total = 0;
  for (let j = start; j < end; j++) total += sentences[j].length;
  const out = new Int32Array(total);
  let at = 0;
  for (let j = start; j < end; j++) {
    out.set(sentences[j], at);
    at += sentences[j].length;
  }
  return out;
}

/** BERT's short_seq_prob: with that probability the target is uniform in [2, maxTokens], else maxTokens. */
export function drawTargetLength(rng: Rng, maxTokens: number, shortSeqProb: number): number {
  if (shortSeqProb > 0 && rng.float() < shortSeqProb) return 2 + rng.int(maxTokens - 1);
  return maxTokens;
}

/**
 * End (exclusive) of the chunk that starts at sentence i: sentences are added until they hold at
 * least target tokens or the document ends (BERT: `current_length >= target_seq_length`).
 */
export function chunkEnd(sentences: readonly Int32Array[], i: number, target: number): number {
  let j = i;
  let length = 0;
  while (j < sentences.length && length < target) length += sentences[j++].length;
  return j;
}

/** The checks nspPairs and sopPairs share; `what` names the objective in the message. */
export function checkPairOptions(
  opts: object,
  known: ReadonlySet<string>,
  maxTokens: number,
  shortSeqProb: number,
  what: string,
): void {
  for (const key of Object.keys(opts)) {
    if (!known.has(key)) throw new Error(`Unknown ${what} option '${key}'; known: ${[...known].join(', ')}`);
  }
  if (!Number.isInteger(maxTokens) || maxTokens < 2)
    throw new Error(`${what} maxTokens must be an integer >= 2 (maxLen >= 5), got ${maxTokens}`);
  if (!(shortSeqProb >= 0 && shortSeqProb <= 1))
    throw new Error(`shortSeqProb must be in [0, 1], got ${shortSeqProb}`);
}
