/**
 * Transformer block, pre-norm (GPT-2: x + f(LN(x))) or post-norm (original Transformer and
 * BERT: LN(x + f(x))). Self-attention, optional cross-attention (decoder of an
 * encoder-decoder), feed-forward. Names follow GPT-2: ln_1, attn, (ln_cross, crossattention), ln_2, mlp.
 */
import { ops } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { MultiHeadAttention } from './attention.js';
import type { ForwardContext } from './dropout.js';
import { FeedForward } from './feedforward.js';
import { LayerNorm } from './norm.js';
import type { ParamStore } from './params.js';

export interface BlockConfig {
  dModel: number;
  numHeads: number;
  dFF: number;
  causal: boolean;
  preNorm: boolean;
  cross?: boolean;
  dropout?: number;
  layerNormEps?: number;
  /** std of the residual projections' init. */
  projStd?: number;
}

export class TransformerBlock {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly lnCross: LayerNorm | null;
  readonly crossAttn: MultiHeadAttention | null;
  readonly ln2: LayerNorm;
  readonly mlp: FeedForward;

  constructor(
    store: ParamStore,
    prefix: string,
    readonly cfg: BlockConfig,
  ) {
    const eps = cfg.layerNormEps ?? 1e-5;
    const rate = cfg.dropout ?? 0;
    this.ln1 = new LayerNorm(store, `${prefix}.ln_1`, cfg.dModel, eps);
    this.attn = new MultiHeadAttention(store, `${prefix}.attn`, {
      dModel: cfg.dModel,
      numHeads: cfg.numHeads,
      causal: cfg.causal,
      dropout: rate,
      projStd: cfg.projStd,
    });
    if (cfg.cross) {
      this.lnCross = new LayerNorm(store, `${prefix}.ln_cross_attn`, cfg.dModel, eps);
      this.crossAttn = new MultiHeadAttention(store, `${prefix}.crossattention`, {
        dModel: cfg.dModel,
        numHeads: cfg.numHeads,
        causal: false,
        cross: true,
        dropout: rate,
        projStd: cfg.projStd,
      });
    } else {
      this.lnCross = null;
      this.crossAttn = null;
    }
    this.ln2 = new LayerNorm(store, `${prefix}.ln_2`, cfg.dModel, eps);
    this.mlp = new FeedForward(store, `${prefix}.mlp`, cfg.dModel, cfg.dFF, rate, cfg.projStd);
  }

  /** x [B, T, C] -> [B, T, C]. */
  apply(
    x: tf.Tensor3D,
    ctx: ForwardContext,
    opts: { keyPadding?: tf.Tensor2D; memory?: tf.Tensor3D; memoryPadding?: tf.Tensor2D } = {},
  ): tf.Tensor3D {
    if (this.cfg.preNorm) {
      const out = this.applyPreNorm(x, this.ln1.apply(x), null, ctx, opts);
      return out.x;
    }
    // post-norm: LN(x + f(x)), the add and the norm as one fused op
    let h = x;
    for (const [norm, f] of this.sublayers(ctx, opts))
      h = ops.residualLayerNorm(
        h,
        f(h),
        norm.weight as tf.Tensor1D,
        norm.bias as tf.Tensor1D,
        norm.eps,
      ).normed;
    return h;
  }

  /**
   * Pre-norm chain: x + f(LN(x)) per sublayer, given x and n = ln_1(x) already normalised. Each
   * residual add is fused with the LayerNorm that follows it (the next sublayer's, or `next`'s:
   * the next block's ln_1 or the final ln_f), so the stream needs no separate add or norm op.
   * Returns the new stream x and n = next(x) (n is null when `next` is null).
   */
  applyPreNorm(
    x: tf.Tensor3D,
    n: tf.Tensor3D,
    next: LayerNorm | null,
    ctx: ForwardContext,
    opts: { keyPadding?: tf.Tensor2D; memory?: tf.Tensor3D; memoryPadding?: tf.Tensor2D } = {},
  ): { x: tf.Tensor3D; n: tf.Tensor3D | null } {
    const subs = this.sublayers(ctx, opts);
    let h = x;
    let normed: tf.Tensor3D | null = n;
    for (let i = 0; i < subs.length; i++) {
      const delta = subs[i][1](normed!); // f(LN(h))
      const norm = i + 1 < subs.length ? subs[i + 1][0] : next;
      if (!norm) {
        h = tf.add(h, delta) as tf.Tensor3D;
        normed = null;
      } else {
        const r = ops.residualLayerNorm(
          h,
          delta,
          norm.weight as tf.Tensor1D,
          norm.bias as tf.Tensor1D,
          norm.eps,
        );
        h = r.sum;
        normed = r.normed;
      }
    }
    return { x: h, n: normed };
  }

  private sublayers(
    ctx: ForwardContext,
    opts: { keyPadding?: tf.Tensor2D; memory?: tf.Tensor3D; memoryPadding?: tf.Tensor2D },
  ): [LayerNorm, (h: tf.Tensor3D) => tf.Tensor3D][] {
    const selfAttn = (h: tf.Tensor3D) => this.attn.apply(h, ctx, { keyPadding: opts.keyPadding });
    const crossAttn = (h: tf.Tensor3D) =>
      this.crossAttn!.apply(h, ctx, { memory: opts.memory, keyPadding: opts.memoryPadding });
    const ff = (h: tf.Tensor3D) => this.mlp.apply(h, ctx);
    const subs: [LayerNorm, (h: tf.Tensor3D) => tf.Tensor3D][] = [[this.ln1, selfAttn]];
    if (this.crossAttn && this.lnCross) subs.push([this.lnCross, crossAttn]);
    subs.push([this.ln2, ff]);
    return subs;
  }
}
