// AssemblyScript kernels that run on tfjs-backend-wasm's own linear memory (imported as
// env.memory), so tensors are read and written in place. Every pointer argument is a byte
// offset into that memory. No static data, no allocation: the module must never write
// anywhere the caller did not hand it (tfjs's malloc owns the memory).
// Build: node packages/runtime/asm/build.mjs (emits src/kernels/wasm-binary.ts).

// ---------------------------------------------------------------------------------------
// SGEMM: C[M,N] (=|+=) A[M,K] * B[K,N] with arbitrary element strides, so transposes are
// handled while packing. Goto-style blocking, 4x8 register tile (8 f32x4 accumulators).

const MC: i32 = 64;
const KC: i32 = 256;
const NC: i32 = 512;

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// Pack rows [i0, i0+mc) x cols [p0, p0+kc) of A into 4-row slivers: sliver r holds
// A[i0+4r+ii, p0+k] at ((r*kc + k)*4 + ii). Rows past M are zero.
function packA(pa: usize, a: usize, ars: i32, acs: i32, i0: i32, mc: i32, p0: i32, kc: i32, M: i32): void {
  for (let r = 0; r < mc; r += 4) {
    const dst = pa + (<usize>(r * kc) << 2);
    const rows = min(4, M - (i0 + r));
    if (rows == 4 && ars == 1) {
      // A^T case: the 4 rows are contiguous for each k.
      let src = a + (<usize>((i0 + r) + p0 * acs) << 2);
      for (let k = 0; k < kc; k++) {
        v128.store(dst + (<usize>k << 4), v128.load(src));
        src += <usize>acs << 2;
      }
    } else if (rows == 4 && acs == 1) {
      const s0 = a + (<usize>((i0 + r) * ars + p0) << 2);
      const s1 = s0 + (<usize>ars << 2);
      const s2 = s1 + (<usize>ars << 2);
      const s3 = s2 + (<usize>ars << 2);
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
        // 4x4 transpose
        const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
        const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
        const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
        const d = dst + (<usize>k << 4);
        v128.store(d, i64x2.shuffle(t0, t1, 0, 2));
        v128.store(d + 16, i64x2.shuffle(t0, t1, 1, 3));
        v128.store(d + 32, i64x2.shuffle(t2, t3, 0, 2));
        v128.store(d + 48, i64x2.shuffle(t2, t3, 1, 3));
      }
      for (; k < kc; k++) {
        const o = <usize>k << 2;
        const d = dst + (<usize>k << 4);
        store<f32>(d, load<f32>(s0 + o));
        store<f32>(d + 4, load<f32>(s1 + o));
        store<f32>(d + 8, load<f32>(s2 + o));
        store<f32>(d + 12, load<f32>(s3 + o));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let ii = 0; ii < 4; ii++) {
          let v: f32 = 0;
          if (ii < rows) v = load<f32>(a + (<usize>((i0 + r + ii) * ars + (p0 + k) * acs) << 2));
          store<f32>(dst + (<usize>(k * 4 + ii) << 2), v);
        }
      }
    }
  }
}

// Pack rows [p0, p0+kc) x cols [j0, j0+nc) of B into 8-col slivers: sliver s holds
// B[p0+k, j0+8s+jj] at ((s*kc + k)*8 + jj). Columns past N are zero.
function packB(pb: usize, b: usize, brs: i32, bcs: i32, p0: i32, kc: i32, j0: i32, nc: i32, N: i32): void {
  for (let s = 0; s < nc; s += 8) {
    const dst = pb + (<usize>(s * kc) << 2);
    const cols = min(8, N - (j0 + s));
    if (cols == 8 && bcs == 1) {
      let src = b + (<usize>(p0 * brs + j0 + s) << 2);
      for (let k = 0; k < kc; k++) {
        const d = dst + (<usize>k << 5);
        v128.store(d, v128.load(src));
        v128.store(d + 16, v128.load(src + 16));
        src += <usize>brs << 2;
      }
    } else if (cols == 8 && brs == 1) {
      // B^T case: column j of B is contiguous in k.
      const base = b + (<usize>((j0 + s) * bcs + p0) << 2);
      const cs = <usize>bcs << 2;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        // two 4x4 transposes: columns 0-3 and 4-7
        for (let h = 0; h < 2; h++) {
          const c0 = base + cs * <usize>(h * 4) + o;
          const r0 = v128.load(c0), r1 = v128.load(c0 + cs), r2 = v128.load(c0 + 2 * cs), r3 = v128.load(c0 + 3 * cs);
          const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
          const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
          const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
          const d = dst + (<usize>k << 5) + <usize>(h * 16);
          v128.store(d, i64x2.shuffle(t0, t1, 0, 2));
          v128.store(d + 32, i64x2.shuffle(t0, t1, 1, 3));
          v128.store(d + 64, i64x2.shuffle(t2, t3, 0, 2));
          v128.store(d + 96, i64x2.shuffle(t2, t3, 1, 3));
        }
      }
      for (; k < kc; k++) {
        for (let jj = 0; jj < 8; jj++) {
          store<f32>(dst + (<usize>(k * 8 + jj) << 2), load<f32>(base + cs * <usize>jj + (<usize>k << 2)));
        }
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let jj = 0; jj < 8; jj++) {
          let v: f32 = 0;
          if (jj < cols) v = load<f32>(b + (<usize>((p0 + k) * brs + (j0 + s + jj) * bcs) << 2));
          store<f32>(dst + (<usize>(k * 8 + jj) << 2), v);
        }
      }
    }
  }
}

// 4x8 tile over kc: C tile at c (row stride ldc elements). mr/nr: valid rows/cols.
@inline function micro(pa: usize, pb: usize, kc: i32, c: usize, ldc: i32, mr: i32, nr: i32, acc: bool, tmp: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let ap = pa, bp = pb;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    ap += 16; bp += 32;
  }
  const ls = <usize>ldc << 2;
  if (mr == 4 && nr == 8) {
    let r = c;
    if (acc) {
      v128.store(r, f32x4.add(v128.load(r), c00)); v128.store(r, f32x4.add(v128.load(r, 16), c01), 16); r += ls;
      v128.store(r, f32x4.add(v128.load(r), c10)); v128.store(r, f32x4.add(v128.load(r, 16), c11), 16); r += ls;
      v128.store(r, f32x4.add(v128.load(r), c20)); v128.store(r, f32x4.add(v128.load(r, 16), c21), 16); r += ls;
      v128.store(r, f32x4.add(v128.load(r), c30)); v128.store(r, f32x4.add(v128.load(r, 16), c31), 16);
    } else {
      v128.store(r, c00); v128.store(r, c01, 16); r += ls;
      v128.store(r, c10); v128.store(r, c11, 16); r += ls;
      v128.store(r, c20); v128.store(r, c21, 16); r += ls;
      v128.store(r, c30); v128.store(r, c31, 16);
    }
    return;
  }
  v128.store(tmp, c00); v128.store(tmp, c01, 16);
  v128.store(tmp, c10, 32); v128.store(tmp, c11, 48);
  v128.store(tmp, c20, 64); v128.store(tmp, c21, 80);
  v128.store(tmp, c30, 96); v128.store(tmp, c31, 112);
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const d = c + <usize>i * ls + (<usize>j << 2);
      const v = load<f32>(tmp + (<usize>(i * 8 + j) << 2));
      store<f32>(d, acc ? load<f32>(d) + v : v);
    }
  }
}

/** Bytes of scratch sgemm needs at `work` (16-byte aligned). */
export function sgemmWorkBytes(): i32 {
  return (MC * KC + KC * NC + 64) * 4;
}

/**
 * For each of `batch` problems: C = A * B (or C += A * B when accumulate != 0).
 * A(i,k) at a + 4*(i*ars + k*acs), B(k,j) at b + 4*(k*brs + j*bcs), C row-major with ldc.
 * Per-batch element strides sa, sb, sc (0 broadcasts one operand).
 */
export function sgemm(
  batch: i32, M: i32, N: i32, K: i32,
  a: usize, ars: i32, acs: i32, sa: i32,
  b: usize, brs: i32, bcs: i32, sb: i32,
  c: usize, ldc: i32, sc: i32,
  accumulate: i32, work: usize,
): void {
  const pa = work;
  const pb = work + (<usize>(MC * KC) << 2);
  const tmp = pb + (<usize>(KC * NC) << 2);
  for (let bi = 0; bi < batch; bi++) {
    const ab = a + (<usize>(bi * sa) << 2);
    const bb = b + (<usize>(bi * sb) << 2);
    const cb = c + (<usize>(bi * sc) << 2);
    if (K == 0) {
      if (accumulate == 0) for (let i = 0; i < M; i++) memory.fill(cb + (<usize>(i * ldc) << 2), 0, <usize>N << 2);
      continue;
    }
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = min(NC, N - j0);
      const ncp = (nc + 7) & ~7;
      for (let p0 = 0; p0 < K; p0 += KC) {
        const kc = min(KC, K - p0);
        const acc = accumulate != 0 || p0 > 0;
        packB(pb, bb, brs, bcs, p0, kc, j0, ncp, N);
        for (let i0 = 0; i0 < M; i0 += MC) {
          const mc = min(MC, M - i0);
          const mcp = (mc + 3) & ~3;
          packA(pa, ab, ars, acs, i0, mcp, p0, kc, M);
          if (kc * ncp <= 8192) {
            // Packed B block fits in L1 (small N, e.g. attention's P @ V): keep each A sliver
            // hot and sweep B, instead of streaming the whole A block once per B sliver.
            for (let r = 0; r < mcp; r += 4) {
              const mr = min(4, mc - r);
              const pas = pa + (<usize>(r * kc) << 2);
              for (let s = 0; s < ncp; s += 8) {
                micro(pas, pb + (<usize>(s * kc) << 2), kc,
                  cb + (<usize>((i0 + r) * ldc + j0 + s) << 2), ldc, mr, min(8, nc - s), acc, tmp);
              }
            }
          } else {
            for (let s = 0; s < ncp; s += 8) {
              const nr = min(8, nc - s);
              const pbs = pb + (<usize>(s * kc) << 2);
              for (let r = 0; r < mcp; r += 4) {
                const mr = min(4, mc - r);
                micro(pa + (<usize>(r * kc) << 2), pbs, kc,
                  cb + (<usize>((i0 + r) * ldc + j0 + s) << 2), ldc, mr, nr, acc, tmp);
              }
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Element-wise: GELU (tanh form) forward and backward, 4 lanes at a time, with a rational
// tanh (tanh4). exp4 (Cephes-style, rel. error ~1e-7 on the reduced range) serves the softmaxes.

@inline function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const fx = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(y, r), r), r), f32x4.splat(1.0));
  const n = i32x4.trunc_sat_f32x4_s(fx);
  return f32x4.mul(y, i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23));
}

/**
 * tanh as a [13/6] rational minimax approximation on [-7.905, 7.905] (Eigen's
 * generic_fast_tanh_float coefficients; max error 2.6e-7), clamped outside, where it is +-1
 * in float32 (returned exactly). Cheaper than 1 - 2 / (1 + exp(2u)): 10 multiply-adds and one division.
 */
@inline function tanh4(u: v128): v128 {
  const x = f32x4.min(f32x4.max(u, f32x4.splat(-7.90531110763549805)), f32x4.splat(7.90531110763549805));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(-2.76076847742355e-16);
  p = madd(p, x2, f32x4.splat(2.00018790482477e-13));
  p = madd(p, x2, f32x4.splat(-8.60467152213735e-11));
  p = madd(p, x2, f32x4.splat(5.12229709037114e-08));
  p = madd(p, x2, f32x4.splat(1.48572235717979e-05));
  p = madd(p, x2, f32x4.splat(6.37261928875436e-04));
  p = madd(p, x2, f32x4.splat(4.89352455891786e-03));
  p = f32x4.mul(p, x);
  let q = f32x4.splat(1.19825839466702e-06);
  q = madd(q, x2, f32x4.splat(1.18534705686654e-04));
  q = madd(q, x2, f32x4.splat(2.26843463243900e-03));
  q = madd(q, x2, f32x4.splat(4.89352518554385e-03));
  // Exactly +-1 where clamped, so that 1 - tanh^2 is exactly 0 there (GELU's gradient).
  const sat = f32x4.ge(f32x4.abs(u), f32x4.splat(7.90531110763549805));
  const one = v128.or(v128.and(u, i32x4.splat(0x80000000)), f32x4.splat(1.0));
  return v128.bitselect(one, f32x4.div(p, q), sat);
}

const GELU_C: f32 = 0.7978845608028654; // sqrt(2/pi)

@inline function geluInner(v: v128): v128 {
  const v3 = f32x4.mul(f32x4.mul(v, v), v);
  return f32x4.mul(f32x4.splat(GELU_C), f32x4.add(v, f32x4.mul(f32x4.splat(0.044715), v3)));
}

@inline function geluVec(v: v128): v128 {
  const t = tanh4(geluInner(v));
  return f32x4.mul(f32x4.mul(f32x4.splat(0.5), v), f32x4.add(f32x4.splat(1.0), t));
}

@inline function geluGradVec(v: v128, g: v128): v128 {
  const t = tanh4(geluInner(v));
  const v2 = f32x4.mul(v, v);
  const dinner = f32x4.mul(f32x4.splat(GELU_C), f32x4.add(f32x4.splat(1.0), f32x4.mul(f32x4.splat(3.0 * 0.044715), v2)));
  const sech2 = f32x4.sub(f32x4.splat(1.0), f32x4.mul(t, t));
  const d = f32x4.add(
    f32x4.mul(f32x4.splat(0.5), f32x4.add(f32x4.splat(1.0), t)),
    f32x4.mul(f32x4.mul(f32x4.mul(f32x4.splat(0.5), v), sech2), dinner),
  );
  return f32x4.mul(g, d);
}

/** y = gelu(x) for n floats; `work` holds >= 32 scratch bytes for the tail. */
export function geluFwd(x: usize, y: usize, n: i32, work: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, geluVec(v128.load(x + o)));
  }
  if (i < n) {
    v128.store(work, f32x4.splat(0));
    memory.copy(work, x + (<usize>i << 2), <usize>(n - i) << 2);
    v128.store(work, geluVec(v128.load(work)));
    memory.copy(y + (<usize>i << 2), work, <usize>(n - i) << 2);
  }
}

/** dx = dy * gelu'(x) for n floats; `work` holds >= 32 scratch bytes for the tail. */
export function geluBwd(x: usize, dy: usize, dx: usize, n: i32, work: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, geluGradVec(v128.load(x + o), v128.load(dy + o)));
  }
  if (i < n) {
    v128.store(work, f32x4.splat(0));
    v128.store(work, f32x4.splat(0), 16);
    memory.copy(work, x + (<usize>i << 2), <usize>(n - i) << 2);
    memory.copy(work + 16, dy + (<usize>i << 2), <usize>(n - i) << 2);
    v128.store(work, geluGradVec(v128.load(work), v128.load(work, 16)));
    memory.copy(dx + (<usize>i << 2), work, <usize>(n - i) << 2);
  }
}

// ---------------------------------------------------------------------------------------
// Row-wise kernels: layerNorm, attention softmax, colSum, cross-entropy. Vector bodies over
// 4 floats with scalar tails (never reading past a row's end: the last row may end at the
// end of the heap). Reductions accumulate in f32x4 lanes except where noted (f64).

@inline function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}
@inline function hmax(v: v128): f32 {
  const s = f32x4.max(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}
@inline function expS(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

/** Mean and 1/sqrt(var + eps) of n floats at p (two passes; var is the biased variance). */
@inline function rowStats(p: usize, n: i32, eps: f32, out: usize): void {
  const n4 = n & ~3;
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= n4; j += 8) {
    s0 = f32x4.add(s0, v128.load(p + (<usize>j << 2)));
    s1 = f32x4.add(s1, v128.load(p + (<usize>j << 2), 16));
  }
  for (; j < n4; j += 4) s0 = f32x4.add(s0, v128.load(p + (<usize>j << 2)));
  let sum = hsum(f32x4.add(s0, s1));
  for (; j < n; j++) sum += load<f32>(p + (<usize>j << 2));
  const mean: f32 = sum / <f32>n;
  const mv = f32x4.splat(mean);
  let q0 = f32x4.splat(0), q1 = f32x4.splat(0);
  j = 0;
  for (; j + 8 <= n4; j += 8) {
    const d0 = f32x4.sub(v128.load(p + (<usize>j << 2)), mv);
    const d1 = f32x4.sub(v128.load(p + (<usize>j << 2), 16), mv);
    q0 = f32x4.add(q0, f32x4.mul(d0, d0));
    q1 = f32x4.add(q1, f32x4.mul(d1, d1));
  }
  for (; j < n4; j += 4) {
    const d0 = f32x4.sub(v128.load(p + (<usize>j << 2)), mv);
    q0 = f32x4.add(q0, f32x4.mul(d0, d0));
  }
  let v = hsum(f32x4.add(q0, q1));
  for (; j < n; j++) {
    const d = load<f32>(p + (<usize>j << 2)) - mean;
    v += d * d;
  }
  store<f32>(out, mean);
  store<f32>(out, <f32>(1.0 / Math.sqrt(<f64>v / <f64>n + <f64>eps)), 4);
}

/** y = (x - mean) * rstd * gamma + beta per row of C floats. `work`: >= 16 scratch bytes. */
export function layerNormFwd(x: usize, gamma: usize, beta: usize, y: usize, rows: i32, C: i32, eps: f32, work: usize): void {
  const C4 = C & ~3;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * C) << 2);
    const yr = y + (<usize>(r * C) << 2);
    rowStats(xr, C, eps, work);
    const mean = load<f32>(work);
    const rstd = load<f32>(work, 4);
    const mv = f32x4.splat(mean);
    const rv = f32x4.splat(rstd);
    let j = 0;
    for (; j < C4; j += 4) {
      const o = <usize>j << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), rv);
      v128.store(yr + o, f32x4.add(f32x4.mul(xh, v128.load(gamma + o)), v128.load(beta + o)));
    }
    for (; j < C; j++) {
      const o = <usize>j << 2;
      store<f32>(yr + o, (load<f32>(xr + o) - mean) * rstd * load<f32>(gamma + o) + load<f32>(beta + o));
    }
  }
}

/**
 * LayerNorm backward: dx, and dgamma / dbeta summed over rows (f64 accumulators at `work`,
 * which needs 16 * C + 16 bytes).
 */
export function layerNormBwd(x: usize, gamma: usize, dy: usize, dx: usize, dgamma: usize, dbeta: usize, rows: i32, C: i32, eps: f32, work: usize): void {
  const C4 = C & ~3;
  const stats = work;
  const accG = work + 16; // f64[C]
  const accB = accG + (<usize>C << 3); // f64[C]
  memory.fill(accG, 0, <usize>C << 4);
  const invC: f32 = 1 / <f32>C;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * C) << 2);
    const gr = dy + (<usize>(r * C) << 2);
    const dr = dx + (<usize>(r * C) << 2);
    rowStats(xr, C, eps, stats);
    const mean = load<f32>(stats);
    const rstd = load<f32>(stats, 4);
    const mv = f32x4.splat(mean);
    const rv = f32x4.splat(rstd);
    let m1v = f32x4.splat(0), m2v = f32x4.splat(0);
    let j = 0;
    for (; j < C4; j += 4) {
      const o = <usize>j << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), rv);
      const gy = v128.load(gr + o);
      const gxh = f32x4.mul(gy, xh);
      const ag = accG + (<usize>j << 3);
      v128.store(ag, f64x2.add(v128.load(ag), f64x2.promote_low_f32x4(gxh)));
      v128.store(ag, f64x2.add(v128.load(ag, 16), f64x2.promote_low_f32x4(i32x4.shuffle(gxh, gxh, 2, 3, 0, 1))), 16);
      const ab = accB + (<usize>j << 3);
      v128.store(ab, f64x2.add(v128.load(ab), f64x2.promote_low_f32x4(gy)));
      v128.store(ab, f64x2.add(v128.load(ab, 16), f64x2.promote_low_f32x4(i32x4.shuffle(gy, gy, 2, 3, 0, 1))), 16);
      const dxh = f32x4.mul(gy, v128.load(gamma + o));
      m1v = f32x4.add(m1v, dxh);
      m2v = f32x4.add(m2v, f32x4.mul(dxh, xh));
    }
    let m1 = hsum(m1v), m2 = hsum(m2v);
    for (; j < C; j++) {
      const o = <usize>j << 2;
      const xh = (load<f32>(xr + o) - mean) * rstd;
      const gy = load<f32>(gr + o);
      store<f64>(accG + (<usize>j << 3), load<f64>(accG + (<usize>j << 3)) + <f64>(gy * xh));
      store<f64>(accB + (<usize>j << 3), load<f64>(accB + (<usize>j << 3)) + <f64>gy);
      const dxh = gy * load<f32>(gamma + o);
      m1 += dxh;
      m2 += dxh * xh;
    }
    m1 *= invC;
    m2 *= invC;
    const m1s = f32x4.splat(m1), m2s = f32x4.splat(m2);
    j = 0;
    for (; j < C4; j += 4) {
      const o = <usize>j << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), rv);
      const t = f32x4.sub(f32x4.sub(f32x4.mul(v128.load(gr + o), v128.load(gamma + o)), m1s), f32x4.mul(xh, m2s));
      v128.store(dr + o, f32x4.mul(rv, t));
    }
    for (; j < C; j++) {
      const o = <usize>j << 2;
      const xh = (load<f32>(xr + o) - mean) * rstd;
      store<f32>(dr + o, rstd * (load<f32>(gr + o) * load<f32>(gamma + o) - m1 - xh * m2));
    }
  }
  for (let j = 0; j < C; j++) {
    store<f32>(dgamma + (<usize>j << 2), <f32>load<f64>(accG + (<usize>j << 3)));
    store<f32>(dbeta + (<usize>j << 2), <f32>load<f64>(accB + (<usize>j << 3)));
  }
}

/** p[0..n) = softmax(f32(x * scale) + bias) over n floats. */
@inline function softmaxRow(xr: usize, pr: usize, n: i32, scale: f32, bias: f32): void {
  const n4 = n & ~3;
  const sv = f32x4.splat(scale);
  const bv = f32x4.splat(bias);
  let mv = f32x4.splat(-Infinity);
  let j = 0;
  for (; j < n4; j += 4) mv = f32x4.max(mv, f32x4.add(f32x4.mul(v128.load(xr + (<usize>j << 2)), sv), bv));
  let mx = hmax(mv);
  for (; j < n; j++) mx = max(mx, load<f32>(xr + (<usize>j << 2)) * scale + bias);
  const mxv = f32x4.splat(mx);
  let sv0 = f32x4.splat(0);
  j = 0;
  for (; j < n4; j += 4) {
    const o = <usize>j << 2;
    const e = exp4(f32x4.sub(f32x4.add(f32x4.mul(v128.load(xr + o), sv), bv), mxv));
    v128.store(pr + o, e);
    sv0 = f32x4.add(sv0, e);
  }
  let sum = hsum(sv0);
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const e = expS(load<f32>(xr + o) * scale + bias - mx);
    store<f32>(pr + o, e);
    sum += e;
  }
  const inv: f32 = 1 / sum;
  const iv = f32x4.splat(inv);
  j = 0;
  for (; j < n4; j += 4) v128.store(pr + (<usize>j << 2), f32x4.mul(v128.load(pr + (<usize>j << 2)), iv));
  for (; j < n; j++) store<f32>(pr + (<usize>j << 2), load<f32>(pr + (<usize>j << 2)) * inv);
}

/**
 * Attention probabilities: softmax(scale * scores + causal bias) over rows of S, T rows per
 * matrix. With `causal`, keys s > t + (S - T) are masked (prob 0); a row with every key
 * masked (S < T) keeps the composite form's values (softmax of scale * x - 1e9).
 */
export function attnSoftmaxFwd(x: usize, p: usize, rows: i32, T: i32, S: i32, scale: f32, causal: i32): void {
  const off = S - T;
  for (let row = 0; row < rows; row++) {
    const xr = x + (<usize>row * <usize>S << 2);
    const pr = p + (<usize>row * <usize>S << 2);
    const t = row % T;
    const last = causal ? min(S - 1, t + off) : S - 1;
    if (last < 0) {
      softmaxRow(xr, pr, S, scale, -1e9);
      continue;
    }
    softmaxRow(xr, pr, last + 1, scale, 0);
    if (last + 1 < S) memory.fill(pr + (<usize>(last + 1) << 2), 0, <usize>(S - last - 1) << 2);
  }
}

/** d scores = scale * p * (dy - sum(p * dy)) per row; with `causal`, masked keys get 0. */
export function attnSoftmaxBwd(p: usize, dy: usize, dx: usize, rows: i32, T: i32, S: i32, scale: f32, causal: i32): void {
  const off = S - T;
  const sv = f32x4.splat(scale);
  for (let row = 0; row < rows; row++) {
    const o0 = <usize>row * <usize>S << 2;
    const pr = p + o0, gr = dy + o0, dr = dx + o0;
    const t = row % T;
    let last = causal ? min(S - 1, t + off) : S - 1;
    if (last < 0) last = S - 1;
    const n = last + 1;
    const n4 = n & ~3;
    let dv = f32x4.splat(0);
    let j = 0;
    for (; j < n4; j += 4) dv = f32x4.add(dv, f32x4.mul(v128.load(pr + (<usize>j << 2)), v128.load(gr + (<usize>j << 2))));
    let dot = hsum(dv);
    for (; j < n; j++) dot += load<f32>(pr + (<usize>j << 2)) * load<f32>(gr + (<usize>j << 2));
    const dotv = f32x4.splat(dot);
    j = 0;
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      v128.store(dr + o, f32x4.mul(f32x4.mul(sv, v128.load(pr + o)), f32x4.sub(v128.load(gr + o), dotv)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(dr + o, scale * load<f32>(pr + o) * (load<f32>(gr + o) - dot));
    }
    if (n < S) memory.fill(dr + (<usize>n << 2), 0, <usize>(S - n) << 2);
  }
}

/** out[c] = sum over N rows of x[n, c] (f64 accumulators at `work`: 8 * C bytes). */
export function colSum(x: usize, out: usize, N: i32, C: i32, work: usize): void {
  const C4 = C & ~3;
  memory.fill(work, 0, <usize>C << 3);
  // Sum blocks of 16 rows in f32, then add the block into the f64 accumulators.
  for (let n0 = 0; n0 < N; n0 += 16) {
    const nb = min(16, N - n0);
    let j = 0;
    for (; j < C4; j += 4) {
      let s = f32x4.splat(0);
      let p = x + (<usize>(n0 * C + j) << 2);
      for (let n = 0; n < nb; n++) {
        s = f32x4.add(s, v128.load(p));
        p += <usize>C << 2;
      }
      const a = work + (<usize>j << 3);
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(s)));
      v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(i32x4.shuffle(s, s, 2, 3, 0, 1))), 16);
    }
    for (; j < C; j++) {
      let s: f64 = 0;
      for (let n = 0; n < nb; n++) s += <f64>load<f32>(x + (<usize>((n0 + n) * C + j) << 2));
      store<f64>(work + (<usize>j << 3), load<f64>(work + (<usize>j << 3)) + s);
    }
  }
  for (let j = 0; j < C; j++) store<f32>(out + (<usize>j << 2), <f32>load<f64>(work + (<usize>j << 3)));
}

/** y[n, :] = b for each of N rows of C floats (the bias a linear layer's sgemm accumulates onto). */
export function broadcastRows(b: usize, y: usize, N: i32, C: i32): void {
  const bytes = <usize>C << 2;
  for (let n = 0; n < N; n++) memory.copy(y + <usize>n * bytes, b, bytes);
}

/** Natural log of a positive finite f64 (no tables: the module must carry no data segments). */
function logF64(x: f64): f64 {
  const bits = reinterpret<i64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000); // [1, 2)
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
  const z = (m - 1) / (m + 1);
  const z2 = z * z;
  // 2 atanh(z) = 2 (z + z^3/3 + z^5/5 + ...), |z| <= 0.1716
  let t = 1.0 / 23;
  t = t * z2 + 1.0 / 21; t = t * z2 + 1.0 / 19; t = t * z2 + 1.0 / 17; t = t * z2 + 1.0 / 15;
  t = t * z2 + 1.0 / 13; t = t * z2 + 1.0 / 11; t = t * z2 + 1.0 / 9; t = t * z2 + 1.0 / 7;
  t = t * z2 + 1.0 / 5; t = t * z2 + 1.0 / 3; t = t * z2 + 1.0;
  return 2 * z * t + <f64>e * 0.6931471805599453;
}

@inline function readTarget(t: usize, n: i32, isInt: i32): i32 {
  if (isInt) return load<i32>(t + (<usize>n << 2));
  const f = load<f32>(t + (<usize>n << 2));
  if (!(f >= 0)) return -1;
  if (f >= 2147483520.0) return 2147483647;
  return <i32>f;
}

/** Max of a row and the sum of exp(x - max); stores [max, sum] at `out`. */
@inline function rowMaxSumExp(lr: usize, V: i32, out: usize): void {
  const V4 = V & ~3;
  let mv = f32x4.splat(-Infinity);
  let j = 0;
  for (; j < V4; j += 4) mv = f32x4.max(mv, v128.load(lr + (<usize>j << 2)));
  let mx = hmax(mv);
  for (; j < V; j++) mx = max(mx, load<f32>(lr + (<usize>j << 2)));
  const mxv = f32x4.splat(mx);
  let s = f32x4.splat(0);
  j = 0;
  for (; j < V4; j += 4) s = f32x4.add(s, exp4(f32x4.sub(v128.load(lr + (<usize>j << 2)), mxv)));
  let sum = hsum(s);
  for (; j < V; j++) sum += expS(load<f32>(lr + (<usize>j << 2)) - mx);
  store<f32>(out, mx);
  store<f32>(out, sum, 4);
}

/**
 * Mean softmax cross-entropy over rows with target >= 0 (targets int32, or float32 when
 * isInt == 0). A target >= V counts as a row but contributes 0 (the composite form's one-hot
 * of it is all zeros), and its gradient row is 0. Returns the loss.
 */
export function crossEntropyFwd(logits: usize, targets: usize, isInt: i32, N: i32, V: i32, work: usize): f64 {
  let total: f64 = 0;
  let count = 0;
  for (let n = 0; n < N; n++) {
    const tgt = readTarget(targets, n, isInt);
    if (tgt < 0) continue;
    count++;
    if (tgt >= V) continue;
    const lr = logits + (<usize>n * <usize>V << 2);
    rowMaxSumExp(lr, V, work);
    const mx = load<f32>(work);
    const sum = load<f32>(work, 4);
    total += <f64>mx + logF64(<f64>sum) - <f64>load<f32>(lr + (<usize>tgt << 2));
  }
  return total / <f64>max(count, 1);
}

/** d logits of the mean cross-entropy, times the upstream scalar g. */
export function crossEntropyBwd(logits: usize, targets: usize, isInt: i32, N: i32, V: i32, g: f32, dx: usize, work: usize): void {
  let count = 0;
  for (let n = 0; n < N; n++) if (readTarget(targets, n, isInt) >= 0) count++;
  const scale: f32 = g / <f32>max(count, 1);
  const V4 = V & ~3;
  for (let n = 0; n < N; n++) {
    const lr = logits + (<usize>n * <usize>V << 2);
    const dr = dx + (<usize>n * <usize>V << 2);
    const tgt = readTarget(targets, n, isInt);
    if (tgt < 0 || tgt >= V) {
      memory.fill(dr, 0, <usize>V << 2);
      continue;
    }
    rowMaxSumExp(lr, V, work);
    const mx = load<f32>(work);
    const k: f32 = scale / load<f32>(work, 4);
    const mxv = f32x4.splat(mx);
    const kv = f32x4.splat(k);
    let j = 0;
    for (; j < V4; j += 4) {
      const o = <usize>j << 2;
      v128.store(dr + o, f32x4.mul(kv, exp4(f32x4.sub(v128.load(lr + o), mxv))));
    }
    for (; j < V; j++) store<f32>(dr + (<usize>j << 2), k * expS(load<f32>(lr + (<usize>j << 2)) - mx));
    store<f32>(dr + (<usize>tgt << 2), load<f32>(dr + (<usize>tgt << 2)) - scale);
  }
}

// ---------------------------------------------------------------------------------------
// Data movement: strided block copies (Transpose [0,2,1,3], Concat, SplitV).

/** For i < n1, j < n2: copy `bytes` from src + i*s1 + j*s2 to dst + i*d1 + j*d2 (strides in bytes). */
export function copyBlocks(src: usize, dst: usize, n1: i32, n2: i32, bytes: i32, s1: i32, s2: i32, d1: i32, d2: i32): void {
  const nb = <usize>bytes;
  if (nb == 128) {
    // Attention heads of 32 floats: 8 vector moves.
    for (let i = 0; i < n1; i++) {
      let s = src + <usize>i * <usize>s1;
      let d = dst + <usize>i * <usize>d1;
      for (let j = 0; j < n2; j++) {
        v128.store(d, v128.load(s)); v128.store(d, v128.load(s, 16), 16);
        v128.store(d, v128.load(s, 32), 32); v128.store(d, v128.load(s, 48), 48);
        v128.store(d, v128.load(s, 64), 64); v128.store(d, v128.load(s, 80), 80);
        v128.store(d, v128.load(s, 96), 96); v128.store(d, v128.load(s, 112), 112);
        s += <usize>s2;
        d += <usize>d2;
      }
    }
    return;
  }
  for (let i = 0; i < n1; i++) {
    let s = src + <usize>i * <usize>s1;
    let d = dst + <usize>i * <usize>d1;
    for (let j = 0; j < n2; j++) {
      memory.copy(d, s, nb);
      s += <usize>s2;
      d += <usize>d2;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Optimizer: one AdamW step for one parameter, and the sum of squares of a gradient (for the
// global norm). Same operation order as packages/train's composite AdamW, in float32
// (separate multiplies and adds, no fused multiply-add).

/**
 * pOut = p * decayMul - (mNew / (sqrt(vNew) / bc2Sqrt + eps)) * stepSize, with
 * mNew = m * b1 + (g * clip) * omb1 and vNew = v * b2 + (g * clip)^2 * omb2; clip is read from
 * the f32 at clipPtr (the gradient-clipping coefficient) when hasClip != 0.
 */
export function adamw(
  p: usize, m: usize, v: usize, g: usize, clipPtr: usize, hasClip: i32,
  pOut: usize, mOut: usize, vOut: usize, n: i32,
  decayMul: f32, hasDecay: i32, b1: f32, omb1: f32, b2: f32, omb2: f32, bc2Sqrt: f32, eps: f32, stepSize: f32,
): void {
  const clip: f32 = hasClip ? load<f32>(clipPtr) : 1;
  const cv = f32x4.splat(clip), dv = f32x4.splat(decayMul);
  const b1v = f32x4.splat(b1), o1v = f32x4.splat(omb1), b2v = f32x4.splat(b2), o2v = f32x4.splat(omb2);
  const bcv = f32x4.splat(bc2Sqrt), ev = f32x4.splat(eps), sv = f32x4.splat(stepSize);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    let gi = v128.load(g + o);
    if (hasClip) gi = f32x4.mul(gi, cv);
    let pi = v128.load(p + o);
    if (hasDecay) pi = f32x4.mul(pi, dv);
    const mi = f32x4.add(f32x4.mul(v128.load(m + o), b1v), f32x4.mul(gi, o1v));
    const vi = f32x4.add(f32x4.mul(v128.load(v + o), b2v), f32x4.mul(f32x4.mul(gi, gi), o2v));
    const den = f32x4.add(f32x4.div(f32x4.sqrt(vi), bcv), ev);
    v128.store(mOut + o, mi);
    v128.store(vOut + o, vi);
    v128.store(pOut + o, f32x4.sub(pi, f32x4.mul(f32x4.div(mi, den), sv)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let gi = load<f32>(g + o);
    if (hasClip) gi *= clip;
    let pi = load<f32>(p + o);
    if (hasDecay) pi *= decayMul;
    const mi = load<f32>(m + o) * b1 + gi * omb1;
    const vi = load<f32>(v + o) * b2 + gi * gi * omb2;
    const den = Mathf.sqrt(vi) / bc2Sqrt + eps;
    store<f32>(mOut + o, mi);
    store<f32>(vOut + o, vi);
    store<f32>(pOut + o, pi - (mi / den) * stepSize);
  }
}

/** Sum of x^2 over n floats, accumulated in f64 (per block of 64 floats in f32). */
export function sumSquares(x: usize, n: i32): f64 {
  let total: f64 = 0;
  const n16 = n & ~15;
  let i = 0;
  while (i < n16) {
    const end = min(n16, i + 256);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (; i < end; i += 16) {
      const o = x + (<usize>i << 2);
      const v0 = v128.load(o), v1 = v128.load(o, 16), v2 = v128.load(o, 32), v3 = v128.load(o, 48);
      a0 = f32x4.add(a0, f32x4.mul(v0, v0));
      a1 = f32x4.add(a1, f32x4.mul(v1, v1));
      a2 = f32x4.add(a2, f32x4.mul(v2, v2));
      a3 = f32x4.add(a3, f32x4.mul(v3, v3));
    }
    total += <f64>hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    total += v * v;
  }
  return total;
}
