/**
 * UnsortedSegmentSum for tfjs-wasm, which has none: it is the gradient of `gather`, so
 * without it embedding tables cannot be trained on wasm. Plain JS over heap views (one
 * pass over x; memory-bound, so SIMD would not help much).
 */
import type * as tf from '@tensorflow/tfjs';
import { offsetOf, type WasmBackendInternals } from './wasm-internals.js';

export function makeUnsortedSegmentSum(): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendInternals;
    const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = args.attrs as unknown as { numSegments: number };
    if (x.dtype !== 'float32' && x.dtype !== 'int32')
      throw new Error(`UnsortedSegmentSum: dtype ${x.dtype} not supported`);
    if (segmentIds.dtype !== 'int32') throw new Error('UnsortedSegmentSum: segmentIds must be int32');
    const idShape = segmentIds.shape;
    for (let i = 0; i < idShape.length; i++) {
      if (x.shape[i] !== idShape[i])
        throw new Error(
          `UnsortedSegmentSum: segmentIds shape ${idShape} is not a prefix of x shape ${x.shape}`,
        );
    }
    const inner = x.shape.slice(idShape.length);
    const rowLen = inner.reduce((p, q) => p * q, 1);
    const n = idShape.reduce((p, q) => p * q, 1);
    const out = backend.makeOutput([numSegments, ...inner], x.dtype);
    // Views after makeOutput: allocation may grow (and so detach) the heap buffer.
    const buf = backend.wasm.asm.memory.buffer;
    const Arr = x.dtype === 'float32' ? Float32Array : Int32Array;
    const xs = new Arr(buf, offsetOf(backend, x), n * rowLen);
    const ids = new Int32Array(buf, offsetOf(backend, segmentIds), n);
    const ys = new Arr(buf, offsetOf(backend, out), numSegments * rowLen);
    ys.fill(0);
    for (let i = 0; i < n; i++) {
      const s = ids[i];
      if (s < 0 || s >= numSegments) continue; // as TensorFlow: out-of-range ids are dropped
      const src = i * rowLen;
      const dst = s * rowLen;
      for (let j = 0; j < rowLen; j++) ys[dst + j] += xs[src + j];
    }
    return out;
  };
}
