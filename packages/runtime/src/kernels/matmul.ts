/**
 * BatchMatMul on tfjs-wasm through our SIMD sgemm: every transpose and batch variant takes
 * the same packed fast path (stock tfjs-wasm only sends plain 2-D products to XNNPACK and
 * runs the rest in a scalar loop). Works in place on the wasm heap.
 */
import * as tf from '@tensorflow/tfjs';
import type { AsmInstance } from './asm-module.js';
import { offsetOf, type WasmBackendInternals } from './wasm-internals.js';

const prod = (s: number[]): number => s.reduce((x, y) => x * y, 1);

/** C = op(A) op(B) on the heap; returns null when the shapes need the stock kernel. */
export function makeBatchMatMul(asm: AsmInstance, stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendInternals;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2)
      return stock(args);
    const ar = a.shape.length;
    const br = b.shape.length;
    const M = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
    const Ka = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
    const Kb = transposeB ? b.shape[br - 1] : b.shape[br - 2];
    const N = transposeB ? b.shape[br - 2] : b.shape[br - 1];
    if (Ka !== Kb) {
      throw new Error(
        `Error in matMul: inner shapes (${Ka}) and (${Kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
      );
    }
    const batchA = prod(a.shape.slice(0, -2));
    const batchB = prod(b.shape.slice(0, -2));
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return stock(args); // same limits as stock
    const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = backend.makeOutput([...outBatch, M, N], 'float32');
    const batch = Math.max(batchA, batchB);
    if (M * N === 0) return out;
    const K = Ka;
    asm.sgemm(
      batch,
      M,
      N,
      K,
      offsetOf(backend, a),
      transposeA ? 1 : K,
      transposeA ? M : 1,
      batchA === 1 ? 0 : M * K,
      offsetOf(backend, b),
      transposeB ? 1 : N,
      transposeB ? K : 1,
      batchB === 1 ? 0 : K * N,
      offsetOf(backend, out),
      N,
      M * N,
      0,
    );
    return out;
  };
}
