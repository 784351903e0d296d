/**
 * SpanBERT's span masking and span boundary objective (Joshi et al. 2020, sections 3.1 and 3.2;
 * facebookresearch/SpanBERT, pretraining/fairseq/data/masking.py `PairWithSpanMaskingScheme` and
 * `span_masking`). Through `denoise` (denoise.ts):
 *
 *   noise mask (spanBertNoiseMask) -> inputs (spanLevelReplacement) -> targets (noiseTokenLabels)
 *
 * Masking. Spans are drawn until 15% of the tokens are masked. A span's length in words comes from
 * Geo(p = 0.2) clipped at 10: as in the reference, the geometric is renormalized over 1..10, which
 * gives the paper's mean of 3.8 (clamping longer draws to 10 would give 4.46). Its start is a
 * uniformly chosen word not yet masked. Spans are whole words when `wordStarts` is given, else
 * every token is a word. Touching spans merge (the reference's merge_intervals), so the runs of the
 * noise mask are the spans. As in BERT, 80% of the spans become [MASK], 10% random tokens, 10% stay
 * as they are, but decided once per SPAN, not per token (section 3.1).
 *
 *   "I love this red car", span "this red": inputs = I love [MASK] [MASK] car
 *
 * Span boundary objective. Each masked token x_i of a span x_s..x_e is predicted from the two
 * tokens just outside it, x_{s-1} and x_{e+1}, and its position relative to the left one, i - s + 1
 * (the paper's p_{i-s+1}):  "this": (1, 4, 1), "red": (1, 4, 2). A span at either end of the
 * sequence has no boundary pair and no SBO targets, as in the reference.
 *
 * Differences from the reference, each for a reason: the start is uniform over the unmasked WORD
 * starts, as the paper says (the reference draws any token and snaps to its word's start, so long
 * words start spans more often); the budget, ceil(n * 0.15) of the n non-special tokens, is checked
 * between words, so the last word stays whole (the reference cuts it) and at most one word's worth of
 * tokens beyond the budget is masked (none when every token is a word); special tokens are never
 * masked and end a span; random replacements are uniform over the non-special ids, as mlm.ts.
 *
 * Draw order: per span, its length, then its start word; then per merged span, left to right, one
 * float for the treatment and, for 'random', one id per token. No tfjs, no unseeded randomness.
 */
import type { Rng } from '@pretrain-lab/runtime/rng';
import { type DenoiseFn, denoise } from './denoise.js';
import { IGNORE_INDEX, type MaskTreatment } from './mlm.js';
import { asInt32, ceilCount, checkKeys, checkRate, type SeedOrRng, streamOf } from './objective-options.js';

/** The label of the stream `seed` derives: Rng.derive(seed, 'spanbert'). */
export const SPANBERT_STREAM = 'spanbert';

/** [maxLength + 1]: P(length = l) of Geo(p) renormalized over 1..maxLength (entry 0 is 0). */
export function spanLengthDistribution(p = 0.2, maxLength = 10): Float64Array {
  if (!(p > 0 && p <= 1)) throw new Error(`geometricP must be in (0, 1], got ${p}`);
  if (!Number.isInteger(maxLength) || maxLength < 1)
    throw new Error(`maxSpanLength must be a positive integer, got ${maxLength}`);
  const pmf = new Float64Array(maxLength + 1);
  let total = 0;
  for (let l = 1; l <= maxLength; l++) {
    pmf[l] = p * (1 - p) ** (l - 1);
    total += pmf[l];
  }
  for (let l = 1; l <= maxLength; l++) pmf[l] /= total;
  return pmf;
}

/** One length from a distribution (inverse CDF, one float). */
export function sampleSpanLength(pmf: Float64Array, rng: Rng): number {
  const u = rng.float();
  let cumulative = 0;
  for (let l = 1; l < pmf.length; l++) {
    cumulative += pmf[l];
    if (u < cumulative) return l;
  }
  return pmf.length - 1; // rounding left u above the last cumulative sum
}

export interface SpanBertOptions extends SeedOrRng {
  vocabSize: number;
  /** Id of [MASK]. */
  maskId: number;
  /** Never masked, never drawn as a random replacement; a span stops at one. */
  specialIds: readonly number[];
  /** [n], 1 where a token begins a word (e.g. no '##' prefix). Default: every token is a word. */
  wordStarts?: ArrayLike<number>;
  /** Masking budget: ceil(n * maskRatio) of the n non-special tokens. Default 0.15. */
  maskRatio?: number;
  /** Default 0.2. */
  geometricP?: number;
  /** Span lengths are 1..maxSpanLength words. Default 10. */
  maxSpanLength?: number;
  /** Share of spans replaced by [MASK]; default 0.8. */
  maskReplaceProb?: number;
  /** Share of spans replaced by random tokens; default 0.1 (the rest are kept). */
  randomReplaceProb?: number;
}

const SPANBERT_KEYS = [
  'seed',
  'rng',
  'vocabSize',
  'maskId',
  'specialIds',
  'wordStarts',
  'maskRatio',
  'geometricP',
  'maxSpanLength',
  'maskReplaceProb',
  'randomReplaceProb',
];

/** [n] 0/1 mask of SpanBERT's masked tokens (see the header for the rule). */
export function spanBertNoiseMask(
  tokens: ArrayLike<number>,
  opts: Pick<SpanBertOptions, 'specialIds' | 'wordStarts' | 'maskRatio' | 'geometricP' | 'maxSpanLength'>,
  rng: Rng,
): Uint8Array {
  const n = tokens.length;
  const { wordStarts } = opts;
  if (wordStarts !== undefined && wordStarts.length !== n)
    throw new Error(`wordStarts has length ${wordStarts.length} but there are ${n} tokens`);
  const special = new Set(opts.specialIds);
  let numCandidates = 0;
  // Words: [start, end) runs of non-special tokens; a special token ends one.
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < n; i++) {
    if (special.has(tokens[i])) continue;
    numCandidates++;
    if (i === 0 || special.has(tokens[i - 1]) || wordStarts === undefined || wordStarts[i]) {
      starts.push(i);
      ends.push(i + 1);
    } else ends[ends.length - 1] = i + 1;
  }
  const maskRatio = opts.maskRatio ?? 0.15;
  checkRate('maskRatio', maskRatio, 'spanBert');
  const budget = ceilCount(numCandidates, maskRatio);
  const pmf = spanLengthDistribution(opts.geometricP, opts.maxSpanLength);
  const mask = new Uint8Array(n);
  const wordMasked = new Uint8Array(starts.length);
  let count = 0;
  while (count < budget) {
    const free: number[] = [];
    for (let w = 0; w < starts.length; w++) if (!wordMasked[w]) free.push(w);
    if (free.length === 0) break;
    const length = sampleSpanLength(pmf, rng);
    let w = free[rng.int(free.length)];
    for (let k = 0; k < length && count < budget; k++) {
      if (k > 0) {
        if (w + 1 >= starts.length || starts[w + 1] !== ends[w]) break; // the end, or a special token
        w++;
      }
      // A word already masked still counts toward the span's length, as in the reference.
      if (wordMasked[w]) continue;
      wordMasked[w] = 1;
      mask.fill(1, starts[w], ends[w]);
      count += ends[w] - starts[w];
    }
  }
  return mask;
}

/**
 * The inputs stage: each run of noise (a merged span) becomes all [MASK] (maskReplaceProb), all
 * random non-special ids (randomReplaceProb) or stays. When `how` is given, each span's treatment
 * is pushed onto it, left to right.
 */
export function spanLevelReplacement(
  opts: Pick<
    SpanBertOptions,
    'vocabSize' | 'maskId' | 'specialIds' | 'maskReplaceProb' | 'randomReplaceProb'
  >,
  how?: MaskTreatment[],
): DenoiseFn {
  const { vocabSize, maskId } = opts;
  if (!Number.isInteger(vocabSize) || vocabSize < 1)
    throw new Error(`vocabSize must be a positive integer, got ${vocabSize}`);
  if (!Number.isInteger(maskId) || maskId < 0 || maskId >= vocabSize)
    throw new Error(`maskId ${maskId} is outside the vocabulary [0, ${vocabSize})`);
  const maskProb = opts.maskReplaceProb ?? 0.8;
  const randomProb = opts.randomReplaceProb ?? 0.1;
  checkRate('maskReplaceProb', maskProb, 'spanBert');
  checkRate('randomReplaceProb', randomProb, 'spanBert');
  if (maskProb + randomProb > 1 + 1e-12)
    throw new Error(`maskReplaceProb + randomReplaceProb must be <= 1, got ${maskProb} + ${randomProb}`);
  const special = new Set(opts.specialIds);
  let numNonSpecial = 0;
  for (let id = 0; id < vocabSize; id++) if (!special.has(id)) numNonSpecial++;
  if (randomProb > 0 && numNonSpecial === 0)
    throw new Error('every id is special: there is no random replacement to draw');
  const randomId = (rng: Rng): number => {
    for (;;) {
      const id = rng.int(vocabSize);
      if (!special.has(id)) return id;
    }
  };
  return (tokens, noiseMask, rng) => {
    const inputs = Int32Array.from(tokens);
    for (let s = 0; s < inputs.length; s++) {
      if (!noiseMask[s] || (s > 0 && noiseMask[s - 1])) continue; // s starts a span
      let e = s;
      while (e + 1 < inputs.length && noiseMask[e + 1]) e++;
      const u = rng.float();
      const treatment: MaskTreatment = u < maskProb ? 'mask' : u < maskProb + randomProb ? 'random' : 'keep';
      how?.push(treatment);
      if (treatment === 'mask') inputs.fill(maskId, s, e + 1);
      else if (treatment === 'random') for (let i = s; i <= e; i++) inputs[i] = randomId(rng);
    }
    return inputs;
  };
}

/** The targets stage: the original id at noise positions, IGNORE_INDEX elsewhere (MLM labels). */
export const noiseTokenLabels: DenoiseFn = (tokens, noiseMask) =>
  Int32Array.from(tokens, (t, i) => (noiseMask[i] ? t : IGNORE_INDEX));

/** SBO targets, one entry per masked token with a boundary pair, in position order. */
export interface SpanBoundaryTargets {
  /** The masked token's index. */
  position: Int32Array;
  /** Index of the token just before its span (s - 1). */
  leftBoundary: Int32Array;
  /** Index of the token just after its span (e + 1). */
  rightBoundary: Int32Array;
  /** position - leftBoundary: 1 for the span's first token (the paper's p_{i-s+1}). */
  relativePosition: Int32Array;
  /** The original token to predict. */
  targetId: Int32Array;
}

/** The span boundary objective's targets for the runs of a noise mask. Spans at an end have none. */
export function spanBoundaryTargets(
  tokens: ArrayLike<number>,
  noiseMask: ArrayLike<number>,
): SpanBoundaryTargets {
  if (noiseMask.length !== tokens.length)
    throw new Error(`noise mask has length ${noiseMask.length} but there are ${tokens.length} tokens`);
  const n = tokens.length;
  // Spans: maximal runs [s, e] of the mask that have a token on each side.
  const spans: [number, number][] = [];
  for (let s = 0; s < n; s++) {
    if (!noiseMask[s] || (s > 0 && noiseMask[s - 1])) continue;
    let e = s;
    while (e + 1 < n && noiseMask[e + 1]) e++;
    if (s > 0 && e < n - 1) spans.push([s, e]);
  }
  const size = spans.reduce((sum, [s, e]) => sum + e - s + 1, 0);
  const position = new Int32Array(size);
  const leftBoundary = new Int32Array(size);
  const rightBoundary = new Int32Array(size);
  const relativePosition = new Int32Array(size);
  const targetId = new Int32Array(size);
  let k = 0;
  for (const [s, e] of spans) {
    for (let i = s; i <= e; i++, k++) {
      position[k] = i;
      leftBoundary[k] = s - 1;
      rightBoundary[k] = e + 1;
      relativePosition[k] = i - s + 1;
      targetId[k] = tokens[i];
    }
  }
  return { position, leftBoundary, rightBoundary, relativePosition, targetId };
}

export interface SpanBertExample {
  /** Tokens with every span replaced as a whole (80/10/10). */
  inputs: Int32Array;
  /** Original id at masked positions, IGNORE_INDEX elsewhere (the MLM loss's labels). */
  labels: Int32Array;
  /** [n], 1 for masked. */
  noiseMask: Uint8Array;
  /** Treatment of each merged span, left to right. */
  how: MaskTreatment[];
  sbo: SpanBoundaryTargets;
}

/** SpanBERT masking of one sequence, with its MLM labels and span-boundary targets. */
export function spanBert(tokens: ArrayLike<number>, opts: SpanBertOptions): SpanBertExample {
  checkKeys(opts, SPANBERT_KEYS, 'spanBert');
  const how: MaskTreatment[] = [];
  const source = asInt32(tokens);
  const ex = denoise(source, {
    noiseMask: (_length, rng) => spanBertNoiseMask(source, opts, rng),
    inputs: spanLevelReplacement(opts, how),
    targets: noiseTokenLabels,
    rng: streamOf(opts, SPANBERT_STREAM, 'spanBert'),
  });
  const sbo = spanBoundaryTargets(source, ex.noiseMask);
  return { inputs: ex.inputs, labels: ex.targets, noiseMask: ex.noiseMask, how, sbo };
}
