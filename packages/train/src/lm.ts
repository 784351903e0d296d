/** Causal language modelling on packed token batches: the GPT case of the generic loop. */

import type { ForwardContext } from '@pretrain-lab/layers';
import * as tf from '@tensorflow/tfjs';
import {
  type BatchSource,
  evaluateLoss,
  type Trainable,
  type TrainJob,
  type TrainLoopConfig,
  type TrainResult,
  train,
} from './trainer.js';

export interface TokenBatch {
  /** [rows * seqLen] ids, row-major. */
  inputs: Int32Array;
  /** [rows * seqLen] next-token ids (< 0 ignored). */
  targets: Int32Array;
}

export interface LanguageModel extends Trainable {
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D, ctx?: ForwardContext): tf.Scalar;
}

export type LMJob = Omit<
  TrainJob<TokenBatch>,
  'lossFn' | 'tokensIn' | 'weightOf' | 'cfg' | 'model' | 'train'
> & {
  model: LanguageModel;
  train: BatchSource<TokenBatch>;
  cfg: TrainLoopConfig & { seqLen: number };
};

export function trainLanguageModel(job: LMJob): Promise<TrainResult> {
  const T = job.cfg.seqLen;
  const rows = (b: TokenBatch) => b.inputs.length / T;
  return train<TokenBatch>({
    ...job,
    lossFn: (b, ctx) => {
      const x = tf.tensor2d(b.inputs, [rows(b), T], 'int32');
      const y = tf.tensor2d(b.targets, [rows(b), T], 'int32');
      return job.model.loss(x, y, ctx);
    },
    tokensIn: (b) => b.inputs.length,
    weightOf: rows,
  });
}

/**
 * Mean loss of a language model over token batches, weighted by rows (evaluation mode, no
 * dropout): e.g. a final evaluation on a larger held-out set than the periodic one.
 */
export function evaluateLanguageModel(
  model: LanguageModel,
  batches: Iterable<TokenBatch>,
  seqLen: number,
): Promise<Record<string, number>> {
  const rows = (b: TokenBatch) => b.inputs.length / seqLen;
  return evaluateLoss(
    (b) =>
      model.loss(
        tf.tensor2d(b.inputs, [rows(b), seqLen], 'int32'),
        tf.tensor2d(b.targets, [rows(b), seqLen], 'int32'),
      ),
    batches,
    rows,
  );
}
