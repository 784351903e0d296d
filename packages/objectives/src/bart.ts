/**
 * BART's noising functions (Lewis et al. 2020, section 2.2 and Figure 2; fairseq's
 * data/denoising_dataset.py). The targets are always the original document; the inputs are:
 *
 *   noising               inputs                                  function            through denoise?
 *   token masking         ceil(L d) random tokens -> [MASK]       tokenMasking        yes: fixedCountNoiseMask,
 *                                                                                     noiseTokenToSentinel
 *   token deletion        ceil(L d) random tokens removed         tokenDeletion       yes: fixedCountNoiseMask,
 *                                                                                     dropNoiseTokens
 *   text infilling        Poisson(3) spans -> one [MASK] each     textInfilling       no: 0-length spans
 *                         (0-length: a [MASK] inserted)           (bart-infilling.ts)
 *   sentence permutation  the sentences shuffled                  permuteSentences    no: no token is noise
 *                                                                 (sentence-permutation.ts)
 *   document rotation     starts at a uniformly chosen token      rotateDocument      no: no token is noise
 *
 * "I love this red car" (d = 0.4, so 2 tokens):
 *   token masking   I [MASK] this [MASK] car       token deletion   I this car
 *   text infilling  I [MASK] red [MASK] car        rotation         red car I love this
 *
 * `bartNoise` composes them in fairseq's order (sentence permutation, then masking, then rotation),
 * e.g. BART's final recipe, text infilling with 30% of tokens after permuting every sentence.
 *
 * Token masking follows fairseq, not BERT's 80/10/10: exactly ceil(L d) tokens are chosen
 * (uniformly, a k-subset by partial Fisher-Yates), not each with probability d, and every chosen
 * token becomes [MASK] (fairseq's --mask-random share of random tokens is left out: the paper does
 * not describe it). Rotation follows the paper: any token, the first included, may start the
 * document (fairseq rotates only the tokens between its BOS and EOS; there are none here).
 * All draws come from one `Rng` (stream 'bart' for a `seed`); no tfjs here.
 */
import type { Rng } from '@pretrain-lab/runtime/rng';
import { BART_STREAM, textInfilling } from './bart-infilling.js';
import { type DenoiseExample, denoise, dropNoiseTokens, noiseTokenToSentinel } from './denoise.js';
import {
  asInt32,
  ceilCount,
  checkKeys,
  checkRate,
  checkTokenId,
  type SeedOrRng,
  streamOf,
} from './objective-options.js';
import { permuteSentences, type SentenceSplit } from './sentence-permutation.js';

/**
 * [length], exactly ceil(length * noiseDensity) noise tokens at a uniformly chosen set of
 * positions (fairseq's randperm(...)[:num_to_mask]), drawn by a partial Fisher-Yates shuffle.
 */
export function fixedCountNoiseMask(length: number, noiseDensity: number, rng: Rng): Uint8Array {
  if (!Number.isInteger(length) || length < 0)
    throw new Error(`length must be a non-negative integer, got ${length}`);
  checkRate('noiseDensity', noiseDensity, 'fixedCountNoiseMask');
  const k = ceilCount(length, noiseDensity);
  const positions = Int32Array.from({ length }, (_, i) => i);
  const mask = new Uint8Array(length);
  for (let j = 0; j < k; j++) {
    const pick = j + rng.int(length - j);
    const chosen = positions[pick];
    positions[pick] = positions[j];
    positions[j] = chosen;
    mask[chosen] = 1;
  }
  return mask;
}

export interface BartMaskingOptions extends SeedOrRng {
  /** Fraction of tokens corrupted: exactly ceil(L * noiseDensity). */
  noiseDensity: number;
}

/** BART token masking: ceil(L d) uniformly chosen tokens become maskId. */
export function tokenMasking(
  tokens: ArrayLike<number>,
  opts: BartMaskingOptions & { maskId: number },
): DenoiseExample {
  checkKeys(opts, ['seed', 'rng', 'noiseDensity', 'maskId'], 'tokenMasking');
  return denoise(asInt32(tokens), {
    noiseMask: (length, rng) => fixedCountNoiseMask(length, opts.noiseDensity, rng),
    inputs: noiseTokenToSentinel(opts.maskId),
    rng: streamOf(opts, BART_STREAM, 'tokenMasking'),
  });
}

/** BART token deletion: ceil(L d) uniformly chosen tokens are removed; the model must find where. */
export function tokenDeletion(tokens: ArrayLike<number>, opts: BartMaskingOptions): DenoiseExample {
  checkKeys(opts, ['seed', 'rng', 'noiseDensity'], 'tokenDeletion');
  return denoise(asInt32(tokens), {
    noiseMask: (length, rng) => fixedCountNoiseMask(length, opts.noiseDensity, rng),
    inputs: dropNoiseTokens,
    rng: streamOf(opts, BART_STREAM, 'tokenDeletion'),
  });
}

export interface DocumentRotationExample {
  /** tokens[start ..] then tokens[.. start]. */
  inputs: Int32Array;
  targets: Int32Array;
  /** The token the inputs begin with, uniform in [0, L) (one draw; none for an empty document). */
  start: number;
}

/** BART document rotation: the document rotated to begin at a uniformly chosen token. */
export function rotateDocument(tokens: ArrayLike<number>, opts: SeedOrRng): DocumentRotationExample {
  checkKeys(opts, ['seed', 'rng'], 'rotateDocument');
  const rng = streamOf(opts, BART_STREAM, 'rotateDocument');
  const source = asInt32(tokens);
  const start = source.length === 0 ? 0 : rng.int(source.length);
  const inputs = new Int32Array(source.length);
  inputs.set(source.subarray(start));
  inputs.set(source.subarray(0, start), source.length - start);
  return { inputs, targets: source.slice(), start };
}

/** The masking kinds `bartNoise` can apply (at most one, as in each of the paper's rows). */
export type BartMasking =
  | { kind: 'token-masking'; noiseDensity: number }
  | { kind: 'token-deletion'; noiseDensity: number }
  | { kind: 'text-infilling'; noiseDensity: number; poissonLambda?: number };

export interface BartNoiseOptions extends SeedOrRng {
  /** Id of [MASK], for token masking and text infilling. */
  maskId: number;
  /** Permute the sentences (BART's recipe: yes, all of them), found this way. */
  sentencePermutation?: SentenceSplit;
  masking?: BartMasking;
  documentRotation?: boolean;
}

const NOISE_KEYS = ['seed', 'rng', 'maskId', 'sentencePermutation', 'masking', 'documentRotation'];

/**
 * BART noising with any combination of the transforms, applied in fairseq's order: sentence
 * permutation, masking, rotation (all draws from one stream, in that order). Targets: the original.
 */
export function bartNoise(
  tokens: ArrayLike<number>,
  opts: BartNoiseOptions,
): { inputs: Int32Array; targets: Int32Array } {
  checkKeys(opts, NOISE_KEYS, 'bartNoise');
  const { maskId, sentencePermutation, masking, documentRotation = false } = opts;
  checkTokenId('maskId', maskId, 'bartNoise');
  const rng = streamOf(opts, BART_STREAM, 'bartNoise');
  const targets = asInt32(tokens).slice();
  let inputs: Int32Array = targets;
  if (sentencePermutation) inputs = permuteSentences(inputs, { ...sentencePermutation, rng }).inputs;
  if (masking?.kind === 'token-masking')
    inputs = tokenMasking(inputs, { noiseDensity: masking.noiseDensity, maskId, rng }).inputs;
  else if (masking?.kind === 'token-deletion')
    inputs = tokenDeletion(inputs, { noiseDensity: masking.noiseDensity, rng }).inputs;
  else if (masking?.kind === 'text-infilling') {
    const { noiseDensity, poissonLambda } = masking;
    inputs = textInfilling(inputs, { noiseDensity, poissonLambda, maskId, rng }).inputs;
  } else if (masking !== undefined)
    throw new Error(`bartNoise: unknown masking kind '${(masking as { kind: string }).kind}'`);
  if (documentRotation) inputs = rotateDocument(inputs, { rng }).inputs;
  return { inputs: inputs === targets ? targets.slice() : inputs, targets };
}
