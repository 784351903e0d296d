/**
 * Instantiates the AssemblyScript kernels (asm/kernels.ts, embedded as base64 in
 * wasm-binary.ts) on tfjs-backend-wasm's own memory, so they work on tensors in place.
 */
import v8 from 'node:v8';
import { WASM_RELAXED_SIMD_BASE64, WASM_SIMD_BASE64 } from './wasm-binary.js';
import type { WasmBackendInternals } from './wasm-internals.js';

export interface AsmKernels {
  sgemmWorkBytes(): number;
  sgemm(
    batch: number, M: number, N: number, K: number,
    a: number, ars: number, acs: number, sa: number,
    b: number, brs: number, bcs: number, sb: number,
    c: number, ldc: number, sc: number,
    accumulate: number, work: number,
  ): void;
  geluFwd(x: number, y: number, n: number, work: number): void;
  geluBwd(x: number, dy: number, dx: number, n: number, work: number): void;
}

export interface AsmInstance {
  exports: AsmKernels;
  memory: WebAssembly.Memory;
  /** 'relaxed-simd' (fused multiply-add) or 'simd'. */
  variant: string;
  /** 16-byte-aligned scratch on the tfjs heap for sgemm packing. */
  work: number;
}

let cached: { backend: object; inst: AsmInstance } | null = null;

function instantiate(b64: string, memory: WebAssembly.Memory): AsmKernels {
  const mod = new WebAssembly.Module(Buffer.from(b64, 'base64'));
  return new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as AsmKernels;
}

export function loadAsm(backend: WasmBackendInternals): AsmInstance {
  if (cached && cached.backend === backend) return cached.inst;
  const memory = backend.wasm.asm.memory;
  let exports: AsmKernels | null = null;
  let variant = 'simd';
  if (process.env.PRETRAIN_LAB_RELAXED_SIMD !== '0') {
    try {
      // Node 20 (V8 11.3) keeps relaxed SIMD behind a flag; it must be set before compiling.
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      exports = instantiate(WASM_RELAXED_SIMD_BASE64, memory);
      variant = 'relaxed-simd';
    } catch {
      exports = null;
    }
  }
  if (!exports) exports = instantiate(WASM_SIMD_BASE64, memory);
  const bytes = exports.sgemmWorkBytes();
  const raw = backend.wasm._malloc(bytes + 16) >>> 0;
  const work = (raw + 15) & ~15;
  const inst = { exports, memory, variant, work };
  cached = { backend, inst };
  return inst;
}
