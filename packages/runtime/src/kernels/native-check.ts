/**
 * Agreement checks of the native kernels (native.ts) against the AssemblyScript kernels
 * (asm-module.ts) and float64 references, on the same random inputs on tfjs-wasm's heap. Used by
 * native.test.ts in-process, and by it again in child processes under other instruction sets
 * (PRETRAIN_LAB_ISA=generic / avx512emu), so that every compiled code path is exercised on any
 * CPU. Each check returns a list of failures (empty: passed). Not exported from the package.
 *
 * Tolerances (float32): sgemm 2e-5 of (1 + max |ref|); GELU 2e-6; layerNorm, softmaxes 1e-5;
 * cross-entropy 1e-6 relative; colSum, broadcastRows, copyBlocks, AdamW and sumSquares must be
 * equal to asm bit for bit (same operation order by construction).
 */
import type { AsmInstance } from './asm-module.js';
import type { NativeInstance } from './native.js';
import type { WasmBackendInternals } from './wasm-internals.js';

export interface CheckCtx {
  backend: WasmBackendInternals;
  asm: AsmInstance;
  nat: NativeInstance;
}

/** Deterministic uniform [0, 1) source (mulberry32), independent of the package's Rng. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Heap blocks for one check (64-byte aligned), freed together. */
class Heap {
  private raw: number[] = [];
  constructor(private readonly ctx: CheckCtx) {}
  alloc(floats: number): number {
    const p = this.ctx.backend.wasm._malloc(Math.max(1, floats) * 4 + 64) >>> 0;
    this.raw.push(p);
    return (p + 63) & ~63;
  }
  f32(off: number, n: number): Float32Array {
    return new Float32Array(this.ctx.backend.wasm.asm.memory.buffer, off, n);
  }
  i32(off: number, n: number): Int32Array {
    return new Int32Array(this.ctx.backend.wasm.asm.memory.buffer, off, n);
  }
  u8(off: number, n: number): Uint8Array {
    return new Uint8Array(this.ctx.backend.wasm.asm.memory.buffer, off, n);
  }
  /** n floats uniform in [-scale, scale). */
  rand(n: number, r: () => number, scale = 1): number {
    const off = this.alloc(n);
    const v = this.f32(off, n);
    for (let i = 0; i < n; i++) v[i] = (r() * 2 - 1) * scale;
    return off;
  }
  copy(off: number, n: number): number {
    const o = this.alloc(n);
    this.f32(o, n).set(this.f32(off, n));
    return o;
  }
  free(): void {
    for (const p of this.raw) this.ctx.backend.wasm._free(p);
    this.raw = [];
  }
}

/** max |a - b| / (1 + max |b|), Infinity on a NaN mismatch. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Number.POSITIVE_INFINITY;
    if (Number.isNaN(a[i])) continue;
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return m / (1 + s);
}

/** Index of the first element whose bits differ, or -1. */
export function firstBitDiff(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

function within(
  fails: string[],
  what: string,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tol: number,
): void {
  const e = relErr(a, b);
  if (!(e <= tol)) fails.push(`${what}: error ${e.toExponential(2)} > ${tol}`);
}
function exact(fails: string[], what: string, a: Float32Array, b: Float32Array): void {
  const i = firstBitDiff(a, b);
  if (i >= 0) fails.push(`${what}: differs from asm at ${i} (${a[i]} vs ${b[i]})`);
}

type Check = { name: string; run: (ctx: CheckCtx) => string[] };

// [batch, M, N, K, A broadcast over batch, B broadcast over batch]
const GEMM_SHAPES: Array<[number, number, number, number, boolean?, boolean?]> = [
  [1, 1, 1, 1],
  [1, 3, 5, 7],
  [1, 6, 16, 256],
  [1, 7, 17, 257],
  [1, 37, 19, 300],
  [1, 70, 530, 9],
  [1, 13, 33, 2],
  [1, 150, 40, 64],
  [1, 129, 258, 262],
  [1, 300, 200, 150],
  [1, 20, 700, 300],
  [2, 5, 3, 4],
  [6, 9, 10, 11],
  [3, 6, 7, 5, false, true],
  [4, 6, 7, 5, true, false],
  [5, 65, 33, 40],
  [3, 100, 64, 96, true, false],
  [0, 3, 4, 5],
  [1, 0, 3, 4],
  [1, 3, 4, 0],
];

function gemmCase(
  ctx: CheckCtx,
  h: Heap,
  r: () => number,
  s: [number, number, number, number, boolean?, boolean?],
  ta: boolean,
  tb: boolean,
  acc: number,
  fails: string[],
): void {
  const [batch, M, N, K, bcA, bcB] = s;
  const nb = Math.max(batch, 1);
  const sa = bcA ? 0 : M * K;
  const sb = bcB ? 0 : K * N;
  const a = h.rand((bcA ? 1 : nb) * M * K, r);
  const b = h.rand((bcB ? 1 : nb) * K * N, r);
  const c1 = h.rand(nb * M * N, r);
  const c2 = h.copy(c1, nb * M * N);
  const args = [batch, M, N, K, a, ta ? 1 : K, ta ? M : 1, sa, b, tb ? 1 : N, tb ? K : 1, sb] as const;
  ctx.asm.exports.sgemm(...args, c1, N, M * N, acc, ctx.asm.work);
  ctx.nat.exports.sgemm(...args, c2, N, M * N, acc, 0);
  within(
    fails,
    `sgemm ${batch}x${M}x${N}x${K}${bcA ? ' bcastA' : ''}${bcB ? ' bcastB' : ''} tA=${ta} tB=${tb} acc=${acc}`,
    h.f32(c2, nb * M * N),
    h.f32(c1, nb * M * N),
    2e-5,
  );
}

export const CHECKS: Check[] = [
  {
    name: 'sgemm: shapes x transposes x accumulate x batch broadcast',
    run(ctx) {
      const fails: string[] = [];
      const h = new Heap(ctx);
      const r = rng(1);
      try {
        for (const s of GEMM_SHAPES)
          for (const ta of [false, true])
            for (const tb of [false, true])
              for (const acc of [0, 1]) {
                gemmCase(ctx, h, r, s, ta, tb, acc, fails);
                h.free();
              }
      } finally {
        h.free();
      }
      return fails;
    },
  },
  {
    name: 'sgemm: general strides (no unit stride), padded C rows',
    run(ctx) {
      const fails: string[] = [];
      const h = new Heap(ctx);
      const r = rng(2);
      try {
        const [M, N, K] = [23, 41, 37];
        // A(i,k) at 2i + (2M+1)k; B(k,j) at 3j + (3N+2)k; C rows padded to N + 7.
        const a = h.rand((2 * M + 1) * K, r);
        const b = h.rand((3 * N + 2) * K, r);
        const ldc = N + 7;
        const c1 = h.rand(M * ldc, r);
        const c2 = h.copy(c1, M * ldc);
        for (const acc of [0, 1]) {
          ctx.asm.exports.sgemm(
            1,
            M,
            N,
            K,
            a,
            2,
            2 * M + 1,
            0,
            b,
            3 * N + 2,
            3,
            0,
            c1,
            ldc,
            0,
            acc,
            ctx.asm.work,
          );
          ctx.nat.exports.sgemm(1, M, N, K, a, 2, 2 * M + 1, 0, b, 3 * N + 2, 3, 0, c2, ldc, 0, acc, 0);
          within(fails, `strided sgemm acc=${acc}`, h.f32(c2, M * ldc), h.f32(c1, M * ldc), 2e-5);
        }
      } finally {
        h.free();
      }
      return fails;
    },
  },
  {
    name: 'geluFwd / geluBwd (saturated range included)',
    run(ctx) {
      const fails: string[] = [];
      const h = new Heap(ctx);
      const r = rng(3);
      try {
        for (const n of [1, 3, 8, 17, 33, 1000, 100_003]) {
          const x = h.rand(n, r, 10);
          const dy = h.rand(n, r);
          const y1 = h.alloc(n);
          const y2 = h.alloc(n);
          ctx.asm.exports.geluFwd(x, y1, n, ctx.asm.work);
          ctx.nat.exports.geluFwd(x, y2, n, 0);
          within(fails, `geluFwd n=${n}`, h.f32(y2, n), h.f32(y1, n), 2e-6);
          ctx.asm.exports.geluBwd(x, dy, y1, n, ctx.asm.work);
          ctx.nat.exports.geluBwd(x, dy, y2, n, 0);
          within(fails, `geluBwd n=${n}`, h.f32(y2, n), h.f32(y1, n), 2e-6);
          h.free();
        }
      } finally {
        h.free();
      }
      return fails;
    },
  },
  {
    name: 'layerNormFwd / layerNormBwd (dx, dgamma, dbeta)',
    run(ctx) {
      const fails: string[] = [];
      const h = new Heap(ctx);
      const r = rng(4);
      try {
        for (const [rows, C] of [
          [1, 1],
          [3, 7],
          [65, 128],
          [300, 33],
          [40, 513],
          [2048, 96],
        ]) {
          const n = rows * C;
          const x = h.rand(n, r, 3);
          const g = h.rand(C, r);
          const b = h.rand(C, r);
          const dy = h.rand(n, r);
          const y1 = h.alloc(n);
          const y2 = h.alloc(n);
          ctx.asm.exports.layerNormFwd(x, g, b, y1, rows, C, 1e-5, ctx.asm.work);
          ctx.nat.exports.layerNormFwd(x, g, b, y2, rows, C, 1e-5, 0);
          within(fails, `layerNormFwd ${rows}x${C}`, h.f32(y2, n), h.f32(y1, n), 1e-5);
          const dg1 = h.alloc(C);
          const db1 = h.alloc(C);
          const dg2 = h.alloc(C);
          const db2 = h.alloc(C);
          ctx.asm.exports.layerNormBwd(x, g, dy, y1, dg1, db1, rows, C, 1e-5, ctx.asm.work);
          ctx.nat.exports.layerNormBwd(x, g, dy, y2, dg2, db2, rows, C, 1e-5, 0);
          within(fails, `layerNormBwd dx ${rows}x${C}`, h.f32(y2, n), h.f32(y1, n), 1e-5);
          within(fails, `layerNormBwd dgamma ${rows}x${C}`, h.f32(dg2, C), h.f32(dg1, C), 1e-5);
          within(fails, `layerNormBwd dbeta ${rows}x${C}`, h.f32(db2, C), h.f32(db1, C), 1e-5);
          h.free();
        }
      } finally {
        h.free();
      }
      return fails;
    },
  },
  {
    name: 'attnSoftmaxFwd / attnSoftmaxBwd (causal with S >= T and S < T)',
    run(ctx) {
      const fails: string[] = [];
      const h = new Heap(ctx);
      const r = rng(5);
      try {
        for (const [mats, T, S] of [
          [1, 1, 1],
          [8, 5, 5],
          [6, 7, 9],
          [6, 9, 4],
          [4, 33, 33],
          [16, 128, 128],
        ]) {
          const n = mats * T * S;
          const rows = mats * T;
          for (const causal of [0, 1]) {
            const x = h.rand(n, r, 4);
            const dy = h.rand(n, r);
            const p1 = h.alloc(n);
            const p2 = h.alloc(n);
            ctx.asm.exports.attnSoftmaxFwd(x, p1, rows, T, S, 0.35, causal);
            ctx.nat.exports.attnSoftmaxFwd(x, p2, rows, T, S, 0.35, causal);
            within(
              fails,
              `attnSoftmaxFwd ${mats}x${T}x${S} causal=${causal}`,
              h.f32(p2, n),
              h.f32(p1, n),
              1e-5,
            );
            const d1 = h.alloc(n);
            const d2 = h.alloc(n);
            ctx.asm.exports.attnSoftmaxBwd(p1, dy, d1, rows, T, S, 0.35, causal);
            ctx.nat.exports.attnSoftmaxBwd(p1, dy, d2, rows, T, S, 0.35, causal);
            within(
              fails,
              `attnSoftmaxBwd ${mats}x${T}x${S} causal=${causal}`,
              h.f32(d2, n),
              h.f32(d1, n),
              1e-5,
            );
            h.free();
          }
        }
      } finally {
        h.free();
      }
      return fails;
    },
  },
  {
    name: 'attnSoftmaxMaskedFwd / Bwd vs a float64 reference (bias, batched bias, pad, fully masked rows)',
    run(ctx) {
      const fails: string[] = [];
      const h = new Heap(ctx);
      const r = rng(6);
      try {
        for (const [B, H, T, S] of [
          [2, 3, 5, 5],
          [2, 2, 7, 9],
          [1, 2, 9, 4],
          [3, 2, 16, 37],
        ]) {
          const n = B * H * T * S;
          const x = h.rand(n, r, 4);
          const biasH = h.rand(H * T * S, r, 2);
          const biasB = h.rand(n, r, 2);
          const pad = h.alloc(B * S);
          const pv = h.f32(pad, B * S);
          // Batch 0 keeps everything but key 1; others drop the first half (some rows fully masked).
          for (let b = 0; b < B; b++)
            for (let s = 0; s < S; s++)
              pv[b * S + s] = b === 0 ? (s === 1 ? 0 : 1) : s < (S >> 1) + 1 ? 0 : 1;
          const dy = h.rand(n, r);
          const p = h.alloc(n);
          const dx = h.alloc(n);
          for (const causal of [0, 1])
            for (const [bias, batched] of [
              [0, 0],
              [biasH, 0],
              [biasB, 1],
            ])
              for (const usePad of [false, true]) {
                const what = `masked ${B}x${H}x${T}x${S} causal=${causal} bias=${bias ? (batched ? 'batched' : 'per-head') : 'none'} pad=${usePad}`;
                ctx.nat.exports.attnSoftmaxMaskedFwd(
                  x,
                  p,
                  B,
                  H,
                  T,
                  S,
                  0.4,
                  causal,
                  bias,
                  batched,
                  usePad ? pad : 0,
                );
                const xv = h.f32(x, n);
                const bv = bias ? h.f32(bias, batched ? n : H * T * S) : null;
                const keep = h.f32(pad, B * S);
                const want = new Float64Array(n);
                const off = S - T;
                for (let row = 0; row < B * H * T; row++) {
                  const t = row % T;
                  const bh = Math.floor(row / T);
                  const b = Math.floor(bh / H);
                  const hh = bh % H;
                  const masked = (s: number) =>
                    (causal && s > t + off ? 1 : 0) + (usePad && keep[b * S + s] === 0 ? 1 : 0);
                  let any = false;
                  for (let s = 0; s < S; s++) if (masked(s) === 0) any = true;
                  const logit = (s: number) => {
                    const bb = bv ? (batched ? bv[row * S + s] : bv[(hh * T + t) * S + s]) : 0;
                    const v = Math.fround(Math.fround(xv[row * S + s] * Math.fround(0.4)) + bb);
                    if (any) return masked(s) ? Number.NEGATIVE_INFINITY : v;
                    let w = v;
                    if (causal && s > t + off) w = Math.fround(w - 1e9);
                    if (usePad && keep[b * S + s] === 0) w = Math.fround(w - 1e9);
                    return w;
                  };
                  let mx = Number.NEGATIVE_INFINITY;
                  for (let s = 0; s < S; s++) mx = Math.max(mx, logit(s));
                  let sum = 0;
                  for (let s = 0; s < S; s++) sum += Math.exp(logit(s) - mx);
                  for (let s = 0; s < S; s++) want[row * S + s] = Math.exp(logit(s) - mx) / sum;
                }
                const got = h.f32(p, n);
                within(fails, `${what} fwd`, got, want, 1e-5);
                for (let i = 0; i < n; i++)
                  if (want[i] === 0 && got[i] !== 0) {
                    fails.push(`${what}: masked key ${i} got ${got[i]}, not 0`);
                    break;
                  }
                ctx.nat.exports.attnSoftmaxMaskedBwd(p, dy, dx, B, H, T, S, 0.4, causal);
                const pv2 = h.f32(p, n);
                const gv = h.f32(dy, n);
                const wantDx = new Float64Array(n);
                for (let row = 0; row < B * H * T; row++) {
                  let dot = 0;
                  for (let s = 0; s < S; s++) dot += pv2[row * S + s] * gv[row * S + s];
                  for (let s = 0; s < S; s++)
                    wantDx[row * S + s] = 0.4 * pv2[row * S + s] * (gv[row * S + s] - dot);
                }
                within(fails, `${what} bwd`, h.f32(dx, n), wantDx, 1e-5);
              }
          // Without bias or pad it is the plain causal softmax.
          const q = h.alloc(n);
          for (const causal of [0, 1]) {
            ctx.nat.exports.attnSoftmaxMaskedFwd(x, p, B, H, T, S, 0.4, causal, 0, 0, 0);
            ctx.asm.exports.attnSoftmaxFwd(x, q, B * H * T, T, S, 0.4, causal);
            within(
              fails,
              `masked (no bias, no pad) vs asm attnSoftmaxFwd causal=${causal}`,
              h.f32(p, n),
              h.f32(q, n),
              1e-5,
            );
          }
          h.free();
        }
      } finally {
        h.free();
      }
      return fails;
    },
  },
  {
    name: 'colSum and broadcastRows (bit for bit)',
    run(ctx) {
      const fails: string[] = [];
      const h = new Heap(ctx);
      const r = rng(7);
      try {
        for (const [N, C] of [
          [1, 1],
          [17, 5],
          [33, 67],
          [1000, 130],
          [4096, 384],
          [0, 3],
        ]) {
          const x = h.rand(N * C, r, 5);
          const o1 = h.alloc(C);
          const o2 = h.alloc(C);
          ctx.asm.exports.colSum(x, o1, N, C, ctx.asm.work);
          ctx.nat.exports.colSum(x, o2, N, C, 0);
          exact(fails, `colSum ${N}x${C}`, h.f32(o2, C), h.f32(o1, C));
          const y1 = h.alloc(N * C);
          const y2 = h.alloc(N * C);
          ctx.asm.exports.broadcastRows(o1, y1, N, C);
          ctx.nat.exports.broadcastRows(o1, y2, N, C);
          exact(fails, `broadcastRows ${N}x${C}`, h.f32(y2, N * C), h.f32(y1, N * C));
          h.free();
        }
      } finally {
        h.free();
      }
      return fails;
    },
  },
  {
    name: 'crossEntropyFwd / Bwd (int and float targets, -1, >= V)',
    run(ctx) {
      const fails: string[] = [];
      const h = new Heap(ctx);
      const r = rng(8);
      try {
        for (const V of [1, 5, 256, 1003]) {
          const N = 37;
          const logits = h.rand(N * V, r, 6);
          const ti = h.alloc(N);
          const tf32 = h.alloc(N);
          const iv = h.i32(ti, N);
          const fv = h.f32(tf32, N);
          for (let i = 0; i < N; i++) {
            const t = i % 7 === 3 ? -1 : i % 11 === 5 ? V : i % 13 === 6 ? V + 5 : Math.floor(r() * V);
            iv[i] = t;
            fv[i] = i === 0 ? Number.NaN : i === 1 ? 1e10 : i === 2 ? Math.min(V - 1, 0) + 0.75 : t;
          }
          for (const [targets, isInt] of [
            [ti, 1],
            [tf32, 0],
          ]) {
            const l1 = ctx.asm.exports.crossEntropyFwd(logits, targets, isInt, N, V, ctx.asm.work);
            const l2 = ctx.nat.exports.crossEntropyFwd(logits, targets, isInt, N, V, 0);
            if (!(Math.abs(l1 - l2) <= 1e-6 * Math.max(1, Math.abs(l1))))
              fails.push(`crossEntropyFwd V=${V} isInt=${isInt}: ${l2} vs asm ${l1}`);
            const d1 = h.alloc(N * V);
            const d2 = h.alloc(N * V);
            ctx.asm.exports.crossEntropyBwd(logits, targets, isInt, N, V, 1.7, d1, ctx.asm.work);
            ctx.nat.exports.crossEntropyBwd(logits, targets, isInt, N, V, 1.7, d2, 0);
            within(fails, `crossEntropyBwd V=${V} isInt=${isInt}`, h.f32(d2, N * V), h.f32(d1, N * V), 1e-6);
          }
          h.free();
        }
      } finally {
        h.free();
      }
      return fails;
    },
  },
  {
    name: 'copyBlocks (bit for bit)',
    run(ctx) {
      const fails: string[] = [];
      const h = new Heap(ctx);
      const r = rng(9);
      try {
        for (const [n1, n2, bytes] of [
          [1, 1, 1],
          [3, 5, 7],
          [4, 9, 128],
          [17, 6, 132],
          [2, 300, 4096],
        ]) {
          const s2 = bytes + 3;
          const s1 = n2 * s2 + 5;
          const d2 = bytes;
          const d1 = n2 * d2;
          const src = h.alloc(Math.ceil((n1 * s1) / 4) + 1);
          const u = h.u8(src, n1 * s1);
          for (let i = 0; i < u.length; i++) u[i] = Math.floor(r() * 256);
          const a = h.alloc(Math.ceil((n1 * d1) / 4) + 1);
          const b = h.alloc(Math.ceil((n1 * d1) / 4) + 1);
          ctx.asm.exports.copyBlocks(src, a, n1, n2, bytes, s1, s2, d1, d2);
          ctx.nat.exports.copyBlocks(src, b, n1, n2, bytes, s1, s2, d1, d2);
          const ua = h.u8(a, n1 * d1);
          const ub = h.u8(b, n1 * d1);
          for (let i = 0; i < ua.length; i++)
            if (ua[i] !== ub[i]) {
              fails.push(`copyBlocks ${n1}x${n2}x${bytes}: byte ${i} differs`);
              break;
            }
          h.free();
        }
      } finally {
        h.free();
      }
      return fails;
    },
  },
  {
    name: 'adamw (clip and decay on/off) and sumSquares (bit for bit)',
    run(ctx) {
      const fails: string[] = [];
      const h = new Heap(ctx);
      const r = rng(10);
      try {
        for (const n of [1, 3, 4, 7, 1001, 70_000]) {
          const p = h.rand(n, r);
          const m = h.rand(n, r, 0.1);
          const v = h.alloc(n);
          const vv = h.f32(v, n);
          for (let i = 0; i < n; i++) vv[i] = r() * 0.01;
          const g = h.rand(n, r);
          const clip = h.alloc(1);
          h.f32(clip, 1)[0] = 0.37;
          for (const hasClip of [0, 1])
            for (const hasDecay of [0, 1]) {
              const o = [h.alloc(n), h.alloc(n), h.alloc(n)];
              const q = [h.alloc(n), h.alloc(n), h.alloc(n)];
              const hp = [
                1 - 3e-4 * 0.1,
                hasDecay,
                0.9,
                0.1,
                0.999,
                0.001,
                0.0447,
                1e-8,
                3e-4 / 0.19,
              ] as const;
              ctx.asm.exports.adamw(p, m, v, g, clip, hasClip, o[0], o[1], o[2], n, ...hp);
              ctx.nat.exports.adamw(p, m, v, g, clip, hasClip, q[0], q[1], q[2], n, ...hp);
              for (let k = 0; k < 3; k++)
                exact(
                  fails,
                  `adamw n=${n} clip=${hasClip} decay=${hasDecay} out ${k}`,
                  h.f32(q[k], n),
                  h.f32(o[k], n),
                );
            }
        }
        for (const n of [0, 1, 15, 16, 17, 255, 256, 257, 1000, 100_000, 300_001]) {
          const x = h.rand(n, r, 3);
          const s1 = ctx.asm.exports.sumSquares(x, n);
          const s2 = ctx.nat.exports.sumSquares(x, n);
          if (s1 !== s2) fails.push(`sumSquares n=${n}: ${s2} vs asm ${s1}`);
        }
      } finally {
        h.free();
      }
      return fails;
    },
  },
];

/** Runs every check; the failures by check name (empty: all passed). */
export function runAllChecks(ctx: CheckCtx): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of CHECKS) {
    const f = c.run(ctx);
    if (f.length > 0) out[c.name] = f;
  }
  return out;
}
