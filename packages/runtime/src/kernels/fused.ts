/**
 * Fused kernels behind ops.ts on tfjs-wasm: each is one pass over heap views instead of a
 * chain of tfjs element-wise ops (each allocating and sweeping the whole tensor). Forward
 * and backward are separate kernels; gradients are registered with tf.registerGradient so
 * tf.grads / variableGrads see ordinary ops. Values match ops.ts's composite forms within
 * float32 tolerance. The row-wise work runs in AssemblyScript SIMD (asm/kernels.ts); sums over
 * rows (dgamma, dbeta, colSum, the loss) accumulate in float64.
 */
import * as tf from '@tensorflow/tfjs';
import type { AsmInstance } from './asm-module.js';
import { RMS, registerRmsNormGradient, rmsNormKernels } from './rms-norm.js';
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
  colSum: 'PretrainLabColSum',
  adamw: 'PretrainLabAdamW',
  sumSquares: 'PretrainLabSumSquares',
  rmsNorm: RMS.fwd,
} as const;

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

type Args = Parameters<tf.KernelFunc>[0];
function ctx(args: Args) {
  const backend = args.backend as WasmBackendInternals;
  const f32 = (t: tf.TensorInfo) =>
    new Float32Array(backend.wasm.asm.memory.buffer, offsetOf(backend, t), size(t.shape));
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
    asm.exports.geluBwd(
      offsetOf(backend, x),
      offsetOf(backend, dy),
      offsetOf(backend, out),
      size(x.shape),
      asm.work,
    );
    return out;
  };
}

/** Scratch of `bytes` on the heap: the sgemm work area when it is big enough, else a malloc the caller frees. */
function withScratch<T>(
  asm: AsmInstance,
  backend: WasmBackendInternals,
  bytes: number,
  f: (p: number) => T,
): T {
  if (bytes <= asm.workBytes) return f(asm.work);
  const raw = backend.wasm._malloc(bytes + 16) >>> 0;
  try {
    return f((raw + 15) & ~15);
  } finally {
    backend.wasm._free(raw);
  }
}

// ---- LayerNorm over the last axis (asm: layerNormFwd / layerNormBwd) ------------------------
function makeLayerNormFwd(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo => {
    const backend = args.backend as WasmBackendInternals;
    const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
    const { eps } = args.attrs as unknown as { eps: number };
    const out = backend.makeOutput(x.shape, 'float32');
    const C = x.shape[x.shape.length - 1];
    const rows = C === 0 ? 0 : size(x.shape) / C;
    if (rows > 0)
      asm.exports.layerNormFwd(
        offsetOf(backend, x),
        offsetOf(backend, gamma),
        offsetOf(backend, beta),
        offsetOf(backend, out),
        rows,
        C,
        eps,
        asm.work,
      );
    return out;
  };
}
function makeLayerNormBwd(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo[] => {
    const backend = args.backend as WasmBackendInternals;
    const { x, gamma, dy } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; dy: tf.TensorInfo };
    const { eps } = args.attrs as unknown as { eps: number };
    const C = x.shape[x.shape.length - 1];
    const dxT = backend.makeOutput(x.shape, 'float32');
    const dgT = backend.makeOutput([C], 'float32');
    const dbT = backend.makeOutput([C], 'float32');
    const rows = C === 0 ? 0 : size(x.shape) / C;
    withScratch(asm, backend, 16 * C + 16, (work) =>
      asm.exports.layerNormBwd(
        offsetOf(backend, x),
        offsetOf(backend, gamma),
        offsetOf(backend, dy),
        offsetOf(backend, dxT),
        offsetOf(backend, dgT),
        offsetOf(backend, dbT),
        rows,
        C,
        eps,
        work,
      ),
    );
    return [dxT, dgT, dbT];
  };
}

// ---- attention softmax: softmax(scale * scores + causal bias) over the last axis ------------
function makeAttnSoftmaxFwd(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo => {
    const backend = args.backend as WasmBackendInternals;
    const { scores } = args.inputs as { scores: tf.TensorInfo };
    const { scale, causal } = args.attrs as unknown as { scale: number; causal: boolean };
    const out = backend.makeOutput(scores.shape, 'float32');
    const r = scores.shape.length;
    const T = scores.shape[r - 2];
    const S = scores.shape[r - 1];
    const rows = T * S === 0 ? 0 : size(scores.shape) / S;
    if (rows > 0)
      asm.exports.attnSoftmaxFwd(
        offsetOf(backend, scores),
        offsetOf(backend, out),
        rows,
        T,
        S,
        scale,
        causal ? 1 : 0,
      );
    return out;
  };
}
function makeAttnSoftmaxBwd(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo => {
    const backend = args.backend as WasmBackendInternals;
    const { probs, dy } = args.inputs as { probs: tf.TensorInfo; dy: tf.TensorInfo };
    const { scale, causal } = args.attrs as unknown as { scale: number; causal: boolean };
    const out = backend.makeOutput(probs.shape, 'float32');
    const r = probs.shape.length;
    const T = probs.shape[r - 2];
    const S = probs.shape[r - 1];
    const rows = T * S === 0 ? 0 : size(probs.shape) / S;
    if (rows > 0)
      asm.exports.attnSoftmaxBwd(
        offsetOf(backend, probs),
        offsetOf(backend, dy),
        offsetOf(backend, out),
        rows,
        T,
        S,
        scale,
        causal ? 1 : 0,
      );
    return out;
  };
}

// ---- mean softmax cross-entropy, targets < 0 ignored (asm: crossEntropyFwd / Bwd) -----------
function targetsIsInt(t: tf.TensorInfo): number {
  if (t.dtype === 'int32') return 1;
  if (t.dtype === 'float32') return 0;
  throw new Error(`crossEntropy: targets dtype ${t.dtype} not supported`);
}
function makeCrossEntropyFwd(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo => {
    const { backend, f32 } = ctx(args);
    const { logits, targets } = args.inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo };
    const isInt = targetsIsInt(targets);
    const out = backend.makeOutput([], 'float32');
    const [N, V] = logits.shape;
    const loss = asm.exports.crossEntropyFwd(
      offsetOf(backend, logits),
      offsetOf(backend, targets),
      isInt,
      N,
      V,
      asm.work,
    );
    f32(out)[0] = loss;
    return out;
  };
}
function makeCrossEntropyBwd(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo => {
    const { backend, f32 } = ctx(args);
    const { logits, targets, dy } = args.inputs as {
      logits: tf.TensorInfo;
      targets: tf.TensorInfo;
      dy: tf.TensorInfo;
    };
    const isInt = targetsIsInt(targets);
    const out = backend.makeOutput(logits.shape, 'float32');
    const [N, V] = logits.shape;
    const g = f32(dy)[0];
    asm.exports.crossEntropyBwd(
      offsetOf(backend, logits),
      offsetOf(backend, targets),
      isInt,
      N,
      V,
      g,
      offsetOf(backend, out),
      asm.work,
    );
    return out;
  };
}

/** Column sums of a [N, C] matrix (the bias gradient). */
function makeColSum(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo => {
    const backend = args.backend as WasmBackendInternals;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const [N, C] = x.shape;
    const out = backend.makeOutput([C], 'float32');
    if (C > 0)
      withScratch(asm, backend, 8 * C, (work) =>
        asm.exports.colSum(offsetOf(backend, x), offsetOf(backend, out), N, C, work),
      );
    return out;
  };
}

// ---- optimizer: one AdamW step for one parameter; sum of squares over many tensors ----------
function makeAdamW(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo[] => {
    const backend = args.backend as WasmBackendInternals;
    const { p, m, v, g, clip } = args.inputs as {
      p: tf.TensorInfo;
      m: tf.TensorInfo;
      v: tf.TensorInfo;
      g: tf.TensorInfo;
      clip?: tf.TensorInfo;
    };
    const a = args.attrs as unknown as {
      lr: number;
      beta1: number;
      beta2: number;
      eps: number;
      weightDecay: number;
      bc1: number;
      bc2Sqrt: number;
    };
    const n = size(p.shape);
    const pOut = backend.makeOutput(p.shape, 'float32');
    const mOut = backend.makeOutput(p.shape, 'float32');
    const vOut = backend.makeOutput(p.shape, 'float32');
    if (n > 0) {
      adamwOne(
        asm,
        [p, m, v, g, pOut, mOut, vOut].map((t) => offsetOf(backend, t)) as AdamWPtrs,
        clip ? offsetOf(backend, clip) : 0,
        n,
        a,
        a.weightDecay,
      );
    }
    return [pOut, mOut, vOut];
  };
}
function makeSumSquares(asm: AsmInstance) {
  return (args: Args): tf.TensorInfo => {
    const { backend, f32 } = ctx(args);
    const xs = args.inputs as unknown as tf.TensorInfo[];
    const out = backend.makeOutput([], 'float32');
    let total = 0;
    for (const x of xs) total += asm.exports.sumSquares(offsetOf(backend, x), size(x.shape));
    f32(out)[0] = total;
    return out;
  };
}

/** Heap offsets of p, m, v, g and the three outputs of one AdamW update. */
export type AdamWPtrs = [number, number, number, number, number, number, number];

/**
 * One AdamW update of n floats on the heap (asm/kernels.ts `adamw`), with the clip coefficient
 * read from the f32 at clipPtr (0: no clipping). Shared by the per-parameter and the
 * all-parameter kernels, so both apply the same formula in the same order.
 */
export function adamwOne(
  asm: AsmInstance,
  [p, m, v, g, pOut, mOut, vOut]: AdamWPtrs,
  clipPtr: number,
  n: number,
  h: { lr: number; beta1: number; beta2: number; eps: number; bc1: number; bc2Sqrt: number },
  weightDecay: number,
): void {
  asm.exports.adamw(
    p,
    m,
    v,
    g,
    clipPtr,
    clipPtr ? 1 : 0,
    pOut,
    mOut,
    vOut,
    n,
    1 - h.lr * weightDecay,
    weightDecay > 0 ? 1 : 0,
    h.beta1,
    1 - h.beta1,
    h.beta2,
    1 - h.beta2,
    h.bc2Sqrt,
    h.eps,
    h.lr / h.bc1,
  );
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object = {}) =>
  tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap);

let gradientsRegistered = false;
function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  registerRmsNormGradient();
  tf.registerGradient({
    kernelName: K.gelu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({
      x: () => run(K.geluGrad, { x: saved[0], dy: dy as tf.Tensor }) as tf.Tensor,
    }),
  });
  tf.registerGradient({
    kernelName: K.layerNorm,
    inputsToSave: ['x', 'gamma'],
    gradFunc: (dy, saved, attrs) => {
      // One kernel gives all three gradients; run it here (inside the backward pass's scope)
      // rather than in a closure, whose own tidy would dispose the parts it does not return.
      const [dx, dgamma, dbeta] = run(
        K.layerNormGrad,
        { x: saved[0], gamma: saved[1], dy: dy as tf.Tensor },
        attrs,
      ) as unknown as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
  tf.registerGradient({
    kernelName: K.attnSoftmax,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => ({
      scores: () => run(K.attnSoftmaxGrad, { probs: saved[0], dy: dy as tf.Tensor }, attrs) as tf.Tensor,
    }),
  });
  tf.registerGradient({
    kernelName: K.crossEntropy,
    inputsToSave: ['logits', 'targets'],
    gradFunc: (dy, saved) => ({
      logits: () =>
        run(K.crossEntropyGrad, { logits: saved[0], targets: saved[1], dy: dy as tf.Tensor }) as tf.Tensor,
      targets: () => tf.zerosLike(saved[1]),
    }),
  });
}

export function registerFusedKernels(asm: AsmInstance): string[] {
  const kernels: Array<[string, tf.KernelFunc]> = [
    [K.gelu, makeGeluFwd(asm) as tf.KernelFunc],
    [K.geluGrad, makeGeluBwd(asm) as tf.KernelFunc],
    [K.layerNorm, makeLayerNormFwd(asm) as tf.KernelFunc],
    [K.layerNormGrad, makeLayerNormBwd(asm) as unknown as tf.KernelFunc],
    [K.attnSoftmax, makeAttnSoftmaxFwd(asm) as tf.KernelFunc],
    [K.attnSoftmaxGrad, makeAttnSoftmaxBwd(asm) as tf.KernelFunc],
    [K.crossEntropy, makeCrossEntropyFwd(asm) as tf.KernelFunc],
    [K.crossEntropyGrad, makeCrossEntropyBwd(asm) as tf.KernelFunc],
    [K.colSum, makeColSum(asm) as tf.KernelFunc],
    [K.adamw, makeAdamW(asm) as unknown as tf.KernelFunc],
    [K.sumSquares, makeSumSquares(asm) as tf.KernelFunc],
    ...rmsNormKernels(asm),
  ];
  registerOnWasm(kernels);
  registerGradients();
  return kernels.map(([n]) => n);
}

/** (Re)registers kernels on the wasm backend, replacing any earlier registration of the same name. */
export function registerOnWasm(kernels: Array<[string, tf.KernelFunc]>): void {
  for (const [kernelName, kernelFunc] of kernels) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}

/** True when ops.ts may use the fused kernels: wasm is active and they are registered. */
export function fusedActive(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(K.gelu, 'wasm') !== undefined;
}
export function runFused(name: string, inputs: tf.NamedTensorMap, attrs: object = {}): tf.Tensor {
  return run(name, inputs, attrs) as tf.Tensor;
}
