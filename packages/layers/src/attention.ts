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
import * as tf from '@tensorflow/tfjs';
import { dropout, type ForwardContext } from './dropout.js';
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

  /** [B, T, C] -> [B, H, T, D] */
  private splitHeads(x: tf.Tensor, B: number, T: number): tf.Tensor4D {
    return tf.transpose(tf.reshape(x, [B, T, this.cfg.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  apply(
    x: tf.Tensor3D,
    ctx: ForwardContext,
    opts: { memory?: tf.Tensor3D; keyPadding?: tf.Tensor2D } = {},
  ): tf.Tensor3D {
    const [B, T, C] = x.shape;
    let q: tf.Tensor4D;
    let k: tf.Tensor4D;
    let v: tf.Tensor4D;
    if (this.qkv) {
      const fused = this.qkv.apply(x); // [B, T, 3C]
      const [qs, ks, vs] = tf.split(fused, 3, -1); // 3 x [B, T, C]
      q = this.splitHeads(qs, B, T);
      k = this.splitHeads(ks, B, T);
      v = this.splitHeads(vs, B, T);
    } else {
      const memory = opts.memory;
      if (!memory) throw new Error('cross-attention needs memory');
      const S = memory.shape[1];
      q = this.splitHeads(this.q!.apply(x), B, T); // [B, H, T, D]
      const [ks, vs] = tf.split(this.kv!.apply(memory), 2, -1); // 2 x [B, S, C]
      k = this.splitHeads(ks, B, S); // [B, H, S, D]
      v = this.splitHeads(vs, B, S);
    }
    const rate = this.cfg.dropout ?? 0;
    const y = ops.attention(q, k, v, {
      causal: this.cfg.causal,
      keyPadding: opts.keyPadding,
      dropout: ctx.training && rate > 0 ? (p) => dropout(p, rate, ctx) : undefined,
    }); // [B, H, T, D]
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, C]); // [B, T, C]
    return dropout(this.proj.apply(merged) as tf.Tensor3D, rate, ctx); // [B, T, C]
  }
}
