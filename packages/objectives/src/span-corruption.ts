/**
 * T5 span corruption (Raffel et al. 2020, section 3.1.4 and 3.3.4), as pure functions on typed
 * arrays with an explicit seeded generator. The pipeline is T5's:
 *
 *   noise mask (random_spans_noise_mask) -> inputs (noise_span_to_unique_sentinel)
 *                                        -> targets (nonnoise_span_to_unique_sentinel) -> + EOS
 *
 * Example, "I love this red car" with noise on "love", "red", "car" (mask 0 1 0 1 1):
 *   inputs  = I <X> this <Y>          (each noise span -> one sentinel, in order)
 *   targets = <X> love <Y> red car    (each non-noise span -> one sentinel, in order)
 *
 * Sentinel k is `sentinelId(k)`; in T5 that is vocab_size - 1 - k, so <extra_id_0> is the LAST id
 * of the vocabulary (see `t5SentinelId`).
 *
 * About the trailing sentinel. The textbook (D2L) and the T5 paper's Figure 2 show a target that
 * ends with one more sentinel (`<X> love <Y> red car <Z>`). T5's reference code does not add one:
 * `nonnoise_span_to_unique_sentinel` only turns each non-noise span into a sentinel, so a final
 * sentinel appears only when the sequence ends with non-noise tokens (the paper's example, where
 * "week ." is not corrupted). `random_spans_noise_mask` always ends with a noise span, so in T5
 * pretraining the targets end with the last noise span and then the EOS that seqio appends
 * (`output_features[...].add_eos`, `append_eos_after_trim`) to both inputs and targets.
 * `finalSentinel: true` gives the paper/textbook form: the next unused sentinel is appended to the
 * targets when they do not already end with one (i.e. when the mask ends with noise). EOS, when
 * given, comes after it, on both sides.
 *
 * i.i.d. corruption is this same pipeline with mean span length 1 (the house convention). Note that
 * this is not quite T5's `iid_noise_mask` (a Bernoulli draw per token, whose adjacent noise tokens
 * merge into one sentinel): with mean span 1, `random_spans_noise_mask` makes exactly
 * round(L * d) noise spans of length 1, each separated by at least one kept token. `iidNoiseMask`
 * is provided for the Bernoulli variant.
 *
 * No tfjs here, and no unseeded randomness: every draw comes from an `Rng`.
 */
import { Rng } from '@pretrain-lab/runtime/rng';

/** Maps the k-th sentinel (k = 0, 1, ...) to a token id. */
export type SentinelId = (k: number) => number;

/** T5's convention: sentinel k is vocab_size - 1 - k (<extra_id_0> is the last id). */
export function t5SentinelId(vocabSize: number): SentinelId {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new Error(`t5SentinelId needs a positive integer vocabSize, got ${vocabSize}`);
  }
  return (k) => {
    const id = vocabSize - 1 - k;
    if (id < 0) throw new Error(`sentinel ${k} does not fit in a vocabulary of ${vocabSize} ids`);
    return id;
  };
}

/**
 * Round half to even ("banker's rounding"), as tf.round, numpy.round and Python 3's round do.
 * JavaScript's Math.round rounds halves up (2.5 -> 3), which would change T5's counts.
 * The sign of zero is kept: -0.5 -> -0.
 */
export function roundHalfToEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const floor = Math.floor(x);
  const diff = x - floor; // exact for |x| < 2^52
  let r: number;
  if (diff < 0.5) r = floor;
  else if (diff > 0.5) r = floor + 1;
  else r = floor % 2 === 0 ? floor : floor + 1;
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

/** The deterministic part of `randomSpansNoiseMask`: how many noise tokens and spans. */
export interface SpanNoiseCounts {
  /** The length the mask is computed on: max(length, 2), as in the reference. */
  workingLength: number;
  numNoiseTokens: number;
  numNonNoiseTokens: number;
  /** Also the number of non-noise spans: the mask alternates, starting with non-noise. */
  numNoiseSpans: number;
}

function checkLength(length: number, what: string): void {
  if (!Number.isInteger(length) || length < 0) {
    throw new Error(`${what} must be a non-negative integer, got ${length}`);
  }
}

/**
 * As in T5's random_spans_noise_mask, including its arithmetic: the reference computes
 * round(float32(length) * noise_density) and round(float32(num_noise) / mean) in float32 with
 * tf.round (half to even). Math.fround reproduces the float32 products and quotients exactly
 * (a product of two float32s is exact in a double; double-rounding a quotient to float32 is
 * innocuous), so ties fall the same way as in TensorFlow.
 */
export function spanNoiseCounts(
  length: number,
  noiseDensity: number,
  meanNoiseSpanLength: number,
): SpanNoiseCounts {
  checkLength(length, 'length');
  if (!(noiseDensity >= 0 && noiseDensity <= 1)) {
    throw new Error(`noiseDensity must be in [0, 1], got ${noiseDensity}`);
  }
  if (!(meanNoiseSpanLength > 0) || !Number.isFinite(meanNoiseSpanLength)) {
    throw new Error(`meanNoiseSpanLength must be a positive number, got ${meanNoiseSpanLength}`);
  }
  // "increase length to avoid degeneracy": a length-0 or length-1 sequence is computed as length 2
  // and the mask truncated, so it never holds noise.
  const workingLength = Math.max(length, 2);
  let numNoiseTokens = roundHalfToEven(Math.fround(Math.fround(workingLength) * Math.fround(noiseDensity)));
  // At least one noise and one non-noise token.
  numNoiseTokens = Math.min(Math.max(numNoiseTokens, 1), workingLength - 1);
  const numNoiseSpans = Math.max(
    roundHalfToEven(Math.fround(numNoiseTokens / Math.fround(meanNoiseSpanLength))),
    1,
  );
  const numNonNoiseTokens = workingLength - numNoiseTokens;
  if (numNoiseSpans > numNoiseTokens || numNoiseSpans > numNonNoiseTokens) {
    // The reference fails here with a shape error; say why instead.
    throw new Error(
      `cannot place ${numNoiseSpans} noise spans (mean length ${meanNoiseSpanLength}) with ` +
        `${numNoiseTokens} noise and ${numNonNoiseTokens} non-noise tokens in a sequence of ${workingLength}: ` +
        `every span needs at least one token of each kind. Raise meanNoiseSpanLength (>= 1) or move noiseDensity toward 0.5 or below.`,
    );
  }
  return { workingLength, numNoiseTokens, numNonNoiseTokens, numNoiseSpans };
}

/**
 * Splits numItems into numSegments positive parts, every composition equally likely.
 * As in T5's _random_segmentation: shuffle numItems - 1 boundary flags of which
 * numSegments - 1 are set, prepend a 0 (the first item always opens segment 0), and count the
 * items per segment (cumsum -> segment id -> segment_sum). Returns the [numSegments] lengths.
 */
export function randomSegmentation(numItems: number, numSegments: number, rng: Rng): Int32Array {
  if (
    !Number.isInteger(numItems) ||
    !Number.isInteger(numSegments) ||
    numSegments < 1 ||
    numSegments > numItems
  ) {
    throw new Error(
      `randomSegmentation needs 1 <= numSegments <= numItems, got ${numSegments} and ${numItems}`,
    );
  }
  const startsNewSegment = new Uint8Array(numItems - 1); // flag i: item i + 1 opens a new segment
  startsNewSegment.fill(1, 0, numSegments - 1);
  rng.shuffle(startsNewSegment);
  const lengths = new Int32Array(numSegments);
  let segment = 0;
  lengths[0] = 1;
  for (let i = 0; i < startsNewSegment.length; i++) {
    segment += startsNewSegment[i];
    lengths[segment]++;
  }
  return lengths;
}

/**
 * Noise mask of random spans, exactly as T5's random_spans_noise_mask: numNoise =
 * round_half_to_even(L * d) clamped to [1, L - 1]; numSpans = max(round_half_to_even(numNoise / m), 1);
 * numNoise and L - numNoise are each split into numSpans positive parts uniformly at random
 * (noise first, then non-noise, both from `rng`), and the spans are laid out
 * non-noise, noise, non-noise, noise, ... so the mask starts with non-noise and ends with noise.
 * Subject to those counts, every mask is equally likely. Lengths 0 and 1 are computed as length 2
 * and truncated (so they carry no noise), as in the reference.
 *
 * Returns [length] with 1 for noise.
 */
export function randomSpansNoiseMask(
  length: number,
  noiseDensity: number,
  meanNoiseSpanLength: number,
  rng: Rng,
): Uint8Array {
  const { workingLength, numNoiseTokens, numNonNoiseTokens, numNoiseSpans } = spanNoiseCounts(
    length,
    noiseDensity,
    meanNoiseSpanLength,
  );
  const noiseSpanLengths = randomSegmentation(numNoiseTokens, numNoiseSpans, rng);
  const nonNoiseSpanLengths = randomSegmentation(numNonNoiseTokens, numNoiseSpans, rng);
  const mask = new Uint8Array(workingLength);
  let pos = 0;
  for (let s = 0; s < numNoiseSpans; s++) {
    pos += nonNoiseSpanLengths[s];
    mask.fill(1, pos, pos + noiseSpanLengths[s]);
    pos += noiseSpanLengths[s];
  }
  return mask.slice(0, length);
}

/**
 * Bernoulli noise, one independent draw per token, as T5's iid_noise_mask (uniform < density).
 * The noise count is random and adjacent noise tokens form spans; compare `randomSpansNoiseMask`
 * with mean span 1, which fixes the count and never lets two noise tokens touch.
 */
export function iidNoiseMask(length: number, noiseDensity: number, rng: Rng): Uint8Array {
  checkLength(length, 'length');
  if (!(noiseDensity >= 0 && noiseDensity <= 1)) {
    throw new Error(`noiseDensity must be in [0, 1], got ${noiseDensity}`);
  }
  const mask = new Uint8Array(length);
  for (let i = 0; i < length; i++) mask[i] = rng.float() < noiseDensity ? 1 : 0;
  return mask;
}

function checkMask(tokens: ArrayLike<number>, mask: ArrayLike<number>): void {
  if (tokens.length !== mask.length) {
    throw new Error(`noise mask has length ${mask.length} but there are ${tokens.length} tokens`);
  }
}

function sentinel(sentinelId: SentinelId, k: number): number {
  const id = sentinelId(k);
  if (!Number.isInteger(id)) throw new Error(`sentinelId(${k}) must be an integer token id, got ${id}`);
  return id;
}

/** Replaces each run of positions where mask === replaced by one sentinel, numbered in order. */
function spansToUniqueSentinel(
  tokens: ArrayLike<number>,
  mask: ArrayLike<number>,
  replaced: boolean,
  sentinelId: SentinelId,
): Int32Array {
  checkMask(tokens, mask);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < tokens.length; i++) {
    const hit = (mask[i] !== 0) === replaced;
    if (!hit) out.push(tokens[i]);
    else if (i === 0 || (mask[i - 1] !== 0) !== replaced) out.push(sentinel(sentinelId, k++));
    // later tokens of a replaced run are dropped
  }
  return Int32Array.from(out);
}

/** As T5's noise_span_to_unique_sentinel: each noise span becomes sentinel 0, 1, 2, ... in order. */
export function noiseSpanToUniqueSentinel(
  tokens: ArrayLike<number>,
  noiseMask: ArrayLike<number>,
  sentinelId: SentinelId,
): Int32Array {
  return spansToUniqueSentinel(tokens, noiseMask, true, sentinelId);
}

/**
 * As T5's nonnoise_span_to_unique_sentinel: each non-noise span becomes sentinel 0, 1, 2, ...
 * The sentinels number non-noise spans, so they line up with the inputs' (which number noise
 * spans) only when the mask starts with non-noise, as random masks always do.
 */
export function nonnoiseSpanToUniqueSentinel(
  tokens: ArrayLike<number>,
  noiseMask: ArrayLike<number>,
  sentinelId: SentinelId,
): Int32Array {
  return spansToUniqueSentinel(tokens, noiseMask, false, sentinelId);
}

export interface SpanCorruptionFormat {
  /** Token id of sentinel k (T5: vocabSize - 1 - k, see `t5SentinelId`). */
  sentinelId: SentinelId;
  /** When given, appended to both inputs and targets (T5 appends EOS to both). */
  eosId?: number;
  /**
   * Append the next unused sentinel to targets that end with a noise span (the paper's Figure 2
   * and the textbook form). Default false, as in T5's reference code.
   */
  finalSentinel?: boolean;
}

export interface SpanCorruptionOptions extends SpanCorruptionFormat {
  /** Fraction of tokens to corrupt (T5: 0.15). */
  noiseDensity: number;
  /** Mean noise span length (T5: 3); 1 is i.i.d.-style corruption. */
  meanNoiseSpanLength: number;
  /** Seed for a stream derived as Rng.derive(seed, 'span-corruption'). Give this or `rng`. */
  seed?: number;
  /** Generator to draw from (advanced by the call). Give this or `seed`. */
  rng?: Rng;
}

export interface SpanCorruptionExample {
  /** Tokens with each noise span replaced by one sentinel, then EOS if given. */
  inputs: Int32Array;
  /** Sentinel, noise span, sentinel, noise span, ... (+ final sentinel) (+ EOS). */
  targets: Int32Array;
  /** [tokens.length], 1 for noise. */
  noiseMask: Uint8Array;
}

const FORMAT_KEYS = ['sentinelId', 'eosId', 'finalSentinel'];
const OPTION_KEYS = [...FORMAT_KEYS, 'noiseDensity', 'meanNoiseSpanLength', 'seed', 'rng'];

function checkKeys(opts: object, allowed: string[], where: string): void {
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key))
      throw new Error(`${where}: unknown option '${key}' (known: ${allowed.join(', ')})`);
  }
}

/**
 * Inputs and targets for a given noise mask (for explicit masks, e.g. the textbook example).
 * The mask must start with a non-noise token so that input sentinel k and target sentinel k mark
 * the same span; T5's own functions misalign otherwise (use the two sentinel functions directly
 * for that raw behaviour).
 */
export function spanCorruptionFromMask(
  tokens: ArrayLike<number>,
  noiseMask: ArrayLike<number>,
  format: SpanCorruptionFormat,
): SpanCorruptionExample {
  checkKeys(format, FORMAT_KEYS, 'spanCorruptionFromMask');
  checkMask(tokens, noiseMask);
  if (noiseMask.length > 0 && noiseMask[0] !== 0) {
    throw new Error(
      'noise mask starts with a noise token: T5 numbers noise spans in the inputs and non-noise spans in the ' +
        'targets, so their sentinels would not line up. Start the mask with a kept token, as random masks do.',
    );
  }
  const { sentinelId, eosId, finalSentinel = false } = format;
  if (eosId !== undefined && !Number.isInteger(eosId))
    throw new Error(`eosId must be an integer, got ${eosId}`);
  const inputs = noiseSpanToUniqueSentinel(tokens, noiseMask, sentinelId);
  let targets = nonnoiseSpanToUniqueSentinel(tokens, noiseMask, sentinelId);
  const n = noiseMask.length;
  const extra: number[] = [];
  if (finalSentinel && n > 0 && noiseMask[n - 1] !== 0) {
    // Targets hold one sentinel per non-noise span; the next one closes the last noise span.
    let numNonNoiseSpans = 0;
    for (let i = 0; i < n; i++)
      if (noiseMask[i] === 0 && (i === 0 || noiseMask[i - 1] !== 0)) numNonNoiseSpans++;
    extra.push(sentinel(sentinelId, numNonNoiseSpans));
  }
  if (eosId !== undefined) extra.push(eosId);
  const withEos = (a: Int32Array, more: number[]) => {
    if (more.length === 0) return a;
    const out = new Int32Array(a.length + more.length);
    out.set(a);
    out.set(more, a.length);
    return out;
  };
  targets = withEos(targets, extra);
  return {
    inputs: withEos(inputs, eosId !== undefined ? [eosId] : []),
    targets,
    noiseMask: Uint8Array.from(noiseMask),
  };
}

/**
 * T5 span corruption of one token sequence: a random-spans noise mask, then inputs and targets.
 * The same seed and length give the same mask.
 */
export function spanCorruption(
  tokens: ArrayLike<number>,
  opts: SpanCorruptionOptions,
): SpanCorruptionExample {
  checkKeys(opts, OPTION_KEYS, 'spanCorruption');
  if ((opts.seed === undefined) === (opts.rng === undefined)) {
    throw new Error('spanCorruption needs exactly one of `seed` or `rng`');
  }
  const rng = opts.rng ?? Rng.derive(opts.seed as number, 'span-corruption');
  const noiseMask = randomSpansNoiseMask(tokens.length, opts.noiseDensity, opts.meanNoiseSpanLength, rng);
  return spanCorruptionFromMask(tokens, noiseMask, {
    sentinelId: opts.sentinelId,
    eosId: opts.eosId,
    finalSentinel: opts.finalSentinel,
  });
}

/** JSON-able view of one span corruption, for `pnpm lab show span-corruption`. */
export interface SpanCorruptionView {
  inputs: number[];
  targets: number[];
  noiseMask: number[];
  numNoiseTokens: number;
  numNoiseSpans: number;
}

export function showSpanCorruption(ids: ArrayLike<number>, opts: SpanCorruptionOptions): SpanCorruptionView {
  const ex = spanCorruption(ids, opts);
  let numNoiseTokens = 0;
  let numNoiseSpans = 0;
  ex.noiseMask.forEach((m, i) => {
    numNoiseTokens += m;
    if (m && (i === 0 || !ex.noiseMask[i - 1])) numNoiseSpans++;
  });
  return {
    inputs: Array.from(ex.inputs),
    targets: Array.from(ex.targets),
    noiseMask: Array.from(ex.noiseMask),
    numNoiseTokens,
    numNoiseSpans,
  };
}

export interface RandomSpansLengths {
  /** Raw tokens to cut per example (for the chunker) so the inputs need no padding. */
  tokensLength: number;
  /** Length of the encoded targets, EOS included. */
  targetsLength: number;
}

/**
 * As T5's random_spans_helper: the largest tokensLength whose packed inputs (kept tokens, one
 * sentinel per noise span, EOS) fit in inputsLength, and the targets length it gives (noise
 * tokens, one sentinel per span, EOS).
 *
 * Like the reference, this uses plain double arithmetic with round-half-to-even (Python's
 * round) and neither clamps the noise count nor forces at least one span, unlike the mask
 * itself; the two agree for any realistic length. Also like the reference, the search starts at
 * inputsLength - 1 and only grows, and at noiseDensity 0.5 the targets are trimmed by one so
 * that they equal a round inputs length.
 */
export function randomSpansHelper(
  inputsLength: number,
  noiseDensity: number,
  meanNoiseSpanLength: number,
  extraTokensPerSpanInputs = 1,
  extraTokensPerSpanTargets = 1,
): RandomSpansLengths {
  if (!Number.isInteger(inputsLength) || inputsLength < 1) {
    throw new Error(`inputsLength must be a positive integer, got ${inputsLength}`);
  }
  if (!(noiseDensity >= 0 && noiseDensity < 1))
    throw new Error(`noiseDensity must be in [0, 1), got ${noiseDensity}`);
  if (!(meanNoiseSpanLength > 0))
    throw new Error(`meanNoiseSpanLength must be positive, got ${meanNoiseSpanLength}`);
  const encodedLengths = (tokensLength: number): [number, number] => {
    const numNoiseTokens = roundHalfToEven(tokensLength * noiseDensity);
    const numNonNoiseTokens = tokensLength - numNoiseTokens;
    const numNoiseSpans = roundHalfToEven(numNoiseTokens / meanNoiseSpanLength);
    return [
      numNonNoiseTokens + numNoiseSpans * extraTokensPerSpanInputs + 1, // + EOS
      numNoiseTokens + numNoiseSpans * extraTokensPerSpanTargets + 1, // + EOS
    ];
  };
  let tokensLength = inputsLength - 1;
  while (encodedLengths(tokensLength + 1)[0] <= inputsLength) tokensLength++;
  const [packedInputsLength, targetsLengthAtFit] = encodedLengths(tokensLength);
  let targetsLength = targetsLengthAtFit;
  if (noiseDensity === 0.5 && targetsLength > packedInputsLength) {
    tokensLength -= 1;
    targetsLength -= 1;
  }
  return { tokensLength, targetsLength };
}
