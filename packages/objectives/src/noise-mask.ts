/**
 * Noise masks for the denoising objectives (T5, Raffel et al. 2020; seqio's `noise_mask_fn`s),
 * as pure functions with an explicit seeded generator. Each returns [length] with 1 for noise:
 *
 *   randomSpansNoiseMask  round(L * d) noise tokens in spans of mean length m (T5's default)
 *   iidNoiseMask          one Bernoulli(d) draw per token (T5's iid_noise_mask)
 *
 * `denoise` (denoise.ts) composes a mask with inputs/targets functions. These functions were
 * first written inside span-corruption.ts, and span-corruption.test.ts still pins them.
 */
import type { Rng } from '@pretrain-lab/runtime/rng';

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
