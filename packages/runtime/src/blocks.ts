/**
 * Block-level ops: the attention core, a residual add with its LayerNorm, the embedding sum,
 * the vocabulary cross-entropy and AdamW over all parameters. Each is one fused kernel forward
 * and one backward on tfjs-wasm with this project's kernels (kernels/blocks.ts), and a
 * composite of plain tf ops everywhere else; the composite is the reference the fused kernels
 * are tested against (ops-fused.test.ts, with PyTorch fixtures from tools/reference/fused_ops.py).
 * Re-exported through ops.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { BK, inputNames } from './kernels/blocks.js';
import { blocksActive, runBlock } from './kernels/register-blocks.js';

const f32 = (...ts: Array<tf.Tensor | null | undefined>) => ts.every((t) => !t || t.dtype === 'float32');

export type AttentionInputs =
  | { qkv: tf.Tensor3D }
  | { q: tf.Tensor3D; kv: tf.Tensor3D }
  | { q: tf.Tensor3D; k: tf.Tensor3D; v: tf.Tensor3D };

export interface AttentionCoreOptions {
  numHeads: number;
  causal?: boolean;
  /** [B, S]: 1 keeps a key, 0 masks it (padding). */
  keyPadding?: tf.Tensor2D;
  /** Additive score bias [1, H, T, S] or [B, H, T, S] (T5's relative position bias). */
  bias?: tf.Tensor4D;
  /** Score scale; default 1 / sqrt(head width). T5 uses 1. */
  scale?: number;
  /** Dropout on the probabilities (training only), drawn as tf.dropout(p, rate, undefined, seed) draws it. */
  dropout?: { rate: number; seed: number };
}

/**
 * Multi-head attention from projected inputs to merged heads: [B, T, W] with W = H * D.
 * qkv [B, T, 3W] (q | k | v, GPT-2's c_attn), or q [B, T, W] with kv [B, S, 2W], or q, k, v.
 * scores = scale q k^T + bias (+ -1e9 above the causal diagonal, aligned to the end; + -1e9 at
 * padded keys); out = softmax(scores) v, heads merged back.
 */
export function attentionCore(inputs: AttentionInputs, o: AttentionCoreOptions): tf.Tensor3D {
  const mode = 'qkv' in inputs ? 'qkv' : 'kv' in inputs ? 'q_kv' : 'q_k_v';
  const srcs: tf.Tensor3D[] =
    'qkv' in inputs ? [inputs.qkv] : 'kv' in inputs ? [inputs.q, inputs.kv] : [inputs.q, inputs.k, inputs.v];
  const W = 'qkv' in inputs ? inputs.qkv.shape[2] / 3 : inputs.q.shape[2];
  const D = W / o.numHeads;
  if (!Number.isInteger(D))
    throw new Error(`attentionCore: width ${W} is not divisible by ${o.numHeads} heads`);
  const scale = o.scale ?? 1 / Math.sqrt(D);
  const pad = o.keyPadding ? (o.keyPadding.dtype === 'float32' ? o.keyPadding : null) : undefined;
  const drop = o.dropout && o.dropout.rate > 0 ? o.dropout : null;
  if (blocksActive() && f32(...srcs, o.bias) && pad !== null) {
    const B = srcs[0].shape[0];
    const T = srcs[0].shape[1];
    const S = mode === 'qkv' ? T : srcs[1].shape[1];
    const dropMask = drop ? dropoutMultiplier([B, o.numHeads, T, S], drop) : null;
    const attrs = {
      mode,
      numHeads: o.numHeads,
      causal: !!o.causal,
      scale,
      hasBias: !!o.bias,
      biasBatched: !!o.bias && o.bias.shape[0] !== 1,
      hasPad: !!o.keyPadding,
      hasDrop: !!dropMask,
    };
    const list = [
      ...srcs,
      ...(o.bias ? [o.bias] : []),
      ...(o.keyPadding ? [o.keyPadding] : []),
      ...(dropMask ? [dropMask] : []),
    ];
    if (list.length !== inputNames.attn(attrs).length) throw new Error('attentionCore: input list mismatch');
    const out = runBlock(BK.attn, list, attrs)[0] as tf.Tensor3D;
    dropMask?.dispose();
    return out;
  }
  if (o.keyPadding && pad === null)
    return tf.tidy(() => attentionCore(inputs, { ...o, keyPadding: tf.cast(o.keyPadding!, 'float32') }));
  return tf.tidy(() => {
    const H = o.numHeads;
    const heads = (x: tf.Tensor3D, from: number): tf.Tensor4D => {
      const [B, L] = x.shape;
      const part = tf.slice(x, [0, 0, from * W], [B, L, W]);
      return tf.transpose(tf.reshape(part, [B, L, H, D]), [0, 2, 1, 3]); // [B, H, L, D]
    };
    const [q, k, v] =
      'qkv' in inputs
        ? [heads(inputs.qkv, 0), heads(inputs.qkv, 1), heads(inputs.qkv, 2)]
        : 'kv' in inputs
          ? [heads(inputs.q, 0), heads(inputs.kv, 0), heads(inputs.kv, 1)]
          : [heads(inputs.q, 0), heads(inputs.k, 0), heads(inputs.v, 0)];
    const B = q.shape[0];
    const T = q.shape[2];
    const S = k.shape[2];
    let scores = tf.mul(tf.matMul(q, k, false, true), scale); // [B, H, T, S]
    if (o.bias) scores = tf.add(scores, o.bias);
    if (o.causal) scores = tf.add(scores, causalMaskBias(T, S));
    if (o.keyPadding) {
      const bias = tf.mul(tf.sub(1, o.keyPadding), -1e9); // [B, S]
      scores = tf.add(scores, tf.reshape(bias, [B, 1, 1, S]));
    }
    let p: tf.Tensor = tf.softmax(scores, -1);
    if (drop) p = tf.dropout(p, drop.rate, undefined, drop.seed);
    const y = tf.matMul(p, v); // [B, H, T, D]
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, W]) as tf.Tensor3D;
  });
}

const maskCache = new Map<string, tf.Tensor2D>();
/** [T, S] additive bias: 0 where key s <= query t (aligned to the end), -1e9 above the diagonal. */
export function causalMaskBias(T: number, S: number): tf.Tensor2D {
  const key = `${tf.getBackend()}:${T}x${S}`;
  let m = maskCache.get(key);
  if (!m || m.isDisposed) {
    const data = new Float32Array(T * S);
    const offset = S - T;
    for (let t = 0; t < T; t++) for (let s = 0; s < S; s++) data[t * S + s] = s > t + offset ? -1e9 : 0;
    m = tf.keep(tf.tensor2d(data, [T, S]));
    maskCache.set(key, m);
  }
  return m;
}

/** tf.dropout's multiplier for a tensor of this shape: floor(U[0,1) + keep) / keep, same seed, same draw. */
function dropoutMultiplier(shape: number[], d: { rate: number; seed: number }): tf.Tensor {
  return tf.tidy(() => {
    const keep = 1 - d.rate;
    return tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', d.seed), keep)), keep);
  });
}

/** sum = x + delta (or x when delta is null) and normed = LayerNorm(sum) * gamma + beta, over the last axis. */
export function residualLayerNorm<T extends tf.Tensor>(
  x: T,
  delta: T | null,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps = 1e-5,
): { sum: T; normed: T } {
  const C = x.shape[x.rank - 1];
  if (delta && blocksActive() && f32(x, delta, gamma, beta) && gamma.size === C && beta.size === C) {
    const [sum, normed] = runBlock(BK.addNorm, [x, delta, gamma, beta], { eps }, 2);
    return { sum: sum as T, normed: normed as T };
  }
  const sum = delta ? (tf.add(x, delta) as T) : x;
  return { sum, normed: layerNormComposite(sum, gamma, beta, eps) };
}

let layerNormOp: (<T extends tf.Tensor>(x: T, g: tf.Tensor1D, b: tf.Tensor1D, eps: number) => T) | null =
  null;
/** ops.ts hands its layerNorm here (it imports this file; the reverse import would be circular). */
export function setLayerNorm(f: typeof layerNormOp): void {
  layerNormOp = f;
}
function layerNormComposite<T extends tf.Tensor>(x: T, g: tf.Tensor1D, b: tf.Tensor1D, eps: number): T {
  if (!layerNormOp) throw new Error('residualLayerNorm: ops.layerNorm not registered');
  return layerNormOp(x, g, b, eps);
}

/** token[ids] + pos[0..T-1] (+ type[typeIds]): tables [V, C], [P >= T, C], [G, C]; ids int32 [B, T] -> [B, T, C]. */
export function embed(
  table: tf.Tensor2D,
  ids: tf.Tensor2D,
  pos?: tf.Tensor2D | null,
  typeTable?: tf.Tensor2D | null,
  typeIds?: tf.Tensor2D | null,
): tf.Tensor3D {
  const [, T] = ids.shape;
  if (pos && T > pos.shape[0])
    throw new Error(`sequence length ${T} exceeds the position table (${pos.shape[0]})`);
  const hasType = !!typeTable && !!typeIds;
  if (
    blocksActive() &&
    f32(table, pos, typeTable) &&
    ids.dtype === 'int32' &&
    (!hasType || typeIds!.dtype === 'int32')
  ) {
    const list = [table, ids, ...(pos ? [pos] : []), ...(hasType ? [typeTable!, typeIds!] : [])];
    return runBlock(BK.embed, list, { hasPos: !!pos, hasType })[0] as tf.Tensor3D;
  }
  return tf.tidy(() => {
    const [B] = ids.shape;
    const C = table.shape[1];
    let x = tf.reshape(tf.gather(table, tf.reshape(ids, [-1])), [B, T, C]);
    if (pos) x = tf.add(x, tf.slice(pos, [0, 0], [T, C]));
    if (hasType) x = tf.add(x, tf.reshape(tf.gather(typeTable!, tf.reshape(typeIds!, [-1])), [B, T, C]));
    return x as tf.Tensor3D;
  });
}

/**
 * Mean cross-entropy of logits = h @ table^T (+ bias) against targets (int32, same leading
 * shape as h); targets < 0 are ignored (0 when none is valid). Only rows with a target are
 * projected on the fused path, so the logits of unlabelled positions are never computed.
 */
export function vocabCrossEntropy(
  h: tf.Tensor,
  table: tf.Tensor2D,
  targets: tf.Tensor,
  bias?: tf.Tensor1D,
): tf.Scalar {
  const C = table.shape[1];
  if (blocksActive() && f32(h, table, bias) && (targets.dtype === 'int32' || targets.dtype === 'float32')) {
    const list = [h, table, targets, ...(bias ? [bias] : [])];
    // `grad`: the native head computes its gradient with the loss when one is being recorded.
    return runBlock(BK.vocabCE, list, { hasBias: !!bias, grad: tf.engine().isTapeOn() })[0] as tf.Scalar;
  }
  return tf.tidy(() => {
    let logits = tf.matMul(tf.reshape(h, [-1, C]), table, false, true); // [N, V]
    if (bias) logits = tf.add(logits, bias);
    const V = table.shape[0];
    const t = tf.reshape(targets, [-1]);
    const logp = tf.logSoftmax(logits, -1);
    const valid = tf.cast(tf.greaterEqual(t, 0), 'float32');
    const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.cast(tf.maximum(t, 0), 'int32'), V)), -1);
    return tf.div(tf.neg(tf.sum(tf.mul(picked, valid))), tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
  });
}

/** One AdamW step over many parameters (see ops.adamwUpdate for the formula); decays[i] per parameter. */
export interface AdamWAllStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  bc1: number;
  bc2Sqrt: number;
  /** Global-norm clip (torch's clip_grad_norm_ coefficient min(1, clip / (norm + 1e-6))); 0: none. */
  gradClip: number;
  decays: number[];
}

/**
 * The whole optimizer step in one kernel on the fused path: the global gradient norm, the
 * clip coefficient and every parameter's update. Returns the pre-clip norm and the new p, m, v
 * per parameter, or null where the fused kernel is not available (the caller takes its
 * per-parameter path).
 */
export function adamwUpdateAll(
  ps: tf.Tensor[],
  ms: tf.Tensor[],
  vs: tf.Tensor[],
  gs: tf.Tensor[],
  s: AdamWAllStep,
): { norm: tf.Scalar; p: tf.Tensor[]; m: tf.Tensor[]; v: tf.Tensor[] } | null {
  const n = ps.length;
  if (!blocksActive() || n === 0 || ![...ps, ...ms, ...vs, ...gs].every((t) => t.dtype === 'float32'))
    return null;
  for (let i = 0; i < n; i++)
    if (ms[i].size !== ps[i].size || vs[i].size !== ps[i].size || gs[i].size !== ps[i].size) return null;
  const inputs: tf.NamedTensorMap = {};
  for (let i = 0; i < n; i++) {
    inputs[`p${i}`] = ps[i];
    inputs[`m${i}`] = ms[i];
    inputs[`v${i}`] = vs[i];
    inputs[`g${i}`] = gs[i];
  }
  const out = tf
    .engine()
    .runKernel(BK.adamwAll, inputs, { ...s, n } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  return {
    norm: out[0] as tf.Scalar,
    p: out.slice(1, 1 + n),
    m: out.slice(1 + n, 1 + 2 * n),
    v: out.slice(1 + 2 * n),
  };
}
