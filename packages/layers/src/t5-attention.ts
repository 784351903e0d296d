/**
 * T5 attention (Raffel et al. 2020), as Mesh TensorFlow and Hugging Face's T5Attention:
 * - q, k, v, o projections without biases, inner width numHeads * dKV (need not equal dModel);
 * - no 1/sqrt(dKV) on the scores: T5 folds it into the init of q (std (dModel * dKV)^-0.5);
 * - an additive bias on the scores: a learned scalar per head for each relative-position bucket
 *   (the table lives in the first layer of a stack and is shared by all its layers), plus the
 *   causal and key-padding masks. The caller builds that bias once per stack (`positionBias`,
 *   `causalBias`, `keyPaddingBias`) and passes the sum to every layer.
 */
import { ops } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { dropoutDraw, type ForwardContext } from './dropout.js';
import { Linear } from './linear.js';
import type { ParamStore } from './params.js';

/** Additive score bias for masked positions (as runtime ops.attention): exp underflows to 0. */
export const MASK_BIAS = -1e9;

/**
 * T5's `_relative_position_bucket` for one relative position (key position - query position).
 * Bidirectional (encoder): half the buckets for keys after the query, half for the rest.
 * Unidirectional (decoder): keys after the query all share bucket 0 (they are masked anyway).
 * Within a half, distances below maxExact = half / 2 get a bucket each; larger ones are
 * log-spaced up to maxDistance, and everything farther shares the last bucket. The log is
 * evaluated in float32 (Math.fround at each step), as T5 and PyTorch do, so bucket edges where
 * the float64 value would be an exact integer fall the same way.
 */
export function relativePositionBucket(
  relativePosition: number,
  bidirectional: boolean,
  numBuckets: number,
  maxDistance: number,
): number {
  let half = numBuckets;
  let bucket = 0;
  let n: number;
  if (bidirectional) {
    half = Math.floor(numBuckets / 2);
    if (relativePosition > 0) bucket += half;
    n = Math.abs(relativePosition);
  } else {
    n = Math.max(-relativePosition, 0);
  }
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return bucket + n;
  const f = Math.fround;
  const logRatio = f(Math.log(f(n / maxExact))); // float32 log(n / maxExact)
  const scaled = f(f(logRatio / f(Math.log(maxDistance / maxExact))) * (half - maxExact));
  return bucket + Math.min(maxExact + Math.trunc(scaled), half - 1);
}

/** Buckets for queries 0..T-1 against keys 0..S-1, row-major [T, S] (relative position s - t). */
export function relativePositionBuckets(
  T: number,
  S: number,
  bidirectional: boolean,
  numBuckets: number,
  maxDistance: number,
): Int32Array {
  const out = new Int32Array(T * S);
  for (let t = 0; t < T; t++)
    for (let s = 0; s < S; s++)
      out[t * S + s] = relativePositionBucket(s - t, bidirectional, numBuckets, maxDistance);
  return out;
}

/** mask [B, S] (1 = keep, 0 = padding; int or float) -> additive score bias [B, 1, 1, S]. */
export function keyPaddingBias(mask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, S] = mask.shape;
    const bias = tf.mul(tf.sub(tf.cast(mask, 'float32'), 1), -MASK_BIAS); // [B, S]: 0 kept (not -0), MASK_BIAS padded
    return tf.reshape(bias, [B, 1, 1, S]);
  });
}

/** [1, 1, T, T] additive bias: MASK_BIAS where the key comes after the query. */
export function causalBias(T: number): tf.Tensor4D {
  const data = new Float32Array(T * T);
  for (let t = 0; t < T; t++) for (let s = t + 1; s < T; s++) data[t * T + s] = MASK_BIAS;
  return tf.tensor4d(data, [1, 1, T, T]);
}

export interface T5AttentionConfig {
  dModel: number;
  numHeads: number;
  /** Width of one head; the inner width is numHeads * dKV. */
  dKV: number;
  /** Present on the first layer of a stack: that layer owns the stack's bucket table. */
  relativeBias?: { bidirectional: boolean; numBuckets: number; maxDistance: number };
  /** Dropout on the attention probabilities (T5 applies it there and on the residual branch). */
  dropout?: number;
}

export class T5Attention {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  /** [numBuckets, numHeads], or null in layers that reuse the first layer's table. */
  readonly relativeAttentionBias: tf.Variable | null;
  readonly inner: number;

  constructor(
    store: ParamStore,
    prefix: string,
    readonly cfg: T5AttentionConfig,
  ) {
    const { dModel: C, numHeads: H, dKV: D } = cfg;
    this.inner = H * D;
    // Mesh TF / HF T5 init (factor 1): the 1/sqrt(dKV) score scale lives in q's std.
    this.q = new Linear(store, `${prefix}.q`, C, this.inner, { bias: false, std: (C * D) ** -0.5 });
    this.k = new Linear(store, `${prefix}.k`, C, this.inner, { bias: false, std: C ** -0.5 });
    this.v = new Linear(store, `${prefix}.v`, C, this.inner, { bias: false, std: C ** -0.5 });
    this.o = new Linear(store, `${prefix}.o`, this.inner, C, { bias: false, std: this.inner ** -0.5 });
    this.relativeAttentionBias = cfg.relativeBias
      ? store.create(`${prefix}.relative_attention_bias.weight`, [cfg.relativeBias.numBuckets, H], {
          kind: 'normal',
          std: C ** -0.5,
        })
      : null;
  }

  /** Learned position bias [1, H, T, S] for T queries and S keys, from this layer's bucket table. */
  positionBias(T: number, S: number): tf.Tensor4D {
    const rb = this.cfg.relativeBias;
    if (!rb || !this.relativeAttentionBias)
      throw new Error(
        'this T5Attention has no relative_attention_bias (only the first layer of a stack does)',
      );
    return tf.tidy(() => {
      const buckets = tf.tensor1d(
        relativePositionBuckets(T, S, rb.bidirectional, rb.numBuckets, rb.maxDistance),
        'int32',
      ); // [T*S]
      const values = tf.gather(this.relativeAttentionBias!, buckets); // [T*S, H]
      const perHead = tf.transpose(tf.reshape(values, [T, S, this.cfg.numHeads]), [2, 0, 1]); // [H, T, S]
      return tf.expandDims(perHead, 0) as tf.Tensor4D; // [1, H, T, S]
    });
  }

  /**
   * x [B, T, C] -> [B, T, C]. Self-attention, or cross-attention when `memory` [B, S, C] is given.
   * `bias` (broadcastable to [B, H, T, S]) is added to the scores (the position bias);
   * `keyPadding` [B, S] (1 keeps a key) and `causal` are applied inside the fused op, so a
   * padding mask is never broadcast to [B, H, T, S].
   * No dropout on the output: the residual dropout belongs to the caller's sublayer.
   * The core (scores, bias, softmax, dropout, values, merged heads) is one fused op (runtime
   * ops.attentionCore) with scale 1: T5 folds 1/sqrt(dKV) into q's init.
   */
  apply(
    x: tf.Tensor3D,
    ctx: ForwardContext,
    opts: { memory?: tf.Tensor3D; bias?: tf.Tensor; keyPadding?: tf.Tensor2D; causal?: boolean } = {},
  ): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = x.shape;
      const kv = opts.memory ?? x;
      const S = kv.shape[1];
      const H = this.cfg.numHeads;
      let bias: tf.Tensor4D | undefined;
      if (opts.bias) {
        const b =
          opts.bias.rank === 4 ? opts.bias : tf.reshape(opts.bias, [1, 1, ...opts.bias.shape.slice(-2)]);
        const b0 = b.shape[0] === B ? B : 1;
        bias = (
          b.shape.join() === [b0, H, T, S].join() ? b : tf.broadcastTo(b, [b0, H, T, S])
        ) as tf.Tensor4D;
      }
      const y = ops.attentionCore(
        {
          q: this.q.apply(x) as tf.Tensor3D, // [B, T, H*D]
          k: this.k.apply(kv) as tf.Tensor3D, // [B, S, H*D]
          v: this.v.apply(kv) as tf.Tensor3D,
        },
        {
          numHeads: H,
          scale: 1,
          bias,
          keyPadding: opts.keyPadding,
          causal: opts.causal,
          dropout: dropoutDraw(this.cfg.dropout ?? 0, ctx),
        },
      ); // [B, T, H*D]
      return this.o.apply(y) as tf.Tensor3D; // [B, T, C]
    });
  }
}
