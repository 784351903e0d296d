/**
 * The fused attention core (see blocks.ts for the conventions): from projected q, k, v to
 * merged heads in one kernel, and all their gradients (and the score bias's) in one backward
 * kernel. Head-major scratch copies make every product one batched sgemm over B*H.
 * Dropout on the probabilities comes in as a multiplier tensor (0 or 1/keep, drawn by the
 * caller exactly as tf.dropout draws it), so the fused and composite paths agree.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AsmInstance } from './asm-module.js';
import { blockKernels, inputNames } from './blocks.js';
import { offsetOf, type WasmBackendInternals } from './wasm-internals.js';

const { Scratch, f32, named } = blockKernels;
type Args = Parameters<tf.KernelFunc>[0];
type TI = tf.TensorInfo;
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

// ---- attention core ---------------------------------------------------------------------------
// Sources: mode 'qkv' (one [B,T,3W] tensor), 'q_kv' (q [B,T,W], kv [B,S,2W]) or 'q_k_v'.
// The kernel copies q, k, v into head-major scratch [B*H, L, D], runs batched sgemms over B*H
// and the masked softmax, and merges heads back into [B,T,W]. probs [B,H,T,S] is a second
// output, saved for the backward pass.

interface AttnAttrs {
  mode: 'qkv' | 'q_kv' | 'q_k_v';
  numHeads: number;
  causal: boolean;
  scale: number;
  hasPad: boolean;
  hasBias: boolean;
  biasBatched: boolean;
  hasDrop: boolean;
}

/** One source of q, k or v: a base offset (bytes), its row stride (floats) and rows per batch. */
interface Src {
  ptr: number;
  rowStride: number;
  rows: number;
}

function attnSources(backend: WasmBackendInternals, inputs: Record<string, TI>, a: AttnAttrs) {
  const H = a.numHeads;
  let q: Src;
  let k: Src;
  let v: Src;
  let B: number;
  let T: number;
  let S: number;
  let W: number;
  if (a.mode === 'qkv') {
    const x = inputs.qkv;
    [B, T] = x.shape;
    W = x.shape[2] / 3;
    S = T;
    const p = offsetOf(backend, x);
    q = { ptr: p, rowStride: 3 * W, rows: T };
    k = { ptr: p + 4 * W, rowStride: 3 * W, rows: T };
    v = { ptr: p + 8 * W, rowStride: 3 * W, rows: T };
  } else if (a.mode === 'q_kv') {
    [B, T, W] = inputs.q.shape;
    S = inputs.kv.shape[1];
    const p = offsetOf(backend, inputs.kv);
    q = { ptr: offsetOf(backend, inputs.q), rowStride: W, rows: T };
    k = { ptr: p, rowStride: 2 * W, rows: S };
    v = { ptr: p + 4 * W, rowStride: 2 * W, rows: S };
  } else {
    [B, T, W] = inputs.q.shape;
    S = inputs.k.shape[1];
    q = { ptr: offsetOf(backend, inputs.q), rowStride: W, rows: T };
    k = { ptr: offsetOf(backend, inputs.k), rowStride: W, rows: S };
    v = { ptr: offsetOf(backend, inputs.v), rowStride: W, rows: S };
  }
  return { q, k, v, B, T, S, W, H, D: W / H };
}

/** [B, L, (H, D) at rowStride] <-> head-major [B, H, L, D]; toHeads false copies back. */
function moveHeads(
  asm: AsmInstance,
  src: Src,
  heads: number,
  B: number,
  H: number,
  D: number,
  toHeads: boolean,
) {
  const L = src.rows;
  for (let b = 0; b < B; b++) {
    const outer = src.ptr + 4 * b * L * src.rowStride; // row 0 of batch b
    const hm = heads + 4 * b * H * L * D;
    if (toHeads) asm.exports.copyBlocks(outer, hm, H, L, 4 * D, 4 * D, 4 * src.rowStride, 4 * L * D, 4 * D);
    else asm.exports.copyBlocks(hm, outer, H, L, 4 * D, 4 * L * D, 4 * D, 4 * D, 4 * src.rowStride);
  }
}

/**
 * softmax(scale * x + bias + masks) in place over the last axis of [B, H, T, S]: the native
 * set has it as one kernel; for the AssemblyScript set the bias and the padding are folded into
 * x first (x + bias / scale, or -1e9 / scale at padded keys) and the causal softmax runs after.
 */
function maskedSoftmax(
  asm: AsmInstance,
  backend: WasmBackendInternals,
  x: number,
  dims: { B: number; H: number; T: number; S: number },
  a: AttnAttrs,
  bias: number,
  pad: number,
) {
  const { B, H, T, S } = dims;
  const native = asm.exports.attnSoftmaxMaskedFwd;
  if (native) {
    native(
      x,
      x,
      B,
      H,
      T,
      S,
      a.scale,
      a.causal ? 1 : 0,
      a.hasBias ? bias : 0,
      a.biasBatched ? 1 : 0,
      a.hasPad ? pad : 0,
    );
    return;
  }
  if (a.hasBias || a.hasPad) {
    const xs = f32(backend, x, B * H * T * S);
    const inv = 1 / a.scale;
    const bs = a.hasBias ? f32(backend, bias, (a.biasBatched ? B : 1) * H * T * S) : null;
    const ps = a.hasPad ? f32(backend, pad, B * S) : null;
    const hts = H * T * S;
    for (let b = 0; b < B; b++) {
      const boff = a.biasBatched ? b * hts : 0;
      for (let r = 0; r < H * T; r++) {
        const o = b * hts + r * S;
        for (let s = 0; s < S; s++) {
          if (ps && ps[b * S + s] === 0) xs[o + s] += -1e9 * inv;
          else if (bs) xs[o + s] += bs[boff + r * S + s] * inv;
        }
      }
    }
  }
  asm.exports.attnSoftmaxFwd(x, x, B * H * T, T, S, a.scale, a.causal ? 1 : 0);
}

function attnFwd(asm: AsmInstance, mul: tf.KernelFunc) {
  return (args: Args): TI[] => {
    const backend = args.backend as WasmBackendInternals;
    const a = args.attrs as unknown as AttnAttrs;
    const inputs = named(args.inputs, inputNames.attn(a));
    const out0 = backend.makeOutput(
      a.mode === 'qkv' ? [inputs.qkv.shape[0], inputs.qkv.shape[1], inputs.qkv.shape[2] / 3] : inputs.q.shape,
      'float32',
    );
    const { q, k, v, B, T, S, H, D } = attnSources(backend, inputs, a);
    const probs = backend.makeOutput([B, H, T, S], 'float32');
    if (B * T * S * D === 0) return [out0, probs];
    const sc = new Scratch(backend);
    try {
      const BH = B * H;
      const qh = sc.floats(BH * T * D);
      const kh = sc.floats(BH * S * D);
      const vh = sc.floats(BH * S * D);
      const oh = sc.floats(BH * T * D);
      const P = offsetOf(backend, probs);
      moveHeads(asm, q, qh, B, H, D, true);
      moveHeads(asm, k, kh, B, H, D, true);
      moveHeads(asm, v, vh, B, H, D, true);
      // scores = Q K^T: [T, D] x [D, S] per (b, h)
      asm.sgemm(BH, T, S, D, qh, D, 1, T * D, kh, 1, D, S * D, P, S, T * S, 0);
      maskedSoftmax(
        asm,
        backend,
        P,
        { B, H, T, S },
        a,
        a.hasBias ? offsetOf(backend, inputs.bias) : 0,
        a.hasPad ? offsetOf(backend, inputs.keyPadding) : 0,
      );
      // O = P V: [T, S] x [S, D] (P times the dropout multiplier, when there is one)
      const pd = a.hasDrop
        ? (mul({ inputs: { a: probs, b: inputs.dropMask }, backend, attrs: {} }) as TI)
        : null;
      asm.sgemm(BH, T, D, S, pd ? offsetOf(backend, pd) : P, S, 1, T * S, vh, D, 1, S * D, oh, D, T * D, 0);
      if (pd) backend.disposeData(pd.dataId);
      moveHeads(asm, { ptr: offsetOf(backend, out0), rowStride: H * D, rows: T }, oh, B, H, D, false);
    } finally {
      sc.free();
    }
    return [out0, probs];
  };
}

function attnBwd(asm: AsmInstance, mul: tf.KernelFunc) {
  return (args: Args): TI[] => {
    const backend = args.backend as WasmBackendInternals;
    const a = args.attrs as unknown as AttnAttrs;
    const inputs = args.inputs as Record<string, TI>;
    const grads: TI[] =
      a.mode === 'qkv'
        ? [backend.makeOutput(inputs.qkv.shape, 'float32')]
        : a.mode === 'q_kv'
          ? [backend.makeOutput(inputs.q.shape, 'float32'), backend.makeOutput(inputs.kv.shape, 'float32')]
          : ['q', 'k', 'v'].map((n) => backend.makeOutput(inputs[n].shape, 'float32'));
    const { q, k, v, B, T, S, H, D } = attnSources(backend, inputs, a);
    const dBias = a.hasBias ? backend.makeOutput(inputs.bias.shape, 'float32') : null;
    if (B * T * S * D === 0) {
      for (const g of grads) f32(backend, offsetOf(backend, g), size(g.shape)).fill(0);
      if (dBias) f32(backend, offsetOf(backend, dBias), size(dBias.shape)).fill(0);
      return dBias ? [...grads, dBias] : grads;
    }
    const pd = a.hasDrop
      ? (mul({ inputs: { a: inputs.probs, b: inputs.dropMask }, backend, attrs: {} }) as TI)
      : null;
    const dpT = a.hasDrop ? backend.makeOutput(inputs.probs.shape, 'float32') : null;
    const sc = new Scratch(backend);
    try {
      const BH = B * H;
      const qh = sc.floats(BH * T * D);
      const kh = sc.floats(BH * S * D);
      const vh = sc.floats(BH * S * D);
      const doh = sc.floats(BH * T * D);
      const dqh = sc.floats(BH * T * D);
      const dkh = sc.floats(BH * S * D);
      const dvh = sc.floats(BH * S * D);
      const ds = sc.floats(BH * T * S);
      const one = a.hasBias && !a.biasBatched ? sc.floats(1) : 0;
      const P = offsetOf(backend, inputs.probs);
      moveHeads(asm, q, qh, B, H, D, true);
      moveHeads(asm, k, kh, B, H, D, true);
      moveHeads(asm, v, vh, B, H, D, true);
      moveHeads(asm, { ptr: offsetOf(backend, inputs.dy), rowStride: H * D, rows: T }, doh, B, H, D, true);
      // dV = P^T dO: [S, T] x [T, D]
      asm.sgemm(BH, S, D, T, pd ? offsetOf(backend, pd) : P, 1, S, T * S, doh, D, 1, T * D, dvh, D, S * D, 0);
      // dP = dO V^T: [T, D] x [D, S] (then times the dropout multiplier)
      if (pd && dpT) {
        asm.sgemm(BH, T, S, D, doh, D, 1, T * D, vh, 1, D, S * D, offsetOf(backend, dpT), S, T * S, 0);
        const dpm = mul({ inputs: { a: dpT, b: inputs.dropMask }, backend, attrs: {} }) as TI;
        asm.exports.copyBlocks(offsetOf(backend, dpm), ds, 1, 1, 4 * BH * T * S, 0, 0, 0, 0);
        backend.disposeData(dpm.dataId);
      } else asm.sgemm(BH, T, S, D, doh, D, 1, T * D, vh, 1, D, S * D, ds, S, T * S, 0);
      if (a.hasBias) {
        // d logits (scale 1) is the bias gradient; the score gradient is scale times it.
        asm.exports.attnSoftmaxBwd(P, ds, ds, BH * T, T, S, 1, a.causal ? 1 : 0);
        const dbo = offsetOf(backend, dBias!);
        const n = H * T * S;
        if (a.biasBatched) asm.exports.copyBlocks(ds, dbo, 1, 1, 4 * B * n, 0, 0, 0, 0);
        else {
          // sum over the batch as a [1, B] x [B, n] product with a ones row (deterministic)
          f32(backend, one, 1)[0] = 1;
          asm.sgemm(1, 1, n, B, one, 0, 0, 0, ds, n, 1, 0, dbo, n, 0, 0);
        }
        if (a.scale !== 1) {
          const v32 = f32(backend, ds, BH * T * S);
          for (let i = 0; i < v32.length; i++) v32[i] *= a.scale;
        }
      } else {
        asm.exports.attnSoftmaxBwd(P, ds, ds, BH * T, T, S, a.scale, a.causal ? 1 : 0);
      }
      // dQ = dS K: [T, S] x [S, D];  dK = dS^T Q: [S, T] x [T, D]
      asm.sgemm(BH, T, D, S, ds, S, 1, T * S, kh, D, 1, S * D, dqh, D, T * D, 0);
      asm.sgemm(BH, S, D, T, ds, 1, S, T * S, qh, D, 1, T * D, dkh, D, S * D, 0);
      // back to the sources' layouts (every element of every gradient is written)
      const W = H * D;
      if (a.mode === 'qkv') {
        const g = offsetOf(backend, grads[0]);
        moveHeads(asm, { ptr: g, rowStride: 3 * W, rows: T }, dqh, B, H, D, false);
        moveHeads(asm, { ptr: g + 4 * W, rowStride: 3 * W, rows: T }, dkh, B, H, D, false);
        moveHeads(asm, { ptr: g + 8 * W, rowStride: 3 * W, rows: T }, dvh, B, H, D, false);
      } else if (a.mode === 'q_kv') {
        const g = offsetOf(backend, grads[1]);
        moveHeads(asm, { ptr: offsetOf(backend, grads[0]), rowStride: W, rows: T }, dqh, B, H, D, false);
        moveHeads(asm, { ptr: g, rowStride: 2 * W, rows: S }, dkh, B, H, D, false);
        moveHeads(asm, { ptr: g + 4 * W, rowStride: 2 * W, rows: S }, dvh, B, H, D, false);
      } else {
        moveHeads(asm, { ptr: offsetOf(backend, grads[0]), rowStride: W, rows: T }, dqh, B, H, D, false);
        moveHeads(asm, { ptr: offsetOf(backend, grads[1]), rowStride: W, rows: S }, dkh, B, H, D, false);
        moveHeads(asm, { ptr: offsetOf(backend, grads[2]), rowStride: W, rows: S }, dvh, B, H, D, false);
      }
    } finally {
      sc.free();
      if (pd) backend.disposeData(pd.dataId);
      if (dpT) backend.disposeData(dpT.dataId);
    }
    return dBias ? [...grads, dBias] : grads;
  };
}

export const attentionKernels = { attnFwd, attnBwd };
