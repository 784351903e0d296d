/**
 * The native kernel set: the optional C++ addon @pretrain-lab/native (packages/native), with
 * the same kernels and argument lists as the AssemblyScript module (asm-module.ts: every pointer
 * is a byte offset into tfjs-wasm's heap) plus native-only ones (attnSoftmaxMasked*). It runs on
 * the heap in place, with AVX2/AVX-512 code chosen by CPUID and its own thread pool, so no
 * worker copies: `sgemm` here is already threaded (do not pass this instance to startThreads).
 *
 * The addon keeps a raw pointer to the heap's ArrayBuffer. wasm memory growth replaces
 * `memory.buffer` with a new ArrayBuffer, so every call first compares `memory.buffer` with the
 * buffer last handed over and calls `setHeap` when it changed (one comparison per call).
 *
 * `work` arguments are ignored (the addon uses its own scratch); `workBytes` is reported as
 * unbounded so that callers never allocate heap scratch for it.
 *
 * Env: PRETRAIN_LAB_KERNELS=wasm keeps it unloaded; PRETRAIN_LAB_THREADS=N (1 disables) sets the
 * pool size (default: the CPUs this process may run on); PRETRAIN_LAB_ISA=avx2|generic forces a
 * lower instruction set (avx512emu: AVX-512 code paths emulated on AVX2, a test aid).
 */
import { createRequire } from 'node:module';
import type { AsmInstance, AsmKernels, SgemmFn } from './asm-module.js';
import type { WasmBackendInternals } from './wasm-internals.js';

/** Kernels only the native set has (ops.ts gives the wasm set a composite fallback). */
export interface NativeOnlyKernels {
  /**
   * p = softmax over s of scale * x + bias[h,t,s] (bias != 0; [B,H,T,S] when biasBatched) with
   * keys masked where causal and s > t + (S - T), or where pad != 0 and pad[b, s] == 0 (pad: f32
   * [B,S] keep-mask). Masked keys get exactly 0; a fully masked row is the literal
   * softmax(((scale*x + bias) + causal * -1e9) + padded * -1e9) (uniform when all keys share the mask terms).
   */
  attnSoftmaxMaskedFwd(
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
  /** dx = scale * p * (dy - sum_s(dy * p)) over whole rows ([B,H,T,S]). */
  attnSoftmaxMaskedBwd(
    p: number,
    dy: number,
    dx: number,
    B: number,
    H: number,
    T: number,
    S: number,
    scale: number,
    causal: number,
  ): void;
}

export type NativeKernels = AsmKernels & NativeOnlyKernels;

/** What the addon itself exports (index.cjs of @pretrain-lab/native). */
export interface NativeAddon extends NativeKernels {
  setHeap(buffer: ArrayBuffer): void;
  /** 'avx512', 'avx2', 'generic' or 'avx512emu'. */
  isa(): string;
  /** Why a requested PRETRAIN_LAB_ISA was not used ('' if none). */
  isaNote(): string;
  threads(): number;
  /** Sets the pool size for later calls (tests, benchmarks); returns it. */
  setThreads(n: number): number;
  /** ISAs compiled into this binary. */
  compiled(): string[];
  cpuFeatures(): { avx2: boolean; avx512: boolean };
}

export interface NativeInstance extends AsmInstance {
  exports: NativeKernels;
  /** The raw addon (setThreads, isa, ...); call its kernels only through `exports`. */
  addon: NativeAddon;
}

export interface NativeStatus {
  loaded: boolean;
  isa?: string;
  threads?: number;
  reason?: string;
}

let addonCache: { addon: NativeAddon | null; reason?: string } | null = null;

function requireAddon(): { addon: NativeAddon | null; reason?: string } {
  if ((process.env.PRETRAIN_LAB_KERNELS ?? '').trim() === 'wasm')
    return { addon: null, reason: 'PRETRAIN_LAB_KERNELS=wasm' };
  if (addonCache) return addonCache;
  try {
    const addon = createRequire(import.meta.url)('@pretrain-lab/native') as NativeAddon;
    if (typeof addon.sgemm !== 'function' || typeof addon.setHeap !== 'function')
      addonCache = { addon: null, reason: '@pretrain-lab/native loaded but lacks its kernels' };
    else addonCache = { addon };
  } catch (e) {
    const msg = String((e as Error)?.message ?? e).split('\n')[0];
    const notBuilt = /pretrain_lab_native\.node|Cannot find module/.test(msg);
    addonCache = {
      addon: null,
      reason: notBuilt
        ? 'the addon is not built (no C++ compiler at install, or PRETRAIN_LAB_NATIVE=0; rebuild: pnpm --filter @pretrain-lab/native run install)'
        : `the addon does not load: ${msg}`,
    };
  }
  return addonCache;
}

/** Whether the addon loads here, with its instruction set and thread count, or why not. */
export function nativeStatus(): NativeStatus {
  const { addon, reason } = requireAddon();
  if (!addon) return { loaded: false, reason };
  return { loaded: true, isa: addon.isa(), threads: addon.threads() };
}

// An empty module (magic + version): AsmInstance wants one, the native set has none.
const EMPTY_MODULE_BYTES = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

let cached: { backend: object; inst: NativeInstance } | null = null;

/**
 * The native kernel set on this backend's heap, or null when the addon is not built, does not
 * load, or PRETRAIN_LAB_KERNELS=wasm (nativeStatus().reason says which). Drop-in for loadAsm.
 */
export function loadNative(backend: WasmBackendInternals): NativeInstance | null {
  if (cached && cached.backend === backend) return cached.inst;
  const { addon } = requireAddon();
  if (!addon) return null;
  const memory = backend.wasm.asm.memory;
  let lastBuffer: ArrayBuffer | null = null;
  const sync = (): void => {
    const buf = memory.buffer;
    if (buf !== lastBuffer) {
      addon.setHeap(buf);
      lastBuffer = buf;
    }
  };
  try {
    sync();
  } catch (e) {
    addonCache = { addon: null, reason: `setHeap failed on the wasm memory: ${(e as Error).message}` };
    return null;
  }
  const a = addon;
  const exports: NativeKernels = {
    sgemmWorkBytes: () => 0,
    sgemm: (batch, M, N, K, pa, ars, acs, sa, pb, brs, bcs, sb, pc, ldc, sc, accumulate) => {
      sync();
      a.sgemm(batch, M, N, K, pa, ars, acs, sa, pb, brs, bcs, sb, pc, ldc, sc, accumulate, 0);
    },
    geluFwd: (x, y, n) => {
      sync();
      a.geluFwd(x, y, n, 0);
    },
    geluBwd: (x, dy, dx, n) => {
      sync();
      a.geluBwd(x, dy, dx, n, 0);
    },
    layerNormFwd: (x, gamma, beta, y, rows, C, eps) => {
      sync();
      a.layerNormFwd(x, gamma, beta, y, rows, C, eps, 0);
    },
    layerNormBwd: (x, gamma, dy, dx, dgamma, dbeta, rows, C, eps) => {
      sync();
      a.layerNormBwd(x, gamma, dy, dx, dgamma, dbeta, rows, C, eps, 0);
    },
    attnSoftmaxFwd: (x, p, rows, T, S, scale, causal) => {
      sync();
      a.attnSoftmaxFwd(x, p, rows, T, S, scale, causal);
    },
    attnSoftmaxBwd: (p, dy, dx, rows, T, S, scale, causal) => {
      sync();
      a.attnSoftmaxBwd(p, dy, dx, rows, T, S, scale, causal);
    },
    attnSoftmaxMaskedFwd: (x, p, B, H, T, S, scale, causal, bias, biasBatched, pad) => {
      sync();
      a.attnSoftmaxMaskedFwd(x, p, B, H, T, S, scale, causal, bias, biasBatched, pad);
    },
    attnSoftmaxMaskedBwd: (p, dy, dx, B, H, T, S, scale, causal) => {
      sync();
      a.attnSoftmaxMaskedBwd(p, dy, dx, B, H, T, S, scale, causal);
    },
    colSum: (x, out, N, C) => {
      sync();
      a.colSum(x, out, N, C, 0);
    },
    broadcastRows: (b, y, N, C) => {
      sync();
      a.broadcastRows(b, y, N, C);
    },
    adamw: (
      p,
      m,
      v,
      g,
      clipPtr,
      hasClip,
      pOut,
      mOut,
      vOut,
      n,
      decayMul,
      hasDecay,
      b1,
      omb1,
      b2,
      omb2,
      bc2,
      eps,
      step,
    ) => {
      sync();
      a.adamw(
        p,
        m,
        v,
        g,
        clipPtr,
        hasClip,
        pOut,
        mOut,
        vOut,
        n,
        decayMul,
        hasDecay,
        b1,
        omb1,
        b2,
        omb2,
        bc2,
        eps,
        step,
      );
    },
    sumSquares: (x, n) => {
      sync();
      return a.sumSquares(x, n);
    },
    copyBlocks: (src, dst, n1, n2, bytes, s1, s2, d1, d2) => {
      sync();
      a.copyBlocks(src, dst, n1, n2, bytes, s1, s2, d1, d2);
    },
    crossEntropyFwd: (logits, targets, isInt, N, V) => {
      sync();
      return a.crossEntropyFwd(logits, targets, isInt, N, V, 0);
    },
    crossEntropyBwd: (logits, targets, isInt, N, V, g, dx) => {
      sync();
      a.crossEntropyBwd(logits, targets, isInt, N, V, g, dx, 0);
    },
    // Absent from an addon built before it (the forward then saves logits, as on wasm).
    crossEntropyGrad: a.crossEntropyGrad
      ? (logits, targets, isInt, N, V, dx) => {
          sync();
          return a.crossEntropyGrad!(logits, targets, isInt, N, V, dx);
        }
      : undefined,
    vocabCE: a.vocabCE
      ? (h, table, bias, targets, isInt, M, V, C, dh, dt, db) => {
          sync();
          return a.vocabCE!(h, table, bias, targets, isInt, M, V, C, dh, dt, db);
        }
      : undefined,
    rmsNormFwd: a.rmsNormFwd
      ? (x, w, y, rows, C, eps) => {
          sync();
          a.rmsNormFwd!(x, w, y, rows, C, eps);
        }
      : undefined,
    rmsNormBwd: a.rmsNormBwd
      ? (x, w, dy, dx, dw, rows, C, eps) => {
          sync();
          a.rmsNormBwd!(x, w, dy, dx, dw, rows, C, eps);
        }
      : undefined,
    reluFwd: a.reluFwd
      ? (x, y, n) => {
          sync();
          a.reluFwd!(x, y, n);
        }
      : undefined,
    reluBwd: a.reluBwd
      ? (x, dy, dx, n) => {
          sync();
          a.reluBwd!(x, dy, dx, n);
        }
      : undefined,
  };
  const sgemm: SgemmFn = exports.sgemm as SgemmFn;
  // A small real heap block, so that `work` is a valid pointer should anything write to it.
  const raw = backend.wasm._malloc(256 + 16) >>> 0;
  const inst: NativeInstance = {
    exports,
    memory,
    variant: `native-${addon.isa()}`,
    work: (raw + 15) & ~15,
    workBytes: 0x7fffffff,
    module: new WebAssembly.Module(EMPTY_MODULE_BYTES),
    sgemm,
    addon,
  };
  cached = { backend, inst };
  return inst;
}
