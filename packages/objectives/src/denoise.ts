/**
 * The denoising seam, as T5 composes its objectives (t5/data/preprocessors.py `denoise`):
 *
 *   noise mask (noise_mask_fn) -> inputs (inputs_fn) -> targets (targets_fn) -> + EOS on both
 *
 * Each stage is a small pure function on typed arrays; an objective is a choice of three
 * (T5 section 3.3 and Table 5, all with EOS):
 *
 *   objective              noise mask             inputs                     targets
 *   span corruption        randomSpansNoiseMask   noiseSpanToUniqueSentinel  nonnoiseSpanToUniqueSentinel
 *   replace spans (i.i.d.) iidNoiseMask           noiseSpanToUniqueSentinel  nonnoiseSpanToUniqueSentinel
 *   drop corrupted tokens  iidNoiseMask           dropNoiseTokens            dropNonnoiseTokens
 *   MASS-style             iidNoiseMask           noiseTokenToSentinel(id)   (none: the original tokens)
 *   noise permutation      either                 permuteNoiseTokens         (none: the original tokens)
 *
 * and, beyond T5's Table 5 (each in its own file):
 *
 *   prefix LM (prefix-lm)  randomPrefixNoiseMask  dropNonnoiseTokens         dropNoiseTokens
 *   deshuffling            allNoiseMask           permuteNoiseTokens         (none: the original tokens)
 *   BART token masking     fixedCountNoiseMask    noiseTokenToSentinel(id)   (none: the original tokens)
 *   BART token deletion    fixedCountNoiseMask    dropNoiseTokens            (none: the original tokens)
 *   SpanBERT (spanbert)    spanBertNoiseMask      spanLevelReplacement       noiseTokenLabels (MLM labels)
 *
 * (BERT-style, with its random-token replacements, is mlm.ts. BART's text infilling, sentence
 * permutation and document rotation, and ELECTRA's replaced-token labels, are no choice of a noise
 * mask: bart-infilling.ts, sentence-permutation.ts, bart.ts and electra.ts say why.)
 *
 * Randomness: T5 gives each stage its own seed pair (seeds[:2], [2:4], [4:6]). Here one generator
 * is consumed in order, mask, then inputs, then targets. Stages that draw nothing (all of them but
 * the masks and permuteNoiseTokens) leave the stream untouched, which is what keeps
 * `spanCorruption`'s draws unchanged now that it is written through `denoise`. So a drawing
 * stage added before another shifts the latter's numbers; when that matters, let each stage close
 * over a seed and draw from its own Rng.derive(seed, label) instead.
 *
 * Sentinel k is `sentinelId(k)`; in T5 that is vocab_size - 1 - k (see `t5SentinelId`).
 * No tfjs here, and no unseeded randomness.
 */
import type { Rng } from '@pretrain-lab/runtime/rng';

export { iidNoiseMask, randomSpansNoiseMask } from './noise-mask.js';

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

/** seqio's noise_mask_fn with the density bound in: [length] mask, truthy for noise. */
export type NoiseMaskFn = (length: number, rng: Rng) => Uint8Array | boolean[];

/** seqio's inputs_fn / targets_fn: the tokens and their [tokens.length] 0/1 mask to a sequence. */
export type DenoiseFn = (tokens: Int32Array, noiseMask: Uint8Array, rng: Rng) => Int32Array;

export interface DenoiseOptions {
  noiseMask: NoiseMaskFn;
  inputs: DenoiseFn;
  /** Default: the tokens themselves, as T5 does when targets_fn is None. */
  targets?: DenoiseFn;
  /** Drawn from by the stages in order: mask, inputs, targets (advanced by the call). */
  rng: Rng;
  /** When given, appended to both inputs and targets (T5 appends EOS to both). */
  eosId?: number;
}

export interface DenoiseExample {
  inputs: Int32Array;
  targets: Int32Array;
  /** [tokens.length], 1 for noise. */
  noiseMask: Uint8Array;
}

const DENOISE_KEYS = ['noiseMask', 'inputs', 'targets', 'rng', 'eosId'];

function appendEos(seq: Int32Array, eosId: number | undefined): Int32Array {
  if (eosId === undefined) return seq;
  const out = new Int32Array(seq.length + 1);
  out.set(seq);
  out[seq.length] = eosId;
  return out;
}

/** One denoising example: a noise mask over the tokens, then inputs and targets built from it. */
export function denoise(tokens: Int32Array, opts: DenoiseOptions): DenoiseExample {
  for (const key of Object.keys(opts)) {
    if (!DENOISE_KEYS.includes(key))
      throw new Error(`denoise: unknown option '${key}' (known: ${DENOISE_KEYS.join(', ')})`);
  }
  const { eosId, rng } = opts;
  if (eosId !== undefined && !Number.isInteger(eosId))
    throw new Error(`eosId must be an integer, got ${eosId}`);
  const drawn = opts.noiseMask(tokens.length, rng);
  checkMask(tokens, drawn);
  const noiseMask = new Uint8Array(drawn.length);
  for (let i = 0; i < drawn.length; i++) noiseMask[i] = drawn[i] ? 1 : 0;
  const inputs = opts.inputs(tokens, noiseMask, rng);
  const targets = opts.targets ? opts.targets(tokens, noiseMask, rng) : tokens.slice();
  return { inputs: appendEos(inputs, eosId), targets: appendEos(targets, eosId), noiseMask };
}

function checkMask(tokens: ArrayLike<number>, mask: ArrayLike<unknown>): void {
  if (tokens.length !== mask.length) {
    throw new Error(`noise mask has length ${mask.length} but there are ${tokens.length} tokens`);
  }
}

/** sentinelId(k), checked to be a token id. */
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

/**
 * The two sentinel stages have two call forms: given only `sentinelId`, the stage for `denoise`;
 * given (tokens, noiseMask, sentinelId), its result right away (the form span-corruption.ts has
 * always exported).
 */
function sentinelStage(
  replaced: boolean,
  args: [SentinelId] | [ArrayLike<number>, ArrayLike<number>, SentinelId],
): DenoiseFn | Int32Array {
  if (args.length === 1 && typeof args[0] === 'function') {
    const sentinelId = args[0];
    return (tokens, noiseMask) => spansToUniqueSentinel(tokens, noiseMask, replaced, sentinelId);
  }
  const [tokens, noiseMask, sentinelId] = args as [ArrayLike<number>, ArrayLike<number>, SentinelId];
  if (typeof sentinelId !== 'function') {
    throw new Error('call with (sentinelId) for a denoise stage, or (tokens, noiseMask, sentinelId)');
  }
  return spansToUniqueSentinel(tokens, noiseMask, replaced, sentinelId);
}

/** As T5's noise_span_to_unique_sentinel: each noise span becomes sentinel 0, 1, 2, ... in order. */
export function noiseSpanToUniqueSentinel(sentinelId: SentinelId): DenoiseFn;
export function noiseSpanToUniqueSentinel(
  tokens: ArrayLike<number>,
  noiseMask: ArrayLike<number>,
  sentinelId: SentinelId,
): Int32Array;
export function noiseSpanToUniqueSentinel(
  ...args: [SentinelId] | [ArrayLike<number>, ArrayLike<number>, SentinelId]
): DenoiseFn | Int32Array {
  return sentinelStage(true, args);
}

/**
 * As T5's nonnoise_span_to_unique_sentinel: each non-noise span becomes sentinel 0, 1, 2, ...
 * The sentinels number non-noise spans, so they line up with the inputs' (which number noise
 * spans) only when the mask starts with non-noise, as random-spans masks always do.
 */
export function nonnoiseSpanToUniqueSentinel(sentinelId: SentinelId): DenoiseFn;
export function nonnoiseSpanToUniqueSentinel(
  tokens: ArrayLike<number>,
  noiseMask: ArrayLike<number>,
  sentinelId: SentinelId,
): Int32Array;
export function nonnoiseSpanToUniqueSentinel(
  ...args: [SentinelId] | [ArrayLike<number>, ArrayLike<number>, SentinelId]
): DenoiseFn | Int32Array {
  return sentinelStage(false, args);
}

/** The tokens at positions where (mask !== 0) === keepNoise, in order. */
function keepWhere(tokens: ArrayLike<number>, noiseMask: ArrayLike<number>, keepNoise: boolean): Int32Array {
  checkMask(tokens, noiseMask);
  const out: number[] = [];
  for (let i = 0; i < tokens.length; i++) if ((noiseMask[i] !== 0) === keepNoise) out.push(tokens[i]);
  return Int32Array.from(out);
}

/** As T5's drop_noise_tokens: the non-noise tokens, in order (T5 Table 5, "drop corrupted tokens"). */
export function dropNoiseTokens(tokens: ArrayLike<number>, noiseMask: ArrayLike<number>): Int32Array {
  return keepWhere(tokens, noiseMask, false);
}

/** As T5's drop_nonnoise_tokens: the noise tokens, in order (the targets that go with dropNoiseTokens). */
export function dropNonnoiseTokens(tokens: ArrayLike<number>, noiseMask: ArrayLike<number>): Int32Array {
  return keepWhere(tokens, noiseMask, true);
}

/**
 * As T5's permute_noise_tokens: the noise tokens shuffled among the noise positions (one uniform
 * permutation of all of them, across spans), the other tokens where they were. Draws from rng
 * (Fisher-Yates, numNoise - 1 draws); T5 uses a stateless shuffle, so the permutations differ.
 */
export function permuteNoiseTokens(
  tokens: ArrayLike<number>,
  noiseMask: ArrayLike<number>,
  rng: Rng,
): Int32Array {
  const noise = rng.shuffle(keepWhere(tokens, noiseMask, true));
  const out = Int32Array.from(tokens);
  let k = 0;
  for (let i = 0; i < out.length; i++) if (noiseMask[i] !== 0) out[i] = noise[k++];
  return out;
}

/**
 * As T5's noise_token_to_sentinel: every noise token becomes maskId, lengths unchanged (BERT-style
 * masking without the 10/10 random/kept split). T5 passes its first sentinel, <extra_id_0>, i.e.
 * `t5SentinelId(vocabSize)(0)`.
 */
export function noiseTokenToSentinel(maskId: number): DenoiseFn {
  if (!Number.isInteger(maskId))
    throw new Error(`noiseTokenToSentinel needs an integer maskId, got ${maskId}`);
  return (tokens, noiseMask) => {
    checkMask(tokens, noiseMask);
    return tokens.map((t, i) => (noiseMask[i] !== 0 ? maskId : t));
  };
}
