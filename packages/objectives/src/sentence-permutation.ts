/**
 * BART's sentence permutation (Lewis et al. 2020, section 2.2: "A document is divided into
 * sentences based on full stops, and these sentences are shuffled in a random order"; fairseq's
 * data/denoising_dataset.py `permute_sentences` with --permute-sentences 1.0, as in BART's recipe):
 * the inputs are the sentences in a uniformly random order, the targets the original text.
 *
 *   "I love cars . They are red ." -> inputs "They are red . I love cars ."
 *
 * Sentences come either from the caller (`sentenceStarts`, e.g. a document's sentence offsets) or
 * from a set of sentence-end ids: a sentence ends after a run of end tokens ("?!" ends one sentence,
 * not two), and text after the last end token is a sentence of its own, as fairseq treats the last
 * token. fairseq's `p` (permute only a share of the sentences) is not offered: BART permutes all.
 *
 * Not a (noise mask, inputs, targets) choice for `denoise`: no token is noise, whole sentences move.
 * One uniform permutation (Fisher-Yates, numSentences - 1 draws). No tfjs, no unseeded randomness.
 */
import { BART_STREAM } from './bart-infilling.js';
import { asInt32, checkKeys, type SeedOrRng, streamOf } from './objective-options.js';

/** Where the sentences are: give exactly one of the two. */
export interface SentenceSplit {
  /** Token ids that end a sentence (full stops, '?', '!'). */
  sentenceEndIds?: readonly number[];
  /** Start offset of every sentence, ascending, the first 0 (e.g. from a document's sentences). */
  sentenceStarts?: ArrayLike<number>;
}

/** [numSentences] start offsets of the sentences of tokens (empty for no tokens). */
export function sentenceStartsOf(tokens: ArrayLike<number>, split: SentenceSplit): Int32Array {
  checkKeys(split, ['sentenceEndIds', 'sentenceStarts'], 'sentence split');
  const { sentenceEndIds, sentenceStarts } = split;
  if ((sentenceEndIds === undefined) === (sentenceStarts === undefined))
    throw new Error('give exactly one of sentenceEndIds or sentenceStarts');
  const n = tokens.length;
  if (sentenceStarts !== undefined) {
    const starts = Int32Array.from(sentenceStarts);
    const ok =
      n === 0
        ? starts.length === 0
        : starts.length > 0 &&
          starts[0] === 0 &&
          starts.every((s, k) => s < n && (k === 0 || s > starts[k - 1]));
    if (!ok)
      throw new Error(
        `sentenceStarts must ascend strictly from 0 and stay below the ${n} tokens, got [${[...starts]}]`,
      );
    return starts;
  }
  const ends = new Set(sentenceEndIds);
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    // A sentence starts at 0 and after the last of a run of end tokens.
    if (i === 0 || (ends.has(tokens[i - 1]) && !ends.has(tokens[i]))) starts.push(i);
  }
  return Int32Array.from(starts);
}

export interface SentencePermutationOptions extends SentenceSplit, SeedOrRng {}

export interface SentencePermutationExample {
  /** The sentences in the drawn order. */
  inputs: Int32Array;
  /** The original tokens. */
  targets: Int32Array;
  /** Start offsets of the original sentences. */
  sentenceStarts: Int32Array;
  /** order[k] = the original index of the k-th sentence of the inputs. */
  order: Int32Array;
}

/** BART sentence permutation of one document. */
export function permuteSentences(
  tokens: ArrayLike<number>,
  opts: SentencePermutationOptions,
): SentencePermutationExample {
  checkKeys(opts, ['sentenceEndIds', 'sentenceStarts', 'seed', 'rng'], 'permuteSentences');
  const { seed, rng: given, ...split } = opts;
  const rng = streamOf({ seed, rng: given }, BART_STREAM, 'permuteSentences');
  const source = asInt32(tokens);
  const starts = sentenceStartsOf(source, split);
  const order = rng.permutation(starts.length);
  const inputs = new Int32Array(source.length);
  let pos = 0;
  for (const s of order) {
    const sentence = source.subarray(starts[s], s + 1 < starts.length ? starts[s + 1] : source.length);
    inputs.set(sentence, pos);
    pos += sentence.length;
  }
  return { inputs, targets: source.slice(), sentenceStarts: starts, order };
}
