/**
 * T5's LayerNorm, an RMS norm: y = x / sqrt(mean(x^2) + eps) * weight over the last axis.
 * No mean subtraction and no bias (Raffel et al. 2020; Zhang & Sennrich 2019). eps 1e-6 as T5.
 * Names follow Hugging Face T5: `<prefix>.weight`, e.g. `encoder.block.0.layer.0.layer_norm.weight`.
 */
import { ops } from '@pretrain-lab/runtime';
import type * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params.js';

export class RMSNorm {
  readonly weight: tf.Variable;
  constructor(
    store: ParamStore,
    prefix: string,
    readonly dim: number,
    readonly eps = 1e-6,
  ) {
    this.weight = store.create(`${prefix}.weight`, [dim], { kind: 'ones' });
  }
  /** x [..., dim] -> [..., dim]. */
  apply<T extends tf.Tensor>(x: T): T {
    return ops.rmsNorm(x, this.weight as tf.Tensor1D, this.eps); // [..., dim]
  }
}
