/**
 * This project's kernels for tfjs-backend-wasm, in two interchangeable kernel sets behind one
 * interface (AsmInstance): the native C++ addon (packages/native, AVX2/AVX-512 with its own
 * thread pool, native.ts) and the AssemblyScript SIMD module (asm/kernels.ts, always
 * available). Either provides the sgemm for every BatchMatMul variant, the row-wise fused
 * kernels (fused.ts), the block kernels (blocks.ts) and kernels stock tfjs-wasm lacks.
 * Registered by initBackend() through setWasmKernelInstaller (see backend.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { loadAsm } from './asm-module.js';
import {
  makeConcat,
  makeGatherV2,
  makeIdentity,
  makeSplitV,
  makeTranspose,
  patchSaveForBackward,
} from './data-movement.js';
import { registerFusedKernels } from './fused.js';
import { makeBatchMatMul } from './matmul.js';
import { loadNative, nativeStatus } from './native.js';
import { registerBlockKernels } from './register-blocks.js';
import { makeUnsortedSegmentSum } from './segment.js';
import { startThreads } from './threads.js';
import { assertWasmInternals } from './wasm-internals.js';

/** Which kernels run: 'native' (C++ addon) or 'wasm' (AssemblyScript). */
export type KernelSet = 'native' | 'wasm';
export interface KernelsInstalled {
  set: KernelSet;
  /** e.g. native-avx2, native-avx512, relaxed-simd, simd. */
  variant: string;
  threads: number;
  notes: string[];
}

let installed: KernelsInstalled | null = null;
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

/** Whether the native kernels can load here, and why not (for `--backend native` errors). */
export function nativeKernelsAvailable(): { ok: boolean; reason?: string } {
  const st = nativeStatus();
  return st.loaded ? { ok: true } : { ok: false, reason: st.reason };
}

export async function installWasmKernels(set: KernelSet = 'wasm'): Promise<KernelsInstalled> {
  const backend = tf.findBackend('wasm');
  if (!backend) throw new Error('installWasmKernels: the wasm backend is not initialised');
  if (installed && installedOn === backend && installed.set === set) return installed;
  assertWasmInternals(backend);
  const asm = set === 'native' ? loadNative(backend) : loadAsm(backend);
  if (!asm) throw new Error(`native kernels do not load here: ${nativeStatus().reason ?? 'unknown reason'}`);
  replace('BatchMatMul', (stock) => makeBatchMatMul(asm, stock));
  replace('UnsortedSegmentSum', () => makeUnsortedSegmentSum());
  replace('Identity', makeIdentity);
  patchSaveForBackward();
  replace('GatherV2', makeGatherV2);
  replace('SplitV', makeSplitV(asm));
  replace('Concat', makeConcat(asm));
  replace('Transpose', makeTranspose(asm));
  const fused = registerFusedKernels(asm);
  const stockOf = (name: string) => (stockKernels.get(name) ?? tf.getKernel(name, 'wasm')!).kernelFunc;
  const blocks = registerBlockKernels(asm, stockOf('Add'), stockOf('Multiply'));
  let threads: { threads: number; note: string };
  if (set === 'native') {
    const st = nativeStatus();
    threads = { threads: st.threads ?? 1, note: `native thread pool: ${st.threads ?? 1} threads` };
  } else {
    // A worker thread for the big matmuls (PRETRAIN_LAB_THREADS=1 disables; falls back to one).
    threads = await startThreads(asm);
  }
  installed = {
    set,
    variant: asm.variant,
    threads: threads.threads,
    notes: [
      `${set} kernels (${asm.variant}): sgemm for BatchMatMul; UnsortedSegmentSum, Identity, GatherV2, SplitV, Concat, Transpose; fused ${fused.length} row-wise and ${blocks.length} block kernels (attention core, linear+GELU, residual+LayerNorm, embedding, vocabulary cross-entropy, AdamW over all parameters)`,
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
