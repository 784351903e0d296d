/**
 * T5 span corruption (Raffel et al. 2020, section 3.1.4 and 3.3.4), as pure functions on typed
 * arrays with an explicit seeded generator. It is T5's `denoise` (denoise.ts) with these stages:
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
 * (noise-mask.ts) with the same two sentinel stages through `denoise` is the Bernoulli variant.
 *
 * The masks and sentinel stages live in noise-mask.ts and denoise.ts and are re-exported here,
 * where they were first written.
 *
 * No tfjs here, and no unseeded randomness: every draw comes from an `Rng`.
 */
import { Rng } from '@pretrain-lab/runtime/rng';
import {
  type DenoiseFn,
  denoise,
  noiseSpanToUniqueSentinel,
  nonnoiseSpanToUniqueSentinel,
  type SentinelId,
} from './denoise.js';
import { randomSpansNoiseMask, roundHalfToEven } from './noise-mask.js';

export {
  noiseSpanToUniqueSentinel,
  nonnoiseSpanToUniqueSentinel,
  type SentinelId,
  t5SentinelId,
} from './denoise.js';
export {
  iidNoiseMask,
  randomSegmentation,
  randomSpansNoiseMask,
  roundHalfToEven,
  type SpanNoiseCounts,
  spanNoiseCounts,
} from './noise-mask.js';

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

/** T5's two sentinel stages, and with `finalSentinel` the closing sentinel after the targets. */
function sentinelStages(format: SpanCorruptionFormat): { inputs: DenoiseFn; targets: DenoiseFn } {
  const { sentinelId, finalSentinel = false } = format;
  const nonnoise = nonnoiseSpanToUniqueSentinel(sentinelId);
  const targets: DenoiseFn = (tokens, noiseMask, rng) => {
    const spans = nonnoise(tokens, noiseMask, rng);
    const n = noiseMask.length;
    if (!finalSentinel || n === 0 || noiseMask[n - 1] === 0) return spans;
    // Targets hold one sentinel per non-noise span; the next one closes the last noise span.
    let numNonNoiseSpans = 0;
    for (let i = 0; i < n; i++)
      if (noiseMask[i] === 0 && (i === 0 || noiseMask[i - 1] !== 0)) numNonNoiseSpans++;
    const id = sentinelId(numNonNoiseSpans);
    if (!Number.isInteger(id))
      throw new Error(`sentinelId(${numNonNoiseSpans}) must be an integer token id, got ${id}`);
    const out = new Int32Array(spans.length + 1);
    out.set(spans);
    out[spans.length] = id;
    return out;
  };
  return { inputs: noiseSpanToUniqueSentinel(sentinelId), targets };
}

const asInt32 = (tokens: ArrayLike<number>): Int32Array =>
  tokens instanceof Int32Array ? tokens : Int32Array.from(tokens);

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
  if (noiseMask.length === tokens.length && noiseMask.length > 0 && noiseMask[0] !== 0) {
    throw new Error(
      'noise mask starts with a noise token: T5 numbers noise spans in the inputs and non-noise spans in the ' +
        'targets, so their sentinels would not line up. Start the mask with a kept token, as random masks do.',
    );
  }
  return denoise(asInt32(tokens), {
    noiseMask: () => Uint8Array.from(noiseMask),
    ...sentinelStages(format),
    rng: new Rng(0), // never drawn from: the mask is given and the sentinel stages draw nothing
    eosId: format.eosId,
  });
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
  const { noiseDensity, meanNoiseSpanLength } = opts;
  return denoise(asInt32(tokens), {
    noiseMask: (length, r) => randomSpansNoiseMask(length, noiseDensity, meanNoiseSpanLength, r),
    ...sentinelStages(opts),
    rng,
    eosId: opts.eosId,
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
