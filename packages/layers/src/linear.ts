import { ops } from '@pretrain-lab/runtime';
import type * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params.js';

/**
 * Dense layer y = x W + b with W stored [in, out] (GPT-2's Conv1D layout, so the Hugging Face
 * export needs no transpose).
 */
export class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  constructor(
    store: ParamStore,
    prefix: string,
    readonly inDim: number,
    readonly outDim: number,
    opts: { std?: number; bias?: boolean } = {},
  ) {
    this.weight = store.create(`${prefix}.weight`, [inDim, outDim], {
      kind: 'normal',
      std: opts.std ?? 0.02,
    });
    this.bias = opts.bias === false ? null : store.create(`${prefix}.bias`, [outDim], { kind: 'zeros' });
  }
  /** [..., in] -> [..., out]; `activation` fuses GELU or ReLU onto the output. */
  apply(x: tf.Tensor, opts: { activation?: 'gelu' | 'relu' } = {}): tf.Tensor {
    return ops.linear(
      x,
      this.weight as tf.Tensor2D,
      (this.bias ?? undefined) as tf.Tensor1D | undefined,
      opts,
    ); // [..., out]
  }
}
