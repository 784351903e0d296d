/**
 * Multi-head attention, one class for its three uses:
 * - causal self-attention (GPT): `causal: true`;
 * - bidirectional self-attention with a padding mask (BERT, T5 encoder): `causal: false` plus
 *   `keyPadding`;
 * - cross-attention (T5 decoder): `cross: true`, queries from x, keys/values from `memory`.
 * Self-attention fuses q, k, v into one projection `c_attn` [C, 3C] (GPT-2 layout); the cross
 * form has `q_attn` [C, C] and `c_attn` [C, 2C] for keys and values, as Hugging Face's GPT-2.
 */

import { ops } from '@pretrain-lab/runtime';
import type * as tf from '@tensorflow/tfjs';
import { dropout, dropoutDraw, type ForwardContext } from './dropout.js';
import { Linear } from './linear.js';
import type { ParamStore } from './params.js';

export interface AttentionConfig {
  dModel: number;
  numHeads: number;
  causal: boolean;
  cross?: boolean;
  dropout?: number;
  bias?: boolean;
  /** std of the output projection's init (GPT-2 scales it by 1/sqrt(2 * numLayers)). */
  projStd?: number;
}

export class MultiHeadAttention {
  readonly qkv: Linear | null;
  readonly q: Linear | null;
  readonly kv: Linear | null;
  readonly proj: Linear;
  readonly headDim: number;

  constructor(
    store: ParamStore,
    prefix: string,
    readonly cfg: AttentionConfig,
  ) {
    if (cfg.dModel % cfg.numHeads !== 0) {
      throw new Error(`dModel ${cfg.dModel} is not divisible by numHeads ${cfg.numHeads}`);
    }
    this.headDim = cfg.dModel / cfg.numHeads;
    const C = cfg.dModel;
    const bias = cfg.bias !== false;
    if (cfg.cross) {
      this.qkv = null;
      this.q = new Linear(store, `${prefix}.q_attn`, C, C, { bias });
      this.kv = new Linear(store, `${prefix}.c_attn`, C, 2 * C, { bias });
    } else {
      this.qkv = new Linear(store, `${prefix}.c_attn`, C, 3 * C, { bias });
      this.q = null;
      this.kv = null;
    }
    this.proj = new Linear(store, `${prefix}.c_proj`, C, C, { bias, std: cfg.projStd });
  }

  apply(
    x: tf.Tensor3D,
    ctx: ForwardContext,
    opts: { memory?: tf.Tensor3D; keyPadding?: tf.Tensor2D } = {},
  ): tf.Tensor3D {
    const rate = this.cfg.dropout ?? 0;
    const core = {
      numHeads: this.cfg.numHeads,
      causal: this.cfg.causal,
      keyPadding: opts.keyPadding,
      dropout: dropoutDraw(rate, ctx),
    };
    let y: tf.Tensor3D; // [B, T, C], heads merged
    if (this.qkv) {
      y = ops.attentionCore({ qkv: this.qkv.apply(x) as tf.Tensor3D }, core); // from [B, T, 3C]
    } else {
      if (!opts.memory) throw new Error('cross-attention needs memory');
      const q = this.q!.apply(x) as tf.Tensor3D; // [B, T, C]
      const kv = this.kv!.apply(opts.memory) as tf.Tensor3D; // [B, S, 2C]
      y = ops.attentionCore({ q, kv }, core);
    }
    return dropout(this.proj.apply(y) as tf.Tensor3D, rate, ctx); // [B, T, C]
  }
}
