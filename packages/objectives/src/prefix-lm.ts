/**
 * Prefix language modelling (T5, Raffel et al. 2020, sections 3.2 and 3.3, Table 4 "Prefix
 * language modeling"; t5/data/preprocessors.py `prefix_lm` and `random_prefix_noise_mask`):
 * split a sequence at a random point, read the prefix, predict the rest. Two forms:
 *
 * - encoder-decoder, `prefixLm`: T5's `denoise` (denoise.ts) with these stages,
 *
 *     noise mask (random_prefix_noise_mask) -> inputs (drop_nonnoise_tokens)
 *                                           -> targets (drop_noise_tokens) -> + EOS
 *
 *   In T5's mask the PREFIX is the "noise", so keeping the noise gives the inputs (the prefix) and
 *   dropping it gives the targets (the rest). "I love this red car" split after two tokens:
 *     inputs = I love    targets = this red car
 *
 * - decoder-only, `prefixLmDecoderExample`: the same split on one sequence with next-token targets,
 *   a loss mask over the suffix and the prefix length, so that attention can be bidirectional over
 *   the prefix and causal after it (T5 section 3.2.1 and Figure 4, right: "Prefix LM").
 *   `prefixLmAttentionMask` spells that attention pattern out.
 *
 * The prefix length is uniform in [1, L - 1], as in random_prefix_noise_mask, so both sides are
 * never empty (T5 only allows noise_density 0.5, which this draw gives on average; there is no
 * density option here). Sequences shorter than 2 get an empty prefix.
 *
 * No tfjs here, and no unseeded randomness: every draw comes from an `Rng`.
 */
import type { Rng } from '@pretrain-lab/runtime/rng';
import { type DenoiseExample, denoise, dropNoiseTokens, dropNonnoiseTokens } from './denoise.js';
import { asInt32, checkKeys, checkTokenId, type SeedOrRng, streamOf } from './objective-options.js';

/** The label of the stream `seed` derives: Rng.derive(seed, 'prefix-lm'). */
export const PREFIX_LM_STREAM = 'prefix-lm';

/**
 * As T5's random_prefix_noise_mask: [length], 1 over a prefix whose length is uniform in
 * [1, length - 1] (one draw), 0 after it. Lengths 0 and 1 give an all-zero mask and draw nothing.
 */
export function randomPrefixNoiseMask(length: number, rng: Rng): Uint8Array {
  if (!Number.isInteger(length) || length < 0)
    throw new Error(`length must be a non-negative integer, got ${length}`);
  const mask = new Uint8Array(length);
  if (length < 2) return mask;
  mask.fill(1, 0, 1 + rng.int(length - 1));
  return mask;
}

export interface PrefixLmOptions extends SeedOrRng {
  /** When given, appended to both inputs and targets (T5 appends EOS to both). */
  eosId?: number;
}

const PREFIX_LM_KEYS = ['seed', 'rng', 'eosId'];

/** T5's prefix_lm on one sequence: inputs = a random prefix, targets = the rest. */
export function prefixLm(tokens: ArrayLike<number>, opts: PrefixLmOptions): DenoiseExample {
  checkKeys(opts, PREFIX_LM_KEYS, 'prefixLm');
  return denoise(asInt32(tokens), {
    noiseMask: randomPrefixNoiseMask,
    inputs: dropNonnoiseTokens,
    targets: dropNoiseTokens,
    rng: streamOf(opts, PREFIX_LM_STREAM, 'prefixLm'),
    eosId: opts.eosId,
  });
}

/** One decoder-only prefix-LM example: a causal LM example whose loss and attention know the prefix. */
export interface PrefixLmDecoderExample {
  /** [n - 1]: sequence[0 .. n - 2], where the sequence is the tokens (+ EOS). */
  inputs: Int32Array;
  /** [n - 1]: sequence[1 .. n - 1], the next token at every position. */
  targets: Int32Array;
  /** [n - 1]: 1 where the target is a suffix token (it counts in the loss), 0 where it is in the prefix. */
  lossMask: Uint8Array;
  /**
   * Prefix tokens, sequence[0 .. prefixLength - 1]: input positions below prefixLength attend to
   * each other in both directions (none of them holds a suffix token), later ones causally.
   */
  prefixLength: number;
}

/**
 * The decoder-only form of `prefixLm`: the same prefix length for the same stream, so the two
 * forms of one seed see the same split. EOS, when given, ends the sequence (and so the targets).
 */
export function prefixLmDecoderExample(
  tokens: ArrayLike<number>,
  opts: PrefixLmOptions,
): PrefixLmDecoderExample {
  checkKeys(opts, PREFIX_LM_KEYS, 'prefixLmDecoderExample');
  const rng = streamOf(opts, PREFIX_LM_STREAM, 'prefixLmDecoderExample');
  if (opts.eosId !== undefined) checkTokenId('eosId', opts.eosId, 'prefixLmDecoderExample');
  const seq = new Int32Array(tokens.length + (opts.eosId === undefined ? 0 : 1));
  seq.set(asInt32(tokens));
  if (opts.eosId !== undefined) seq[tokens.length] = opts.eosId;
  const n = seq.length;
  if (n < 2) throw new Error(`prefixLmDecoderExample needs at least 2 tokens (EOS included), got ${n}`);
  // The split is drawn on the tokens without EOS, as prefixLm draws it, so both forms agree.
  const mask = randomPrefixNoiseMask(tokens.length, rng);
  const prefixLength = Math.max(
    1,
    mask.reduce((a, b) => a + b, 0),
  );
  const lossMask = new Uint8Array(n - 1);
  lossMask.fill(1, prefixLength - 1); // position t predicts sequence[t + 1]: a suffix token from t = P - 1
  return { inputs: seq.slice(0, n - 1), targets: seq.slice(1), lossMask, prefixLength };
}

/**
 * [seqLen * seqLen], row-major [query, key]: 1 where query i may attend to key j, i.e. j <= i
 * (causal) or j < prefixLength (the prefix is visible to every position, bidirectionally).
 */
export function prefixLmAttentionMask(seqLen: number, prefixLength: number): Uint8Array {
  if (!Number.isInteger(seqLen) || seqLen < 1)
    throw new Error(`seqLen must be a positive integer, got ${seqLen}`);
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > seqLen)
    throw new Error(`prefixLength must be an integer in [0, ${seqLen}], got ${prefixLength}`);
  const mask = new Uint8Array(seqLen * seqLen);
  for (let i = 0; i < seqLen; i++) mask.fill(1, i * seqLen, i * seqLen + Math.max(i + 1, prefixLength));
  return mask;
}
