import type * as tf from '@tensorflow/tfjs';
import { dropout, type ForwardContext } from './dropout.js';
import { Linear } from './linear.js';
import type { ParamStore } from './params.js';

/** Position-wise feed-forward: Linear(C -> dFF), GELU, Linear(dFF -> C), dropout (GPT-2's `mlp`). */
export class FeedForward {
  readonly fc: Linear;
  readonly proj: Linear;
  constructor(
    store: ParamStore,
    prefix: string,
    dModel: number,
    dFF: number,
    readonly rate = 0,
    projStd?: number,
  ) {
    this.fc = new Linear(store, `${prefix}.c_fc`, dModel, dFF);
    this.proj = new Linear(store, `${prefix}.c_proj`, dFF, dModel, { std: projStd });
  }
  apply(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    const h = this.fc.apply(x, { activation: 'gelu' }); // [B, T, dFF], GELU fused onto the product
    return dropout(this.proj.apply(h) as tf.Tensor3D, this.rate, ctx); // [B, T, C]
  }
}
