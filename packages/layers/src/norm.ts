import { ops } from '@pretrain-lab/runtime';
import type * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params.js';

/** LayerNorm over the last axis with learned gain and bias (names `<prefix>.weight/.bias`). */
export class LayerNorm {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(
    store: ParamStore,
    prefix: string,
    dim: number,
    readonly eps = 1e-5,
  ) {
    this.weight = store.create(`${prefix}.weight`, [dim], { kind: 'ones' });
    this.bias = store.create(`${prefix}.bias`, [dim], { kind: 'zeros' });
  }
  apply<T extends tf.Tensor>(x: T): T {
    return ops.layerNorm(x, this.weight as tf.Tensor1D, this.bias as tf.Tensor1D, this.eps);
  }
}
