/**
 * T5's RMS norm as one fused kernel and one backward kernel (ops.rmsNorm): y = x * r * w with
 * r = 1 / sqrt(mean(x^2) + eps) over the last axis. The composite form is six tfjs ops forward
 * and about a dozen backward; a T5 step has 4 norms per decoder block and 3 per encoder block
 * (with the final norms), so this removes about 200 of a small T5 step's 580 kernel calls.
 * The native set runs it in C++ (rmsNormFwd/Bwd in packages/native/src/body.inl); the other
 * wasm sets run the same formulas here in JS over heap views. dw is summed in float64.
 */
import * as tf from '@tensorflow/tfjs';
import type { AsmInstance } from './asm-module.js';
import { offsetOf, type WasmBackendInternals } from './wasm-internals.js';

export const RMS = { fwd: 'PretrainLabRMSNorm', bwd: 'PretrainLabRMSNormGrad' } as const;

type Args = Parameters<tf.KernelFunc>[0];
type TI = tf.TensorInfo;
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function views(backend: WasmBackendInternals, ...ts: TI[]): Float32Array[] {
  const buf = backend.wasm.asm.memory.buffer;
  return ts.map((t) => new Float32Array(buf, offsetOf(backend, t), size(t.shape)));
}

function rowR(x: Float32Array, o: number, C: number, eps: number): number {
  let s = 0;
  for (let j = 0; j < C; j++) s += x[o + j] * x[o + j];
  return 1 / Math.sqrt(s / C + eps);
}

function rmsFwd(asm: AsmInstance) {
  return (args: Args): TI => {
    const backend = args.backend as WasmBackendInternals;
    const { x, w } = args.inputs as { x: TI; w: TI };
    const { eps } = args.attrs as unknown as { eps: number };
    const y = backend.makeOutput(x.shape, 'float32');
    const C = x.shape[x.shape.length - 1];
    const rows = C === 0 ? 0 : size(x.shape) / C;
    if (rows === 0) return y;
    if (asm.exports.rmsNormFwd) {
      asm.exports.rmsNormFwd(offsetOf(backend, x), offsetOf(backend, w), offsetOf(backend, y), rows, C, eps);
      return y;
    }
    const [xs, ws, ys] = views(backend, x, w, y);
    for (let r = 0, o = 0; r < rows; r++, o += C) {
      const rr = rowR(xs, o, C, eps);
      for (let j = 0; j < C; j++) ys[o + j] = xs[o + j] * rr * ws[j];
    }
    return y;
  };
}

function rmsBwd(asm: AsmInstance) {
  return (args: Args): TI[] => {
    const backend = args.backend as WasmBackendInternals;
    const { x, w, dy } = args.inputs as { x: TI; w: TI; dy: TI };
    const { eps } = args.attrs as unknown as { eps: number };
    const C = x.shape[x.shape.length - 1];
    const dx = backend.makeOutput(x.shape, 'float32');
    const dw = backend.makeOutput([C], 'float32');
    const rows = C === 0 ? 0 : size(x.shape) / C;
    if (asm.exports.rmsNormBwd) {
      const o = (t: TI) => offsetOf(backend, t);
      asm.exports.rmsNormBwd(o(x), o(w), o(dy), o(dx), o(dw), rows, C, eps);
      return [dx, dw];
    }
    const [xs, ws, gs, dxs, dws] = views(backend, x, w, dy, dx, dw);
    const acc = new Float64Array(C);
    for (let r = 0, o = 0; r < rows; r++, o += C) {
      const rr = rowR(xs, o, C, eps);
      let m = 0;
      for (let j = 0; j < C; j++) {
        const xh = xs[o + j] * rr;
        acc[j] += gs[o + j] * xh;
        m += gs[o + j] * ws[j] * xh;
      }
      m /= C;
      for (let j = 0; j < C; j++) dxs[o + j] = rr * (gs[o + j] * ws[j] - xs[o + j] * rr * m);
    }
    dws.set(acc);
    return [dx, dw];
  };
}

export function rmsNormKernels(asm: AsmInstance): Array<[string, tf.KernelFunc]> {
  return [
    [RMS.fwd, rmsFwd(asm) as tf.KernelFunc],
    [RMS.bwd, rmsBwd(asm) as unknown as tf.KernelFunc],
  ];
}

export function registerRmsNormGradient(): void {
  tf.registerGradient({
    kernelName: RMS.fwd,
    inputsToSave: ['x', 'w'],
    gradFunc: (dy, saved, attrs) => {
      const [dx, dw] = tf
        .engine()
        .runKernel(
          RMS.bwd,
          { x: saved[0], w: saved[1], dy: dy as tf.Tensor },
          attrs,
        ) as unknown as tf.Tensor[];
      return { x: () => dx, w: () => dw };
    },
  });
}
