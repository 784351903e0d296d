/**
 * The few tfjs-backend-wasm internals our kernels read, in one place. PINNED to
 * @tensorflow/tfjs-backend-wasm 4.22.0 (see package.json): the backend object has
 *   - `wasm`: the Emscripten module, with `asm.memory` (its WebAssembly.Memory, exported),
 *     `_malloc` / `_free`;
 *   - `dataIdMap.get(dataId)` -> `{ memoryOffset }`: byte offset of a tensor's data in that memory;
 *   - `makeOutput(shape, dtype)`: allocates an output tensor on the wasm heap.
 * `assertWasmInternals` checks all of it and throws a loud, specific error if a tfjs upgrade
 * changed any of it; wasm-internals.test.ts runs it, so an upgrade fails the suite first.
 */
import * as tf from '@tensorflow/tfjs';

export const PINNED_TFJS_VERSION = '4.22.0';

export interface WasmBackendInternals extends tf.KernelBackend {
  wasm: {
    asm: { memory: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number; shape: number[]; dtype: string } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

export function assertWasmInternals(backend: tf.KernelBackend): asserts backend is WasmBackendInternals {
  const b = backend as Partial<WasmBackendInternals>;
  const problems: string[] = [];
  if (!b.wasm) problems.push('backend.wasm missing');
  else {
    if (!(b.wasm.asm?.memory instanceof WebAssembly.Memory))
      problems.push('backend.wasm.asm.memory is not a WebAssembly.Memory');
    if (typeof b.wasm._malloc !== 'function') problems.push('backend.wasm._malloc missing');
    if (typeof b.wasm._free !== 'function') problems.push('backend.wasm._free missing');
  }
  if (typeof b.dataIdMap?.get !== 'function') problems.push('backend.dataIdMap.get missing');
  if (typeof b.makeOutput !== 'function') problems.push('backend.makeOutput missing');
  if (problems.length === 0) {
    // A tensor's memoryOffset must point at its data.
    const t = tf.tensor1d([1.5, -2.25, 3.125], 'float32');
    try {
      const entry = (b as WasmBackendInternals).dataIdMap.get(t.dataId);
      const off = entry?.memoryOffset;
      if (typeof off !== 'number') problems.push('dataIdMap entry has no numeric memoryOffset');
      else {
        const view = new Float32Array((b as WasmBackendInternals).wasm.asm.memory.buffer, off, 3);
        if (view[0] !== 1.5 || view[1] !== -2.25 || view[2] !== 3.125)
          problems.push('memoryOffset does not point at tensor data');
      }
    } finally {
      t.dispose();
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `pretrain-lab wasm kernels: tfjs-backend-wasm internals changed (tfjs ${tf.version.tfjs}, kernels pinned to ${PINNED_TFJS_VERSION}): ` +
        `${problems.join('; ')}. Update packages/runtime/src/kernels/wasm-internals.ts or use --backend wasm-stock.`,
    );
  }
}

/** Byte offset of a tensor's data on the wasm heap. */
export function offsetOf(backend: WasmBackendInternals, t: tf.TensorInfo): number {
  const e = backend.dataIdMap.get(t.dataId);
  if (!e) throw new Error('tensor is not on the wasm backend');
  return e.memoryOffset;
}
