/**
 * ELECTRA's replaced token detection, the data side (Clark et al. 2020, section 2 and Figure 2;
 * google-research/electra run_pretraining.py `_get_fake_data`, which first unmasks the inputs
 * and then compares the samples with the originals): a small generator fills the
 * positions MLM masked with tokens it samples, and the discriminator learns, for every token,
 * whether it is the original or was replaced:
 *
 *   x^corrupt_i = sampled token at the masked positions, x_i elsewhere
 *   label_i     = 1 (replaced) where x^corrupt_i != x_i, else 0 (original)
 *
 * "If the generator happens to generate the correct token, that token is considered 'real' instead
 * of 'fake'" (section 2): a sample equal to the original is labelled 0 even though it was masked.
 *
 *   "I love this red car", MLM masks "love" and "car", the generator samples "like" and "car":
 *     discriminator inputs = I like this red car,  labels = 0 1 0 0 0
 *
 * The masking is mlm.ts's (`maskTokens`, `maskSequence`): the positions with a label other than
 * IGNORE_INDEX are the masked ones, and the label is the original token. Pure: the models (the
 * generator's sampling, the discriminator's loss over the non-padding tokens) are elsewhere.
 */
import { IGNORE_INDEX } from './mlm.js';

/** What ELECTRA needs of an MLM corruption (an MlmResult has it): labels, and the generator's inputs. */
export interface MaskedForElectra {
  /** The generator's inputs: the MLM-corrupted ids. */
  inputs: Int32Array;
  /** Original id at masked positions, IGNORE_INDEX elsewhere. */
  labels: Int32Array;
}

export interface ReplacedTokenDetectionExample {
  /** The discriminator's inputs: the original ids with the masked positions replaced by the samples. */
  inputs: Int32Array;
  /** [n], 1 where inputs differ from the original (replaced), 0 where they agree. */
  labels: Uint8Array;
  /** [n], 1 at the positions MLM masked (ELECTRA reports the discriminator's accuracy on them apart). */
  masked: Uint8Array;
  /** The original ids (the generator's MLM targets at the masked positions). */
  original: Int32Array;
}

/**
 * The discriminator's example for one sequence (or a flat batch: positions are flat indices).
 * `samples` holds the generator's draw at each masked position in ascending order (as ELECTRA
 * gathers them), or one entry per position, of which only the masked ones are read.
 */
export function replacedTokenDetection(
  mlm: MaskedForElectra,
  samples: ArrayLike<number>,
): ReplacedTokenDetectionExample {
  const { inputs: corrupted, labels: mlmLabels } = mlm;
  const n = mlmLabels.length;
  if (corrupted.length !== n)
    throw new Error(`MLM inputs have length ${corrupted.length} but labels have length ${n}`);
  const masked = new Uint8Array(n);
  let numMasked = 0;
  for (let i = 0; i < n; i++) {
    masked[i] = mlmLabels[i] !== IGNORE_INDEX ? 1 : 0;
    numMasked += masked[i];
  }
  const perPosition = samples.length === n;
  if (!perPosition && samples.length !== numMasked) {
    throw new Error(
      `expected one generator sample per masked position (${numMasked}) or per position (${n}), got ${samples.length}`,
    );
  }
  const original = Int32Array.from(corrupted, (id, i) => (masked[i] ? mlmLabels[i] : id));
  const inputs = original.slice();
  const labels = new Uint8Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!masked[i]) continue;
    const sample = perPosition ? samples[i] : samples[k];
    k++;
    if (!Number.isInteger(sample))
      throw new Error(`generator sample at position ${i} is not a token id: ${sample}`);
    inputs[i] = sample;
    labels[i] = sample === original[i] ? 0 : 1;
  }
  return { inputs, labels, masked, original };
}
