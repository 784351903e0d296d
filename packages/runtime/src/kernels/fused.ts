/**
 * Fused kernels behind ops.ts on tfjs-wasm: each is one pass over heap views instead of a
 * chain of tfjs element-wise ops (each allocating and sweeping the whole tensor). Forward
 * and backward are separate kernels; gradients are registered with tf.registerGradient so
 * tf.grads / variableGrads see ordinary ops. Values match ops.ts's composite forms within
 * float32 tolerance (sums here accumulate in float64).
 */
import * as tf from '@tensorflow/tfjs';
import type { AsmInstance } from './asm-module.js';
import { offsetOf, type WasmBackendInternals } from './wasm-internals.js';

export const K = {
  gelu: 'PretrainLabGelu',
  geluGrad: 'PretrainLabGeluGrad',
  layerNorm: 'PretrainLabLayerNorm',
  layerNormGrad: 'PretrainLabLayerNormGrad',
  attnSoftmax: 'PretrainLabAttnSoftmax',
  attnSoftmaxGrad: 'PretrainLabAttnSoftmaxGrad',
  crossEntropy: 'PretrainLabCrossEntropy',
  crossEntropyGrad: 'PretrainLabCrossEntropyGrad',
  linear: 'PretrainLabLinear',
  colSum: 'PretrainLabColSum',
} as const;

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

type Args = Parameters<tf.KernelFunc>[0];
function ctx(args: Args) {
  const backend = args.backend as WasmBackendInternals;
  const f32 = (t: tf.TensorInfo) => new Float32Array(backend.wasm.asm.memory.buffer, offsetOf(backend, t), size(t.shape));
  return { backend, f32 };
}

// ---- GELU (tanh form): SIMD in asm/kernels.ts (geluFwd / geluBwd) ---------------------------
function makeGeluFwd(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo => {
    const backend = args.backend as WasmBackendInternals;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const out = backend.makeOutput(x.shape, 'float32');
    asm.exports.geluFwd(offsetOf(backend, x), offsetOf(backend, out), size(x.shape), asm.work);
    return out;
  };
}
function makeGeluBwd(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo => {
    const backend = args.backend as WasmBackendInternals;
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const out = backend.makeOutput(x.shape, 'float32');
    asm.exports.geluBwd(offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out), size(x.shape), asm.work);
    return out;
  };
}

// ---- LayerNorm over the last axis ----------------------------------------------------------
function layerNormFwd(args: Args): tf.TensorInfo {
  const { backend, f32 } = ctx(args);
  const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const { eps } = args.attrs as unknown as { eps: number };
  const out = backend.makeOutput(x.shape, 'float32');
  const xs = f32(x);
  const g = f32(gamma);
  const b = f32(beta);
  const ys = f32(out);
  const C = x.shape[x.shape.length - 1];
  const rows = C === 0 ? 0 : xs.length / C;
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let s = 0;
    for (let j = 0; j < C; j++) s += xs[o + j];
    const mean = Math.fround(s / C);
    let v = 0;
    for (let j = 0; j < C; j++) {
      const d = xs[o + j] - mean;
      v += d * d;
    }
    const rstd = 1 / Math.sqrt(v / C + eps);
    for (let j = 0; j < C; j++) ys[o + j] = (xs[o + j] - mean) * rstd * g[j] + b[j];
  }
  return out;
}
function layerNormBwd(args: Args): tf.TensorInfo[] {
  const { backend, f32 } = ctx(args);
  const { x, gamma, dy } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; dy: tf.TensorInfo };
  const { eps } = args.attrs as unknown as { eps: number };
  const C = x.shape[x.shape.length - 1];
  const dxT = backend.makeOutput(x.shape, 'float32');
  const dgT = backend.makeOutput([C], 'float32');
  const dbT = backend.makeOutput([C], 'float32');
  const xs = f32(x);
  const g = f32(gamma);
  const gs = f32(dy);
  const dx = f32(dxT);
  const dg = new Float64Array(C);
  const db = new Float64Array(C);
  const xhat = new Float64Array(C);
  const rows = C === 0 ? 0 : xs.length / C;
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let s = 0;
    for (let j = 0; j < C; j++) s += xs[o + j];
    const mean = Math.fround(s / C);
    let v = 0;
    for (let j = 0; j < C; j++) {
      const d = xs[o + j] - mean;
      v += d * d;
    }
    const rstd = 1 / Math.sqrt(v / C + eps);
    let m1 = 0;
    let m2 = 0;
    for (let j = 0; j < C; j++) {
      const xh = (xs[o + j] - mean) * rstd;
      xhat[j] = xh;
      const gy = gs[o + j];
      dg[j] += gy * xh;
      db[j] += gy;
      const dxh = gy * g[j];
      m1 += dxh;
      m2 += dxh * xh;
    }
    m1 /= C;
    m2 /= C;
    for (let j = 0; j < C; j++) dx[o + j] = rstd * (gs[o + j] * g[j] - m1 - xhat[j] * m2);
  }
  f32(dgT).set(dg);
  f32(dbT).set(db);
  return [dxT, dgT, dbT];
}

// ---- attention softmax: softmax(scale * scores + causal bias) over the last axis ------------
function attnSoftmaxFwd(args: Args): tf.TensorInfo {
  const { backend, f32 } = ctx(args);
  const { scores } = args.inputs as { scores: tf.TensorInfo };
  const { scale, causal } = args.attrs as unknown as { scale: number; causal: boolean };
  const out = backend.makeOutput(scores.shape, 'float32');
  const xs = f32(scores);
  const ps = f32(out);
  const r = scores.shape.length;
  const T = scores.shape[r - 2];
  const S = scores.shape[r - 1];
  const offset = S - T;
  const rows = T * S === 0 ? 0 : xs.length / S;
  for (let row = 0; row < rows; row++) {
    const o = row * S;
    const t = row % T;
    // Keys s > t + offset carry the -1e9 bias of causalMaskBias; exp of them underflows to 0
    // unless the whole row is masked (S < T), where the composite form's values are kept.
    const last = causal ? Math.min(S - 1, t + offset) : S - 1;
    if (last < 0) {
      let mx = -Infinity;
      for (let s = 0; s < S; s++) mx = Math.max(mx, Math.fround(Math.fround(xs[o + s] * scale) - 1e9));
      let sum = 0;
      for (let s = 0; s < S; s++) sum += ps[o + s] = Math.exp(Math.fround(Math.fround(xs[o + s] * scale) - 1e9) - mx);
      for (let s = 0; s < S; s++) ps[o + s] /= sum;
      continue;
    }
    let mx = -Infinity;
    for (let s = 0; s <= last; s++) mx = Math.max(mx, xs[o + s] * scale);
    let sum = 0;
    for (let s = 0; s <= last; s++) {
      const e = Math.exp(xs[o + s] * scale - mx);
      ps[o + s] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let s = 0; s <= last; s++) ps[o + s] *= inv;
    for (let s = last + 1; s < S; s++) ps[o + s] = 0;
  }
  return out;
}
function attnSoftmaxBwd(args: Args): tf.TensorInfo {
  const { backend, f32 } = ctx(args);
  const { probs, dy } = args.inputs as { probs: tf.TensorInfo; dy: tf.TensorInfo };
  const { scale } = args.attrs as unknown as { scale: number };
  const out = backend.makeOutput(probs.shape, 'float32');
  const ps = f32(probs);
  const gs = f32(dy);
  const ds = f32(out);
  const S = probs.shape[probs.shape.length - 1];
  const rows = S === 0 ? 0 : ps.length / S;
  for (let row = 0; row < rows; row++) {
    const o = row * S;
    let dot = 0;
    for (let s = 0; s < S; s++) dot += ps[o + s] * gs[o + s];
    for (let s = 0; s < S; s++) ds[o + s] = scale * ps[o + s] * (gs[o + s] - dot);
  }
  return out;
}

// ---- mean softmax cross-entropy, targets < 0 ignored ---------------------------------------
function readTargets(backend: WasmBackendInternals, t: tf.TensorInfo): ArrayLike<number> {
  const buf = backend.wasm.asm.memory.buffer;
  if (t.dtype === 'int32') return new Int32Array(buf, offsetOf(backend, t), size(t.shape));
  if (t.dtype === 'float32') return new Float32Array(buf, offsetOf(backend, t), size(t.shape));
  throw new Error(`crossEntropy: targets dtype ${t.dtype} not supported`);
}
function crossEntropyFwd(args: Args): tf.TensorInfo {
  const { backend, f32 } = ctx(args);
  const { logits, targets } = args.inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo };
  const out = backend.makeOutput([], 'float32');
  const ls = f32(logits);
  const ts = readTargets(backend, targets);
  const [N, V] = logits.shape;
  let total = 0;
  let count = 0;
  for (let n = 0; n < N; n++) {
    if (!(ts[n] >= 0)) continue;
    const tgt = Math.trunc(ts[n]);
    const o = n * V;
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, ls[o + v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(ls[o + v] - mx);
    total += mx + Math.log(sum) - (tgt < V ? ls[o + tgt] : 0);
    count++;
  }
  f32(out)[0] = total / Math.max(count, 1);
  return out;
}
function crossEntropyBwd(args: Args): tf.TensorInfo {
  const { backend, f32 } = ctx(args);
  const { logits, targets, dy } = args.inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo; dy: tf.TensorInfo };
  const out = backend.makeOutput(logits.shape, 'float32');
  const ls = f32(logits);
  const ts = readTargets(backend, targets);
  const g = f32(dy)[0];
  const ds = f32(out);
  const [N, V] = logits.shape;
  let count = 0;
  for (let n = 0; n < N; n++) if (ts[n] >= 0) count++;
  const scale = g / Math.max(count, 1);
  for (let n = 0; n < N; n++) {
    const o = n * V;
    if (!(ts[n] >= 0)) {
      ds.fill(0, o, o + V);
      continue;
    }
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, ls[o + v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(ls[o + v] - mx);
    const inv = 1 / sum;
    for (let v = 0; v < V; v++) ds[o + v] = scale * Math.exp(ls[o + v] - mx) * inv;
    const tgt = Math.trunc(ts[n]);
    if (tgt < V) ds[o + tgt] -= scale;
  }
  return out;
}

// ---- linear: x [N, in] @ w [in, out] + b, bias folded into the sgemm's accumulator ----------
function makeLinearFwd(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo => {
    const { backend, f32 } = ctx(args);
    const { x, w, b } = args.inputs as { x: tf.TensorInfo; w: tf.TensorInfo; b: tf.TensorInfo };
    const [N, In] = x.shape;
    const Out = w.shape[1];
    const out = backend.makeOutput([N, Out], 'float32');
    if (N * Out === 0) return out;
    const ys = f32(out);
    const bs = f32(b);
    for (let n = 0; n < N; n++) ys.set(bs, n * Out);
    asm.exports.sgemm(1, N, Out, In, offsetOf(backend, x), In, 1, 0, offsetOf(backend, w), Out, 1, 0, offsetOf(backend, out), Out, 0, 1, asm.work);
    return out;
  };
}
/** Column sums of a [N, C] matrix (the bias gradient). */
function colSum(args: Args): tf.TensorInfo {
  const { backend, f32 } = ctx(args);
  const { x } = args.inputs as { x: tf.TensorInfo };
  const [N, C] = x.shape;
  const out = backend.makeOutput([C], 'float32');
  const xs = f32(x);
  const acc = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const o = n * C;
    for (let c = 0; c < C; c++) acc[c] += xs[o + c];
  }
  f32(out).set(acc);
  return out;
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object = {}) =>
  tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap);

let gradientsRegistered = false;
function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: K.gelu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => run(K.geluGrad, { x: saved[0], dy: dy as tf.Tensor }) as tf.Tensor }),
  });
  tf.registerGradient({
    kernelName: K.layerNorm,
    inputsToSave: ['x', 'gamma'],
    gradFunc: (dy, saved, attrs) => {
      // One kernel gives all three gradients; run it here (inside the backward pass's scope)
      // rather than in a closure, whose own tidy would dispose the parts it does not return.
      const [dx, dgamma, dbeta] = run(K.layerNormGrad, { x: saved[0], gamma: saved[1], dy: dy as tf.Tensor }, attrs) as unknown as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
  tf.registerGradient({
    kernelName: K.attnSoftmax,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => ({ scores: () => run(K.attnSoftmaxGrad, { probs: saved[0], dy: dy as tf.Tensor }, attrs) as tf.Tensor }),
  });
  tf.registerGradient({
    kernelName: K.crossEntropy,
    inputsToSave: ['logits', 'targets'],
    gradFunc: (dy, saved) => ({
      logits: () => run(K.crossEntropyGrad, { logits: saved[0], targets: saved[1], dy: dy as tf.Tensor }) as tf.Tensor,
      targets: () => tf.zerosLike(saved[1]),
    }),
  });
  tf.registerGradient({
    kernelName: K.linear,
    inputsToSave: ['x', 'w'],
    gradFunc: (dy, saved) => {
      const g = dy as tf.Tensor2D;
      return {
        x: () => tf.matMul(g, saved[1], false, true),
        w: () => tf.matMul(saved[0], g, true, false),
        b: () => run(K.colSum, { x: g }) as tf.Tensor,
      };
    },
  });
}

export function registerFusedKernels(asm: AsmInstance): string[] {
  const kernels: Array<[string, tf.KernelFunc]> = [
    [K.gelu, makeGeluFwd(asm) as tf.KernelFunc],
    [K.geluGrad, makeGeluBwd(asm) as tf.KernelFunc],
    [K.layerNorm, layerNormFwd as tf.KernelFunc],
    [K.layerNormGrad, layerNormBwd as unknown as tf.KernelFunc],
    [K.attnSoftmax, attnSoftmaxFwd as tf.KernelFunc],
    [K.attnSoftmaxGrad, attnSoftmaxBwd as tf.KernelFunc],
    [K.crossEntropy, crossEntropyFwd as tf.KernelFunc],
    [K.crossEntropyGrad, crossEntropyBwd as tf.KernelFunc],
    [K.linear, makeLinearFwd(asm) as tf.KernelFunc],
    [K.colSum, colSum as tf.KernelFunc],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
  registerGradients();
  return kernels.map(([n]) => n);
}

/** True when ops.ts may use the fused kernels: wasm is active and they are registered. */
export function fusedActive(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(K.gelu, 'wasm') !== undefined;
}
export function runFused(name: string, inputs: tf.NamedTensorMap, attrs: object = {}): tf.Tensor {
  return run(name, inputs, attrs) as tf.Tensor;
}
