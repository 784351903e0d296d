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
// Element-wise: GELU (tanh form) forward and backward, 4 lanes at a time. tanh(u) is
// 1 - 2 / (1 + exp(2u)) with a Cephes-style exp (rel. error ~1e-7 on the reduced range).

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

@inline function tanh4(u: v128): v128 {
  const e = exp4(f32x4.add(u, u));
  return f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(f32x4.splat(1.0), e)));
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
