/**
 * BART's text infilling (Lewis et al. 2020, section 2.2; fairseq's data/denoising_dataset.py,
 * `add_whole_word_mask` with mask_length 'span-poisson' and replace_length 1, and
 * `add_insertion_noise`): spans of text with lengths drawn from Poisson(lambda = 3) are each replaced
 * by ONE mask token, and a 0-length span inserts one. So the model also has to work out how many
 * tokens each mask stands for, and whether it stands for any.
 *
 *   "I love this red car" with spans "love this" (2) and "" before "car" (0):
 *     inputs = I [MASK] red [MASK] car      targets = I love this red car
 *
 * The budget is fairseq's: ceil(L * noiseDensity) tokens (BART: 30%). Lengths are drawn until they
 * reach it, and the last is cut to meet it exactly, so the spans cover exactly the budget.
 *
 * Placement differs from fairseq, for a reason. fairseq draws span starts among the tokens and lets
 * spans overlap (two then merge under one mask, and fewer tokens than budgeted are masked), and puts
 * the 0-length spans at random places afterwards. Here all spans, 0-length ones included, are laid
 * out in a random order between the kept tokens, every arrangement equally likely and none
 * overlapping: each span is exactly one mask, and exactly the budget is masked. Two spans may touch
 * (two masks side by side). fairseq also turns a share of the masks into random tokens
 * (--mask-random, 0.1 in its BART recipe); the paper does not describe that, and it is left out.
 *
 * Not a (noise mask, inputs, targets) choice for `denoise` (denoise.ts): a 0-length span is no
 * position of a mask, and two touching spans would read as one run. So the layout is drawn here,
 * and the mask of removed tokens comes back beside it.
 *
 * Draw order: the span lengths (Knuth's Poisson sampler), their order (a shuffle), then where they
 * go among the kept tokens (a shuffle). No tfjs here, and no unseeded randomness.
 */
import type { Rng } from '@pretrain-lab/runtime/rng';
import {
  asInt32,
  ceilCount,
  checkKeys,
  checkRate,
  checkTokenId,
  type SeedOrRng,
  streamOf,
} from './objective-options.js';

/** The label of the stream every BART noising function derives from `seed`: Rng.derive(seed, 'bart'). */
export const BART_STREAM = 'bart';

/**
 * One Poisson(lambda) draw by Knuth's multiplication method: multiply uniforms until the product
 * falls below exp(-lambda); the number of factors minus one. lambda + 1 uniforms on average.
 */
export function poissonSample(lambda: number, rng: Rng): number {
  if (!(lambda > 0 && lambda <= 100))
    throw new Error(`Poisson lambda must be in (0, 100] (Knuth's method), got ${lambda}`);
  const limit = Math.exp(-lambda);
  let k = 0;
  let product = rng.float();
  while (product >= limit) {
    k++;
    product *= rng.float();
  }
  return k;
}

export interface TextInfillingOptions extends SeedOrRng {
  /** Id of the mask token each span becomes. */
  maskId: number;
  /** Fraction of tokens inside spans: ceil(L * noiseDensity) of them (BART: 0.3). */
  noiseDensity: number;
  /** Mean span length, the Poisson rate (BART: 3). Default 3. */
  poissonLambda?: number;
}

export interface TextInfillingExample {
  /** Kept tokens in order, one maskId per span. */
  inputs: Int32Array;
  /** The original tokens. */
  targets: Int32Array;
  /** [tokens.length], 1 for a token removed into a span. */
  noiseMask: Uint8Array;
  /** Per span in text order: its first token (a 0-length span: the token it is inserted before, or L). */
  spanStarts: Int32Array;
  /** Per span in text order: how many tokens its mask replaced (0: an inserted mask). */
  spanLengths: Int32Array;
}

const INFILLING_KEYS = ['seed', 'rng', 'maskId', 'noiseDensity', 'poissonLambda'];

/** Poisson span lengths that sum to exactly `budget`: drawn until they reach it, the last one cut. */
export function poissonSpanLengths(budget: number, lambda: number, rng: Rng): Int32Array {
  const lengths: number[] = [];
  let total = 0;
  while (total < budget) {
    const length = Math.min(poissonSample(lambda, rng), budget - total);
    lengths.push(length);
    total += length;
  }
  return Int32Array.from(lengths);
}

/** BART text infilling of one sequence. */
export function textInfilling(tokens: ArrayLike<number>, opts: TextInfillingOptions): TextInfillingExample {
  checkKeys(opts, INFILLING_KEYS, 'textInfilling');
  const { maskId, noiseDensity, poissonLambda = 3 } = opts;
  checkTokenId('maskId', maskId, 'textInfilling');
  checkRate('noiseDensity', noiseDensity, 'textInfilling');
  const rng = streamOf(opts, BART_STREAM, 'textInfilling');
  const source = asInt32(tokens);
  const n = source.length;
  const budget = ceilCount(n, noiseDensity);
  const drawn = rng.shuffle(poissonSpanLengths(budget, poissonLambda, rng));
  // Slots: n - budget kept tokens and one slot per span, spans at a uniform choice of the slots.
  const numSpans = drawn.length;
  const isSpan = new Uint8Array(n - budget + numSpans).fill(1, 0, numSpans);
  rng.shuffle(isSpan);
  const inputs = new Int32Array(isSpan.length);
  const noiseMask = new Uint8Array(n);
  const spanStarts = new Int32Array(numSpans);
  let pos = 0; // next token of the source
  let span = 0;
  for (let s = 0; s < isSpan.length; s++) {
    if (isSpan[s]) {
      spanStarts[span] = pos;
      noiseMask.fill(1, pos, pos + drawn[span]);
      pos += drawn[span++];
      inputs[s] = maskId;
    } else inputs[s] = source[pos++];
  }
  return { inputs, targets: source.slice(), noiseMask, spanStarts, spanLengths: drawn };
}
