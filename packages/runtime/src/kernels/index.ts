/**
 * This project's kernels for tfjs-backend-wasm: a SIMD sgemm (AssemblyScript, asm/kernels.ts)
 * for every BatchMatMul variant, plus kernels stock tfjs-wasm lacks. Registered by
 * initBackend() through setWasmKernelInstaller (see backend.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { loadAsm } from './asm-module.js';
import { makeConcat, makeGatherV2, makeIdentity, makeSplitV, makeTranspose } from './data-movement.js';
import { registerFusedKernels } from './fused.js';
import { makeBatchMatMul } from './matmul.js';
import { makeUnsortedSegmentSum } from './segment.js';
import { startThreads } from './threads.js';
import { assertWasmInternals } from './wasm-internals.js';

let installed: { threads: number; notes: string[] } | null = null;
let installedOn: object | null = null;
const stockKernels = new Map<string, tf.KernelConfig>();

/** The stock kernel we replaced (for fallbacks and tests); undefined if none was replaced. */
export function stockKernel(name: string): tf.KernelConfig | undefined {
  return stockKernels.get(name);
}

function replace(kernelName: string, make: (stock: tf.KernelFunc) => tf.KernelFunc): void {
  const existing = tf.getKernel(kernelName, 'wasm');
  if (existing && !stockKernels.has(kernelName)) stockKernels.set(kernelName, existing);
  const stock =
    stockKernels.get(kernelName)?.kernelFunc ??
    (() => {
      throw new Error(`${kernelName}: no stock wasm kernel to fall back to`);
    });
  if (existing) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: make(stock) });
}

export async function installWasmKernels(): Promise<{ threads: number; notes: string[] }> {
  const backend = tf.findBackend('wasm');
  if (!backend) throw new Error('installWasmKernels: the wasm backend is not initialised');
  if (installed && installedOn === backend) return installed;
  assertWasmInternals(backend);
  const asm = loadAsm(backend);
  replace('BatchMatMul', (stock) => makeBatchMatMul(asm, stock));
  replace('UnsortedSegmentSum', () => makeUnsortedSegmentSum());
  replace('Identity', makeIdentity);
  replace('GatherV2', makeGatherV2);
  replace('SplitV', makeSplitV(asm));
  replace('Concat', makeConcat(asm));
  replace('Transpose', makeTranspose(asm));
  const fused = registerFusedKernels(asm);
  // A worker thread for the big matmuls (PRETRAIN_LAB_THREADS=1 disables; falls back to one).
  const threads = await startThreads(asm);
  installed = {
    threads: threads.threads,
    notes: [
      `wasm kernels: sgemm (${asm.variant}) for BatchMatMul; UnsortedSegmentSum, Identity, GatherV2, SplitV, Concat, Transpose; fused ${fused.length} (gelu, layerNorm, attention softmax, crossEntropy, linear, colSum; AssemblyScript SIMD)`,
      threads.note,
    ],
  };
  installedOn = backend;
  return installed;
}

/**
 * Registers only kernels stock tfjs-wasm lacks entirely (today: UnsortedSegmentSum, the
 * gradient of gather), replacing nothing. Useful for `wasm-stock` comparisons, which
 * otherwise cannot train an embedding at all.
 */
export function registerMissingWasmKernels(): void {
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: makeUnsortedSegmentSum(),
    });
  }
}

export function wasmKernelsInstalled(): boolean {
  return installed !== null;
}
