/**
 * Seq2seq batches for the span-corruption study: collation with padding to the longest row,
 * the T5 loss of a batch, and fine-tuning batches grouped by length (fewer padded positions).
 */
import { collateSeq2Seq, type Seq2SeqArrays } from '@pretrain-lab/data';
import type { T5 } from '@pretrain-lab/models';
import { Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';

export type Seq2SeqBatch = Seq2SeqArrays;

export const PAD = 0;

export const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);

/**
 * Pad rows of ids to one batch: inputs with pad and a mask, labels with -100 (ignored). Lengths
 * default to the batch's longest row: padding changes no loss (masked keys, ignored labels) but
 * costs time, about 3x per step at half padding with the native kernels (a masked row is slower
 * than a full one, not just longer).
 */
export function collate(
  inputs: readonly Int32Array[],
  targets: readonly Int32Array[],
  inLen?: number,
  outLen?: number,
): Seq2SeqBatch {
  return collateSeq2Seq(inputs, targets, { pad: PAD, inLen, outLen });
}

export function lossOf(model: T5, b: Seq2SeqBatch, ctx: Parameters<T5['loss']>[1]) {
  return model.loss(
    {
      inputIds: tf.tensor2d(b.inputIds, [b.rows, b.inLen], 'int32'), // [B, S]
      attentionMask: tf.tensor2d(b.attentionMask, [b.rows, b.inLen], 'int32'), // [B, S]
      labels: tf.tensor2d(b.labels, [b.rows, b.outLen], 'int32'), // [B, T]
    },
    ctx,
  );
}

/**
 * Fine-tuning batches grouped by length, as Hugging Face's `group_by_length`: each epoch a
 * seeded permutation of the n examples is cut into groups of 16 batches, each group sorted by
 * length and cut into batches, and the epoch's batches are shuffled. A batch then pads little
 * (see collate). The remainder of the last group is dropped, as IndexStream drops its remainder.
 */
export class LengthGroupedBatches {
  private epoch = 0;
  private offset = 0;
  private batches: Int32Array[] = [];
  private builtFor = -1;

  constructor(
    private readonly lengths: readonly number[],
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly label: string,
  ) {
    if (!(batchSize >= 1 && lengths.length >= batchSize))
      throw new Error(`${label}: ${lengths.length} training examples for batch size ${batchSize}`);
  }

  private build(epoch: number): Int32Array[] {
    if (this.builtFor === epoch) return this.batches;
    const n = this.lengths.length;
    const rng = Rng.derive(this.seed, `${this.label}/length-grouped/epoch${epoch}`);
    const order = rng.permutation(n);
    const group = this.batchSize * 16;
    const batches: Int32Array[] = [];
    for (let g = 0; g < n; g += group) {
      const members = Array.from(order.subarray(g, Math.min(n, g + group))).sort(
        (a, b) => this.lengths[b] - this.lengths[a] || a - b,
      );
      for (let b = 0; b + this.batchSize <= members.length; b += this.batchSize)
        batches.push(Int32Array.from(members.slice(b, b + this.batchSize)));
    }
    this.batches = rng.shuffle(batches);
    this.builtFor = epoch;
    return batches;
  }

  next(): Int32Array {
    if (this.offset >= this.build(this.epoch).length) {
      this.epoch++;
      this.offset = 0;
    }
    return this.build(this.epoch)[this.offset++];
  }

  getPosition() {
    return { epoch: this.epoch, offset: this.offset };
  }

  setPosition(pos: { epoch: number; offset: number }) {
    this.epoch = pos.epoch;
    this.offset = pos.offset;
  }
}
