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
    batch: number,
    M: number,
    N: number,
    K: number,
    a: number,
    ars: number,
    acs: number,
    sa: number,
    b: number,
    brs: number,
    bcs: number,
    sb: number,
    c: number,
    ldc: number,
    sc: number,
    accumulate: number,
    work: number,
  ): void;
  geluFwd(x: number, y: number, n: number, work: number): void;
  geluBwd(x: number, dy: number, dx: number, n: number, work: number): void;
  layerNormFwd(
    x: number,
    gamma: number,
    beta: number,
    y: number,
    rows: number,
    C: number,
    eps: number,
    work: number,
  ): void;
  layerNormBwd(
    x: number,
    gamma: number,
    dy: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    C: number,
    eps: number,
    work: number,
  ): void;
  attnSoftmaxFwd(
    x: number,
    p: number,
    rows: number,
    T: number,
    S: number,
    scale: number,
    causal: number,
  ): void;
  attnSoftmaxBwd(
    p: number,
    dy: number,
    dx: number,
    rows: number,
    T: number,
    S: number,
    scale: number,
    causal: number,
  ): void;
  colSum(x: number, out: number, N: number, C: number, work: number): void;
  broadcastRows(b: number, y: number, N: number, C: number): void;
  adamw(
    p: number,
    m: number,
    v: number,
    g: number,
    clipPtr: number,
    hasClip: number,
    pOut: number,
    mOut: number,
    vOut: number,
    n: number,
    decayMul: number,
    hasDecay: number,
    b1: number,
    omb1: number,
    b2: number,
    omb2: number,
    bc2Sqrt: number,
    eps: number,
    stepSize: number,
  ): void;
  sumSquares(x: number, n: number): number;
  /**
   * Native set only (the wasm set folds bias and padding in first, see blocks.ts):
   * p = softmax(scale x + bias + causal and padding masks) over [B, H, T, S] rows.
   */
  attnSoftmaxMaskedFwd?(
    x: number,
    p: number,
    B: number,
    H: number,
    T: number,
    S: number,
    scale: number,
    causal: number,
    bias: number,
    biasBatched: number,
    pad: number,
  ): void;
  copyBlocks(
    src: number,
    dst: number,
    n1: number,
    n2: number,
    bytes: number,
    s1: number,
    s2: number,
    d1: number,
    d2: number,
  ): void;
  crossEntropyFwd(logits: number, targets: number, isInt: number, N: number, V: number, work: number): number;
  /**
   * Native set only: crossEntropyFwd's loss, and dx = crossEntropyBwd's gradient at g = 1 (dx may
   * be logits), each exp computed once.
   */
  crossEntropyGrad?(logits: number, targets: number, isInt: number, N: number, V: number, dx: number): number;
  /**
   * Native set only: the vocabulary head in one call (rows h [M, C], table [V, C], bias [V] or 0):
   * the mean cross-entropy of h @ table^T + bias against targets [M], and when dh != 0 its
   * gradient at dy = 1 into dh [M, C], dt [V, C] and db [V] (when bias), logits kept per chunk of
   * 256 rows in cache; bit for bit the unfused sgemm + crossEntropyGrad + sgemm + colSum path.
   */
  vocabCE?(
    h: number,
    table: number,
    bias: number,
    targets: number,
    isInt: number,
    M: number,
    V: number,
    C: number,
    dh: number,
    dt: number,
    db: number,
  ): number;
  /**
   * Native set only: T5's RMS norm over rows of C, y = x * w / sqrt(mean(x^2) + eps), and its
   * backward (dx, and dw summed over rows in float64 per fixed chunk of 32 rows, in chunk order).
   * Without them the fused RMSNorm kernel runs the same formulas in JS (fused.ts).
   */
  rmsNormFwd?(x: number, w: number, y: number, rows: number, C: number, eps: number): void;
  rmsNormBwd?(
    x: number,
    w: number,
    dy: number,
    dx: number,
    dw: number,
    rows: number,
    C: number,
    eps: number,
  ): void;
  /** Native set only: y = max(x, 0) and dx = x > 0 ? dy : 0 over n floats (else JS in blocks.ts). */
  reluFwd?(x: number, y: number, n: number): void;
  reluBwd?(x: number, dy: number, dx: number, n: number): void;
  crossEntropyBwd(
    logits: number,
    targets: number,
    isInt: number,
    N: number,
    V: number,
    g: number,
    dx: number,
    work: number,
  ): void;
}

/** Drops the last element of a tuple type. */
type DropLast<T extends unknown[]> = T extends [...infer Head, unknown] ? Head : never;

/** sgemm's arguments without the scratch pointer (see asm/kernels.ts). */
export type SgemmFn = (...args: DropLast<Parameters<AsmKernels['sgemm']>>) => void;

export interface AsmInstance {
  exports: AsmKernels;
  memory: WebAssembly.Memory;
  /** 'relaxed-simd' (fused multiply-add) or 'simd'. */
  variant: string;
  /** 16-byte-aligned scratch on the tfjs heap for sgemm packing (and row kernels). */
  work: number;
  workBytes: number;
  /** The compiled module (for worker threads). */
  module: WebAssembly.Module;
  /** C (=|+=) op(A) op(B) on the tfjs heap; split across threads when threads are running. */
  sgemm: SgemmFn;
}

let cached: { backend: object; inst: AsmInstance } | null = null;

function instantiate(
  b64: string,
  memory: WebAssembly.Memory,
): { exports: AsmKernels; module: WebAssembly.Module } {
  const module = new WebAssembly.Module(Buffer.from(b64, 'base64'));
  return {
    exports: new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as AsmKernels,
    module,
  };
}

export function loadAsm(backend: WasmBackendInternals): AsmInstance {
  if (cached && cached.backend === backend) return cached.inst;
  const memory = backend.wasm.asm.memory;
  let loaded: { exports: AsmKernels; module: WebAssembly.Module } | null = null;
  let variant = 'simd';
  if (process.env.PRETRAIN_LAB_RELAXED_SIMD !== '0') {
    try {
      // Node 20 (V8 11.3) keeps relaxed SIMD behind a flag; it must be set before compiling.
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      loaded = instantiate(WASM_RELAXED_SIMD_BASE64, memory);
      variant = 'relaxed-simd';
    } catch {
      loaded = null;
    }
  }
  if (!loaded) loaded = instantiate(WASM_SIMD_BASE64, memory);
  const { exports, module } = loaded;
  const bytes = exports.sgemmWorkBytes();
  const raw = backend.wasm._malloc(bytes + 16) >>> 0;
  const work = (raw + 15) & ~15;
  const sgemm: SgemmFn = (batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate) =>
    exports.sgemm(batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate, work);
  const inst: AsmInstance = { exports, memory, variant, work, workBytes: bytes, module, sgemm };
  cached = { backend, inst };
  return inst;
}
