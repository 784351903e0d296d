/**
 * Data-movement kernels for tfjs-wasm whose stock versions copy too much or go element by
 * element: Identity (zero-copy, as tfjs's cpu backend does), GatherV2 (row copies) and
 * SplitV (one contiguous copy per outer row instead of a full strided slice per output).
 */
import * as tf from '@tensorflow/tfjs';
import { offsetOf, type WasmBackendInternals } from './wasm-internals.js';

const prod = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const bytesPer = (dtype: tf.DataType): number => (dtype === 'bool' ? 1 : 4);

/** Identity shares the input's buffer (refcounted), like tfjs's cpu backend; tfjs never writes tensors in place. */
export function makeIdentity(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return stock(args);
    (args.backend as WasmBackendInternals).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

export function makeGatherV2(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendInternals;
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    if (x.dtype === 'string' || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0) return stock(args);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const outer = prod(x.shape.slice(0, ax));
    const dim = x.shape[ax];
    const innerBytes = prod(x.shape.slice(ax + 1)) * bytesPer(x.dtype);
    const n = prod(indices.shape);
    const out = backend.makeOutput([...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)], x.dtype);
    const buf = backend.wasm.asm.memory.buffer;
    const heap = new Uint8Array(buf);
    const ids = new Int32Array(buf, offsetOf(backend, indices), n);
    const xo = offsetOf(backend, x);
    const oo = offsetOf(backend, out);
    for (let i = 0; i < n; i++) {
      if (ids[i] < 0 || ids[i] >= dim) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${ids[i]} is not in [0, ${dim - 1}]`);
      }
    }
    for (let o = 0; o < outer; o++) {
      const src = xo + o * dim * innerBytes;
      const dst = oo + o * n * innerBytes;
      for (let i = 0; i < n; i++) heap.copyWithin(dst + i * innerBytes, src + ids[i] * innerBytes, src + (ids[i] + 1) * innerBytes);
    }
    return out;
  };
}

export function makeSplitV(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendInternals;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    if (x.dtype === 'string') return stock(args);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax);
    const outer = prod(x.shape.slice(0, ax));
    const unit = prod(x.shape.slice(ax + 1)) * bytesPer(x.dtype); // bytes per index along axis
    const rowBytes = x.shape[ax] * unit;
    const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, i) => (i === ax ? s : d)), x.dtype));
    const heap = new Uint8Array(backend.wasm.asm.memory.buffer);
    const xo = offsetOf(backend, x);
    let start = 0;
    for (let k = 0; k < sizes.length; k++) {
      const chunk = sizes[k] * unit;
      const oo = offsetOf(backend, outs[k]);
      if (outer === 1) heap.copyWithin(oo, xo + start, xo + start + chunk);
      else for (let o = 0; o < outer; o++) heap.copyWithin(oo + o * chunk, xo + o * rowBytes + start, xo + o * rowBytes + start + chunk);
      start += chunk;
    }
    return outs;
  };
}
