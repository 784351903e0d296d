/**
 * Data-movement kernels for tfjs-wasm whose stock versions copy too much or go element by
 * element: Identity (zero-copy, as tfjs's cpu backend does), GatherV2 (row copies), SplitV and
 * Concat (one contiguous block copy per outer row, asm copyBlocks) and Transpose with the last
 * axis kept (attention's [B,T,H,D] <-> [B,H,T,D]: block copies of D floats).
 */
import * as tf from '@tensorflow/tfjs';
import type { AsmInstance } from './asm-module.js';
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

/** The engine internals `patchSaveForBackward` replaces and uses (tfjs-core 4.22.0's Engine). */
interface EngineInternals {
  backendName: string;
  backend: WasmBackendInternals;
  state: { activeScope: { name: string } };
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend: tf.KernelBackend): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
  addTapeNode(
    scopeName: string,
    inputs: Record<string, tf.Tensor>,
    outputs: tf.Tensor[],
    gradientsFunc: (dy: tf.Tensor) => Record<string, () => tf.Tensor>,
    saved: tf.Tensor[],
    attrs: Record<string, unknown>,
  ): void;
}

let saveForBackwardPatched = false;

/**
 * tfjs saves each tensor a gradient needs by `engine.clone`, which dispatches an Identity
 * kernel through the whole engine (about a third of a small model's kernel calls, ~20 us each).
 * On the wasm backend, where Identity is the refcount above, this does the same without the
 * dispatch: the same shared buffer, a kept tensor, and clone's tape node (the gradient passes
 * dy through as float32), so higher-order gradients see the same graph. Other backends are left
 * to tfjs. Idempotent.
 */
export function patchSaveForBackward(): void {
  if (saveForBackwardPatched) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.saveTensorsForBackwardMode;
  if (typeof original !== 'function' || typeof engine.addTapeNode !== 'function')
    throw new Error('tfjs engine internals changed: saveTensorsForBackwardMode / addTapeNode missing');
  engine.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]) {
    if (this.backendName !== 'wasm') return original.call(this, tensors);
    return tensors.map((x) => {
      if (x.dtype === 'string') return original.call(this, [x])[0];
      this.backend.incRef(x.dataId);
      const y = this.makeTensorFromTensorInfo(
        { dataId: x.dataId, shape: x.shape, dtype: x.dtype },
        this.backend,
      );
      const grad = (dy: tf.Tensor) => ({ x: () => tf.cast(dy, 'float32') });
      this.addTapeNode(this.state.activeScope.name, { x }, [y], grad, [], {});
      return this.keep(y);
    });
  };
  saveForBackwardPatched = true;
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
    const out = backend.makeOutput(
      [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)],
      x.dtype,
    );
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
      for (let i = 0; i < n; i++)
        heap.copyWithin(dst + i * innerBytes, src + ids[i] * innerBytes, src + (ids[i] + 1) * innerBytes);
    }
    return out;
  };
}

export function makeSplitV(asm: AsmInstance) {
  return (stock: tf.KernelFunc): tf.KernelFunc =>
    (args) => {
      const backend = args.backend as WasmBackendInternals;
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { numOrSizeSplits, axis } = args.attrs as unknown as {
        numOrSizeSplits: number | number[];
        axis: number;
      };
      if (x.dtype === 'string') return stock(args);
      const ax = tf.util.parseAxisParam(axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax);
      const outer = prod(x.shape.slice(0, ax));
      const unit = prod(x.shape.slice(ax + 1)) * bytesPer(x.dtype); // bytes per index along axis
      const rowBytes = x.shape[ax] * unit;
      const outs = sizes.map((s) =>
        backend.makeOutput(
          x.shape.map((d, i) => (i === ax ? s : d)),
          x.dtype,
        ),
      );
      const xo = offsetOf(backend, x);
      let start = 0;
      for (let k = 0; k < sizes.length; k++) {
        const chunk = sizes[k] * unit;
        if (chunk > 0 && outer > 0)
          asm.exports.copyBlocks(
            xo + start,
            offsetOf(backend, outs[k]),
            1,
            outer,
            chunk,
            0,
            rowBytes,
            0,
            chunk,
          );
        start += chunk;
      }
      return outs;
    };
}

/** Concat of same-dtype inputs: per input, one block copy per outer row. */
export function makeConcat(asm: AsmInstance) {
  return (stock: tf.KernelFunc): tf.KernelFunc =>
    (args) => {
      const backend = args.backend as WasmBackendInternals;
      const inputs = args.inputs as unknown as tf.TensorInfo[];
      const { axis } = args.attrs as unknown as { axis: number };
      if (inputs.length === 0) return stock(args);
      const dtype = inputs[0].dtype;
      if (dtype === 'string' || dtype === 'complex64' || inputs.some((t) => t.dtype !== dtype))
        return stock(args);
      const ax = tf.util.parseAxisParam(axis, inputs[0].shape)[0];
      const outShape = tf.backend_util.computeOutShape(
        inputs.map((t) => t.shape),
        ax,
      );
      const out = backend.makeOutput(outShape, dtype);
      const outer = prod(outShape.slice(0, ax));
      const unit = prod(outShape.slice(ax + 1)) * bytesPer(dtype);
      const rowBytes = outShape[ax] * unit;
      const oo = offsetOf(backend, out);
      let start = 0;
      for (const t of inputs) {
        const chunk = t.shape[ax] * unit;
        if (chunk > 0 && outer > 0)
          asm.exports.copyBlocks(offsetOf(backend, t), oo + start, 1, outer, chunk, 0, chunk, 0, rowBytes);
        start += chunk;
      }
      return out;
    };
}

/** Transpose with the last axis in place and one pair of axes swapped around it, e.g. [0, 2, 1, 3]. */
export function makeTranspose(asm: AsmInstance) {
  return (stock: tf.KernelFunc): tf.KernelFunc =>
    (args) => {
      const backend = args.backend as WasmBackendInternals;
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { perm } = args.attrs as unknown as { perm: number[] };
      const r = x.shape.length;
      if (x.dtype === 'string' || x.dtype === 'complex64' || r < 3 || perm[r - 1] !== r - 1)
        return stock(args);
      // Find perm = [0..p-1, p+1, p, p+2..] : swap of axes p, p+1 with everything else fixed.
      let p = -1;
      for (let i = 0; i < r - 1; i++) {
        if (perm[i] === i) continue;
        if (p === -1 && perm[i] === i + 1 && perm[i + 1] === i) {
          p = i;
          i++;
          continue;
        }
        return stock(args);
      }
      if (p === -1 || p + 1 >= r - 1) return stock(args);
      const outShape = perm.map((i) => x.shape[i]);
      const out = backend.makeOutput(outShape, x.dtype);
      const outer = prod(x.shape.slice(0, p));
      const B = x.shape[p];
      const C = x.shape[p + 1];
      const blk = prod(x.shape.slice(p + 2)) * bytesPer(x.dtype); // bytes kept together
      if (outer * B * C * blk === 0) return out;
      const xo = offsetOf(backend, x);
      const oo = offsetOf(backend, out);
      // x [outer, B, C, blk] -> y [outer, C, B, blk]
      for (let o = 0; o < outer; o++) {
        const base = o * B * C * blk;
        asm.exports.copyBlocks(xo + base, oo + base, C, B, blk, blk, C * blk, B * blk, blk);
      }
      return out;
    };
}
