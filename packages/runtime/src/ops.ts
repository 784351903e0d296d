/**
 * The handful of ops a Transformer spends its time in, behind one stable signature each.
 * Layers call these rather than composing tf ops themselves, so a backend can swap in a fused
 * kernel (see kernels/) without any model code changing. Every function here must give the
 * same values and gradients as the composite reference forms below on every backend.
 * On tfjs-wasm with this project's kernels installed (kernels/index.ts), the heavy ones run as
 * single fused kernels (kernels/fused.ts); the composite forms stay as the reference and the
 * path for every other backend.
 */
import * as tf from '@tensorflow/tfjs';
import { causalMaskBias, setLayerNorm } from './blocks.js';
import { BK } from './kernels/blocks.js';
import { fusedActive, K, runFused } from './kernels/fused.js';
import { blocksActive, runBlock } from './kernels/register-blocks.js';

export {
  type AdamWAllStep,
  type AttentionCoreOptions,
  type AttentionInputs,
  adamwUpdateAll,
  attentionCore,
  causalMaskBias,
  embed,
  residualLayerNorm,
  vocabCrossEntropy,
} from './blocks.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (GPT-2's gelu_new): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function gelu<T extends tf.Tensor>(x: T): T {
  if (x.dtype === 'float32' && fusedActive()) return runFused(K.gelu, { x }) as T;
  return tf.tidy(() => {
    const inner = tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner))) as T;
  });
}

/** T5's RMS norm over the last axis: x / sqrt(mean(x^2) + eps) * weight (no mean, no bias). */
export function rmsNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor1D, eps = 1e-6): T {
  if (
    fusedActive() &&
    x.dtype === 'float32' &&
    x.rank >= 1 &&
    weight.rank === 1 &&
    weight.size === x.shape[x.rank - 1]
  )
    return runFused(K.rmsNorm, { x, w: weight }, { eps }) as T;
  return tf.tidy(() => {
    const meanSquare = tf.mean(tf.square(x), -1, true); // [..., 1]
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight) as T;
  });
}

/** LayerNorm over the last axis (biased variance, as PyTorch). */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): T {
  const C = x.shape[x.rank - 1];
  if (
    fusedActive() &&
    x.dtype === 'float32' &&
    x.rank >= 1 &&
    gamma.rank === 1 &&
    beta.rank === 1 &&
    gamma.size === C &&
    beta.size === C
  ) {
    return runFused(K.layerNorm, { x, gamma, beta }, { eps }) as T;
  }
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), axis, true);
    const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(normed, gamma), beta) as T;
  });
}

/**
 * act(x @ w + b) over the last axis of x: [..., in] x [in, out] -> [..., out]; `activation`
 * 'gelu' applies GELU (tanh form), 'relu' max(0, .) (T5). One fused kernel forward and one backward on wasm (the
 * bias and the activation ride on the sgemm's output), the composite form elsewhere.
 */
export function linear(
  x: tf.Tensor,
  w: tf.Tensor2D,
  b?: tf.Tensor1D,
  opts: { activation?: 'gelu' | 'relu' } = {},
): tf.Tensor {
  const act = opts.activation ?? 'none';
  if (
    blocksActive() &&
    x.dtype === 'float32' &&
    w.dtype === 'float32' &&
    (!b || (b.dtype === 'float32' && b.rank === 1 && b.size === w.shape[1])) &&
    x.shape[x.rank - 1] === w.shape[0]
  ) {
    return runBlock(BK.linear, b ? [x, w, b] : [x, w], { act, hasBias: !!b })[0];
  }
  return tf.tidy(() => {
    const inDim = x.shape[x.rank - 1];
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, inDim]); // [N, in]
    const y2 = b ? tf.add(tf.matMul(x2, w), b) : tf.matMul(x2, w); // [N, out]
    const y = tf.reshape(y2, [...lead, w.shape[1]]);
    return act === 'gelu' ? gelu(y) : act === 'relu' ? tf.relu(y) : y;
  });
}

/** h @ table^T: output projection onto a [vocab, width] embedding table (tied or untied head). */
export function projectToVocab(h: tf.Tensor, table: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    const width = h.shape[h.rank - 1];
    const lead = h.shape.slice(0, -1);
    const logits = tf.matMul(tf.reshape(h, [-1, width]), table, false, true); // [N, V]
    return tf.reshape(logits, [...lead, table.shape[0]]);
  });
}

/** Embedding lookup: table [V, C], ids int32 [...] -> [..., C]. */
export function embedding(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const flat = tf.gather(table, tf.reshape(ids, [-1])); // [N, C]
    return tf.reshape(flat, [...ids.shape, table.shape[1]]);
  });
}

/**
 * Scaled dot-product attention. q, k, v: [B, H, T, D] (k, v may have another length S for
 * cross-attention). `causal` masks future positions; `keyPadding` [B, S] (1 = keep, 0 = pad)
 * masks padded keys. Returns [B, H, T, D].
 */
export function attention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  opts: { causal?: boolean; keyPadding?: tf.Tensor2D; dropout?: (p: tf.Tensor) => tf.Tensor } = {},
): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , T, D] = q.shape;
    const S = k.shape[2];
    if (!opts.keyPadding && fusedActive()) {
      // scale + causal bias + softmax in one kernel; the two products use the fast BatchMatMul.
      let p = runFused(
        K.attnSoftmax,
        { scores: tf.matMul(q, k, false, true) },
        { scale: 1 / Math.sqrt(D), causal: !!opts.causal },
      );
      if (opts.dropout) p = opts.dropout(p);
      return tf.matMul(p, v) as tf.Tensor4D;
    }
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)); // [B, H, T, S]
    if (opts.causal) scores = tf.add(scores, causalMaskBias(T, S)); // [T, S] broadcast
    if (opts.keyPadding) {
      const bias = tf.mul(tf.sub(1, tf.cast(opts.keyPadding, 'float32')), -1e9); // [B, S]
      scores = tf.add(scores, tf.reshape(bias, [bias.shape[0], 1, 1, S]));
    }
    let probs: tf.Tensor = tf.softmax(scores, -1); // [B, H, T, S]
    if (opts.dropout) probs = opts.dropout(probs);
    return tf.matMul(probs, v) as tf.Tensor4D; // [B, H, T, D]
  });
}

/** Mean softmax cross-entropy: logits [N, V], integer targets [N]. Targets < 0 are ignored. */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  if (
    fusedActive() &&
    logits.dtype === 'float32' &&
    logits.rank === 2 &&
    (targets.dtype === 'int32' || targets.dtype === 'float32')
  ) {
    return runFused(K.crossEntropy, { logits, targets }) as tf.Scalar;
  }
  return tf.tidy(() => {
    const V = logits.shape[1];
    const logp = tf.logSoftmax(logits, -1); // [N, V]
    const valid = tf.cast(tf.greaterEqual(targets, 0), 'float32'); // [N]
    const safe = tf.maximum(targets, 0);
    const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.cast(safe, 'int32'), V)), -1); // [N]
    const count = tf.maximum(tf.sum(valid), 1);
    return tf.div(tf.neg(tf.sum(tf.mul(picked, valid))), count) as tf.Scalar;
  });
}

/** Hyper-parameters of one AdamW step (bc1 = 1 - beta1^t, bc2Sqrt = sqrt(1 - beta2^t)). */
export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay for this parameter (0 for no decay). */
  weightDecay: number;
  bc1: number;
  bc2Sqrt: number;
}

/**
 * One AdamW update of one parameter, as torch.optim.AdamW (and packages/train's composite):
 * g' = g * clip; m' = b1 m + (1 - b1) g'; v' = b2 v + (1 - b2) g'^2;
 * p' = p (1 - lr wd) - (lr / bc1) m' / (sqrt(v') / bc2Sqrt + eps).
 * Returns the new tensors (the caller assigns them to its variables). One fused kernel on
 * wasm instead of about 13 element-wise ops; `clip` is an optional scalar tensor.
 */
export function adamwUpdate(
  p: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  g: tf.Tensor,
  s: AdamWStep,
  clip?: tf.Scalar,
): { p: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const same = (t: tf.Tensor) => t.dtype === 'float32' && t.size === p.size;
  if (
    fusedActive() &&
    same(p) &&
    same(m) &&
    same(v) &&
    same(g) &&
    (!clip || (clip.dtype === 'float32' && clip.size === 1))
  ) {
    const inputs: tf.NamedTensorMap = clip ? { p, m, v, g, clip } : { p, m, v, g };
    const [pn, mn, vn] = tf
      .engine()
      .runKernel(K.adamw, inputs, s as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
    return { p: pn, m: mn, v: vn };
  }
  return tf.tidy(() => {
    const gc = clip ? tf.mul(g, clip) : g;
    const pDecayed = s.weightDecay > 0 ? tf.mul(p, 1 - s.lr * s.weightDecay) : p;
    const mNew = tf.add(tf.mul(m, s.beta1), tf.mul(gc, 1 - s.beta1));
    const vNew = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(gc), 1 - s.beta2));
    const denom = tf.add(tf.div(tf.sqrt(vNew), s.bc2Sqrt), s.eps);
    const pNew = tf.sub(pDecayed, tf.mul(tf.div(mNew, denom), s.lr / s.bc1));
    return { p: pNew, m: mNew, v: vNew };
  });
}

/** Sum of squares of every element of every tensor (the squared global gradient norm), as one scalar. */
export function sumOfSquares(xs: tf.Tensor[]): tf.Scalar {
  if (xs.length > 0 && fusedActive() && xs.every((x) => x.dtype === 'float32')) {
    return tf.engine().runKernel(K.sumSquares, xs as unknown as tf.NamedTensorMap, {}) as tf.Scalar;
  }
  return tf.tidy(
    () => (xs.length === 0 ? tf.scalar(0) : tf.addN(xs.map((x) => tf.sum(tf.square(x))))) as tf.Scalar,
  );
}

setLayerNorm(layerNorm);
