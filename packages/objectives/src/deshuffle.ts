/**
 * Deshuffling (T5, Raffel et al. 2020, section 3.3.1 and Table 4): the inputs are the tokens in
 * a uniformly random order, the targets the original sequence. In the terms of T5's `denoise`
 * (denoise.ts) every token is noise and the inputs stage permutes the noise tokens:
 *
 *   noise mask (all noise) -> inputs (permute_noise_tokens) -> targets (none: the original) -> + EOS
 *
 * "I love this red car" might come in as "red I car love this", and the targets are the sentence.
 * T5 found it clearly worse than the prefix-LM and BERT-style objectives (Table 4); it is here
 * to reproduce that row.
 *
 * No tfjs here, and no unseeded randomness: the permutation comes from an `Rng`.
 */
import { type DenoiseExample, denoise, permuteNoiseTokens } from './denoise.js';
import { asInt32, checkKeys, type SeedOrRng, streamOf } from './objective-options.js';

/** The label of the stream `seed` derives: Rng.derive(seed, 'deshuffle'). */
export const DESHUFFLE_STREAM = 'deshuffle';

/** [length] of ones: every token is noise. Draws nothing. */
export function allNoiseMask(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0)
    throw new Error(`length must be a non-negative integer, got ${length}`);
  return new Uint8Array(length).fill(1);
}

export interface DeshuffleOptions extends SeedOrRng {
  /** When given, appended to both inputs and targets (after the shuffle: EOS stays last). */
  eosId?: number;
}

/** One deshuffling example: inputs a uniform permutation of the tokens (Fisher-Yates), targets the tokens. */
export function deshuffle(tokens: ArrayLike<number>, opts: DeshuffleOptions): DenoiseExample {
  checkKeys(opts, ['seed', 'rng', 'eosId'], 'deshuffle');
  return denoise(asInt32(tokens), {
    noiseMask: allNoiseMask,
    inputs: permuteNoiseTokens,
    rng: streamOf(opts, DESHUFFLE_STREAM, 'deshuffle'),
    eosId: opts.eosId,
  });
}
