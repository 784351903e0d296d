// The kernels, written once over a vector type V (isa_*.inl) and a register tile PL_MR x PL_NR.
// Included inside `namespace pl { namespace <isa> { namespace { ... } } }` by each
// kernels_<isa>.cpp, so every function here has internal linkage per ISA. Semantics follow
// packages/runtime/asm/kernels.ts (see the comments there); where they differ it is said.
//
// Determinism: every kernel computes each output element with the same arithmetic sequence
// whatever the thread count and timing. sgemm: each C element is one fused multiply-add chain
// over k in order within fixed KC blocks (a function of K only), then C = acc or C = C + acc;
// threads split C rows/columns or the batch, never K. Reductions across rows use fixed chunks
// combined in a fixed order.

typedef V::T T;
static constexpr int L = V::L;
static constexpr int MR = PL_MR;
static constexpr int NR = PL_NR;
static constexpr int NV = PL_NR / V::L;
static constexpr int KC = 256;  // fixed for every ISA: sgemm results do not depend on the tiling
static constexpr int MC = PL_MC;
static constexpr int NC = PL_NC;

static inline long lmin(long a, long b) { return a < b ? a : b; }
static inline long lmax(long a, long b) { return a > b ? a : b; }
static inline int imin(int a, int b) { return a < b ? a : b; }

// Threads for `work` units when one thread should get at least `per` of them.
static inline int nthFor(double work, double per) {
  const int t = pl::threads();
  if (t <= 1 || work < 2 * per) return 1;
  const double n = work / per;
  return n < t ? (int)n : t;
}

// Runs f(i) for i in [0, n) on up to nth threads, each claiming the next index when free (f
// must only write what index i owns; results never depend on who ran which index).
template <class F>
static void pfor(long n, int nth, F& f) {
  if (nth > n) nth = (int)n;
  if (nth <= 1) {
    for (long i = 0; i < n; i++) f(i);
    return;
  }
  struct Ctx {
    F* f;
    long n;
    long next;  // atomic: next index to claim
  } ctx = {&f, n, 0};
  pl::run(
      [](void* c, int, int) {
        Ctx* x = (Ctx*)c;
        for (;;) {
          const long i = __atomic_fetch_add(&x->next, 1, __ATOMIC_RELAXED);
          if (i >= x->n) break;
          (*x->f)(i);
        }
      },
      &ctx, nth);
}

// ---------------------------------------------------------------------------------------
// SGEMM

static void packA(float* dst, const float* A, long ars, long acs, int mc, int kc) {
#if defined(PL_X86_PACK)
  if (packA_fast(dst, A, ars, acs, mc, kc)) return;
#endif
  for (int r = 0; r < mc; r += MR) {
    const int rows = imin(MR, mc - r);
    float* d = dst + (long)r * kc;
    for (int k = 0; k < kc; k++)
      for (int ii = 0; ii < MR; ii++) d[k * MR + ii] = ii < rows ? A[(long)(r + ii) * ars + (long)k * acs] : 0.0f;
  }
}

static void packB(float* dst, const float* B, long brs, long bcs, int kc, int nc, int s0, int s1) {
#if defined(PL_X86_PACK)
  if (packB_fast(dst, B, brs, bcs, kc, nc, s0, s1)) return;
#endif
  for (int s = s0; s < s1; s++) {
    const int j0 = s * NR;
    const int cols = imin(NR, nc - j0);
    float* d = dst + (long)j0 * kc;
    for (int k = 0; k < kc; k++)
      for (int jj = 0; jj < NR; jj++) d[k * NR + jj] = jj < cols ? B[(long)k * brs + (long)(j0 + jj) * bcs] : 0.0f;
  }
}

// MR x NR tile over kc: C (row stride ldc) = acc, or C + acc when `add`; mr x nr valid.
// A packed (a(i,k) at pa[k*MR + i]) or, when !PACKED, read in place from a row-major A
// (a(i,k) at pa[i*lda + k], all MR rows valid). Same arithmetic either way.
template <bool PACKED>
static inline void micro(int kc, const float* pa, long lda, const float* pb, float* c, long ldc, int mr, int nr,
                         bool add, const float* next = nullptr) {
  T acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = V::zero();
  for (int i = 0; i < mr; i++) __builtin_prefetch(c + i * ldc, 1, 3);
  if (!PACKED && next != nullptr) {
    // In-place A: fetch the next sliver's rows while this one computes (short row streams
    // that the hardware prefetcher picks up too late when A comes from L3).
    for (int i = 0; i < MR; i++)
      for (int q = 0; q < kc; q += 16) __builtin_prefetch(next + i * lda + q, 0, 3);
  }
  for (int k = 0; k < kc; k++) {
    T b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = V::load(pb + v * L);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const T a = V::bcast(PACKED ? pa + i : pa + i * lda);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = V::fma(a, b[v], acc[i][v]);
    }
    pa += PACKED ? MR : 1;
    pb += NR;
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        float* p = c + i * ldc + v * L;
        V::store(p, add ? V::add(V::load(p), acc[i][v]) : acc[i][v]);
      }
    return;
  }
  // Edge tile: spill the accumulators with constant indices (so they stay in registers in the
  // loop above), then write the valid part.
  alignas(64) float tile[MR * NR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) V::store(tile + i * NR + v * L, acc[i][v]);
  for (int i = 0; i < mr; i++)
    for (int v = 0; v < NV; v++) {
      const int n = nr - v * L;
      if (n <= 0) break;
      float* p = c + i * ldc + v * L;
      const T t = V::load(tile + i * NR + v * L);
      if (n >= L)
        V::store(p, add ? V::add(V::load(p), t) : t);
      else
        V::storen(p, add ? V::add(V::loadn(p, n), t) : t, n);
    }
}

// C[mc, nc] (=|+=) packed A block x packed B block.
static void macro(int mc, int nc, int kc, const float* pa, const float* pb, float* c, long ldc, bool add) {
  for (int jr = 0; jr < nc; jr += NR) {
    const int nr = imin(NR, nc - jr);
    for (int ir = 0; ir < mc; ir += MR)
      micro<true>(kc, pa + (long)ir * kc, 0, pb + (long)jr * kc, c + ir * ldc + jr, ldc, imin(MR, mc - ir), nr,
                  add);
  }
}

// Same, with A read in place (row-major, a(i,k) at A[i*ars + k]); a last partial sliver of rows
// is packed into `edge` (MR * kc floats) so that nothing past A's last row is read.
static void macroRows(int mc, int nc, int kc, const float* A, long ars, const float* pb, float* c, long ldc,
                      bool add, float* edge) {
  const int full = mc / MR * MR;
  if (full < mc) packA(edge, A + (long)full * ars, ars, 1, mc - full, kc);
  for (int jr = 0; jr < nc; jr += NR) {
    const int nr = imin(NR, nc - jr);
    for (int ir = 0; ir < full; ir += MR)
      micro<false>(kc, A + (long)ir * ars, ars, pb + (long)jr * kc, c + ir * ldc + jr, ldc, MR, nr, add,
                   jr == 0 && ir + 2 * MR <= full ? A + (long)(ir + MR) * ars : nullptr);
    if (full < mc) micro<true>(kc, edge, 0, pb + (long)jr * kc, c + full * ldc + jr, ldc, mc - full, nr, add);
  }
}

// Whether to read a row-major A in place instead of packing it: when each A element is used by
// few columns (packing would not pay off). Results are the same either way.
static inline bool inPlaceA(long acs, int N) { return acs == 1 && N <= PL_INPLACE_N; }

static inline int roundUp(int x, int m) { return (x + m - 1) / m * m; }

// Floats of packing scratch for one thread.
static inline size_t packABytes(int M) { return ((size_t)roundUp(imin(M, MC), MR) * KC + 64) * 4; }
static inline size_t packBBytes(int N) { return ((size_t)roundUp(imin(N, NC), NR) * KC + 64) * 4; }

static void zeroC(int M, int N, float* C, long ldc) {
  for (int i = 0; i < M; i++) __builtin_memset(C + i * ldc, 0, (size_t)N * 4);
}

// Tiny products: no packing, same arithmetic as the packed path (fma chain over k per KC block).
static void gemmSmall(int M, int N, int K, const float* A, long ars, long acs, const float* B, long brs,
                      long bcs, float* C, long ldc, bool accumulate) {
  for (int p0 = 0; p0 < K; p0 += KC) {
    const int kc = imin(KC, K - p0);
    const bool add = accumulate || p0 > 0;
    for (int i = 0; i < M; i++) {
      const float* a = A + (long)i * ars + (long)p0 * acs;
      float* c = C + i * ldc;
      if (bcs == 1) {
        for (int j = 0; j < N; j += L) {
          const int n = imin(L, N - j);
          const float* b = B + (long)p0 * brs + j;
          T acc = V::zero();
          if (n == L)
            for (int k = 0; k < kc; k++) acc = V::fma(V::bcast(a + k * acs), V::load(b + k * brs), acc);
          else
            for (int k = 0; k < kc; k++) acc = V::fma(V::bcast(a + k * acs), V::loadn(b + k * brs, n), acc);
          if (n == L)
            V::store(c + j, add ? V::add(V::load(c + j), acc) : acc);
          else
            V::storen(c + j, add ? V::add(V::loadn(c + j, n), acc) : acc, n);
        }
      } else {
        for (int j = 0; j < N; j++) {
          const float* b = B + (long)p0 * brs + (long)j * bcs;
          float acc = 0.0f;
          for (int k = 0; k < kc; k++) acc = V::fmas(a[k * acs], b[k * brs], acc);
          c[j] = add ? c[j] + acc : acc;
        }
      }
    }
  }
}

// One product on one thread (pa, pb: this thread's packing scratch).
static void gemm1(int M, int N, int K, const float* A, long ars, long acs, const float* B, long brs, long bcs,
                  float* C, long ldc, bool accumulate, bool small, float* pa, float* pb) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) zeroC(M, N, C, ldc);
    return;
  }
  if (small) {
    gemmSmall(M, N, K, A, ars, acs, B, brs, bcs, C, ldc, accumulate);
    return;
  }
  const bool inPlace = inPlaceA(acs, N);
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = imin(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = imin(KC, K - pc);
      const bool add = accumulate || pc > 0;
      packB(pb, B + (long)pc * brs + (long)jc * bcs, brs, bcs, kc, nc, 0, (nc + NR - 1) / NR);
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = imin(MC, M - ic);
        if (inPlace) {
          macroRows(mc, nc, kc, A + (long)ic * ars + pc, ars, pb, C + ic * ldc + jc, ldc, add, pa);
        } else {
          packA(pa, A + (long)ic * ars + (long)pc * acs, ars, acs, mc, kc);
          macro(mc, nc, kc, pa, pb, C + ic * ldc + jc, ldc, add);
        }
      }
    }
  }
}

// Whether a product takes the unpacked path: a function of the shape only (never of threads).
static inline bool isSmall(int M, int N, int K) {
  return (double)M * N * K <= 4096.0 || (M <= 2 && N * (double)K <= 65536.0);
}

struct GemmJob {
  int batch, M, N, K;
  const float* A;
  long ars, acs, sa;
  const float* B;
  long brs, bcs, sb;
  float* C;
  long ldc, sc;
  bool accumulate, small;
  int rparts, cparts;  // each problem split into rparts x cparts blocks of C
  long items;          // batch * rparts * cparts
  long next;           // next item to claim (atomic)
};

static void* scratchA(int M) { return pl::scratch(0, packABytes(M)); }
static void* scratchB(int N) { return pl::scratch(1, packBBytes(N)); }

// Items (problem, block of C rows x columns) claimed one at a time by whichever thread is free,
// each computed entirely by its claimer with its own packing: no barriers, so a thread that is
// descheduled (a busy machine) only delays the items it has claimed.
static void taskItems(void* ctx, int, int) {
  GemmJob& j = *(GemmJob*)ctx;
  float* pa = nullptr;
  float* pb = nullptr;
  const int rs = (j.M + MR - 1) / MR, cs = (j.N + NR - 1) / NR;
  const long per = (long)j.rparts * j.cparts;
  for (;;) {
    const long it = __atomic_fetch_add(&j.next, 1, __ATOMIC_RELAXED);
    if (it >= j.items) break;
    const long bi = it / per;
    const int rp = (int)(it % per / j.cparts), cp = (int)(it % j.cparts);
    const int r0 = (int)((long)rs * rp / j.rparts) * MR, r1 = imin(j.M, (int)((long)rs * (rp + 1) / j.rparts) * MR);
    const int c0 = (int)((long)cs * cp / j.cparts) * NR, c1 = imin(j.N, (int)((long)cs * (cp + 1) / j.cparts) * NR);
    if (r1 <= r0 || c1 <= c0) continue;
    if (!j.small && pa == nullptr) {
      pa = (float*)scratchA(j.M);
      pb = (float*)scratchB(j.N);
    }
    gemm1(r1 - r0, c1 - c0, j.K, j.A + bi * j.sa + (long)r0 * j.ars, j.ars, j.acs,
          j.B + bi * j.sb + (long)c0 * j.bcs, j.brs, j.bcs, j.C + bi * j.sc + (long)r0 * j.ldc + c0, j.ldc,
          j.accumulate, j.small, pa, pb);
  }
}

// Parts of a dimension of `len` (in tiles of `tile`) for `nth` threads wanting `want` parts
// in all: a multiple of nth when few (so that they balance), and few enough that the other
// operand's packing, repeated per part, stays small (about 8 * parts / len of the work).
static int partsFor(int len, int tile, int nth, int want) {
  const int tiles = (len + tile - 1) / tile;
  int cap = len / 160;
  if (want > cap) want = cap;
  int parts = nth * (want / nth > 1 ? want / nth : 1);
  if (parts > tiles) parts = tiles;
  return parts < 1 ? 1 : parts;
}

static void sgemm(int batch, int M, int N, int K, const float* A, long ars, long acs, long sa, const float* B,
                  long brs, long bcs, long sb, float* C, long ldc, long sc, int accumulate) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  GemmJob j = {batch, M, N, K, A, ars, acs, sa, B, brs, bcs, sb, C, ldc, sc, accumulate != 0, false, 1, 1, 0, 0};
  if (K <= 0) {
    if (!j.accumulate)
      for (int bi = 0; bi < batch; bi++) zeroC(M, N, C + bi * sc, ldc);
    return;
  }
  j.small = isSmall(M, N, K);
  int nth = nthFor((double)batch * M * N * K, 131072.0);
  // Problems that share C (sc == 0) must run in order on one thread.
  if (batch > 1 && sc == 0) nth = 1;
  if (nth <= 1) {
    float* pa = j.small ? nullptr : (float*)scratchA(M);
    float* pb = j.small ? nullptr : (float*)scratchB(N);
    for (int bi = 0; bi < batch; bi++)
      gemm1(M, N, K, A + bi * sa, ars, acs, B + bi * sb, brs, bcs, C + bi * sc, ldc, j.accumulate, j.small, pa, pb);
    return;
  }
  if (!(batch >= 4 * nth || (batch >= nth && batch % nth == 0))) {
    const int want = (4 * nth + batch - 1) / batch;
    if (M >= N)
      j.rparts = partsFor(M, MR, nth, want);
    else
      j.cparts = partsFor(N, NR, nth, want);
  }
  j.items = (long)batch * j.rparts * j.cparts;
  pl::run(taskItems, &j, j.items < nth ? (int)j.items : nth);
}

// ---------------------------------------------------------------------------------------
// Element-wise: GELU (tanh form) with asm's rational tanh, exp with asm's Cephes polynomial.

static inline T expv(T x) {
  x = V::min(V::set1(88.0f), V::max(V::set1(-87.0f), x));
  const T fx = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  T r = V::sub(x, V::mul(fx, V::set1(0.693359375f)));
  r = V::sub(r, V::mul(fx, V::set1(-2.12194440e-4f)));
  T y = V::set1(1.9875691500e-4f);
  y = V::add(V::mul(y, r), V::set1(1.3981999507e-3f));
  y = V::add(V::mul(y, r), V::set1(8.3334519073e-3f));
  y = V::add(V::mul(y, r), V::set1(4.1665795894e-2f));
  y = V::add(V::mul(y, r), V::set1(1.6666665459e-1f));
  y = V::add(V::mul(y, r), V::set1(5.0000001201e-1f));
  y = V::add(V::add(V::mul(V::mul(y, r), r), r), V::set1(1.0f));
  return V::mul(y, V::pow2i(fx));
}
static inline float exps(float x) {
  float t[L];
  V::store(t, expv(V::set1(x)));
  return t[0];
}

static inline T tanhv(T u) {
  const T lim = V::set1(7.90531110763549805f);
  const T x = V::min(lim, V::max(V::set1(-7.90531110763549805f), u));
  const T x2 = V::mul(x, x);
  T p = V::set1(-2.76076847742355e-16f);
  p = V::fma(p, x2, V::set1(2.00018790482477e-13f));
  p = V::fma(p, x2, V::set1(-8.60467152213735e-11f));
  p = V::fma(p, x2, V::set1(5.12229709037114e-08f));
  p = V::fma(p, x2, V::set1(1.48572235717979e-05f));
  p = V::fma(p, x2, V::set1(6.37261928875436e-04f));
  p = V::fma(p, x2, V::set1(4.89352455891786e-03f));
  p = V::mul(p, x);
  T q = V::set1(1.19825839466702e-06f);
  q = V::fma(q, x2, V::set1(1.18534705686654e-04f));
  q = V::fma(q, x2, V::set1(2.26843463243900e-03f));
  q = V::fma(q, x2, V::set1(4.89352518554385e-03f));
  // Exactly +-1 where clamped, so that 1 - tanh^2 is exactly 0 there.
  return V::sel_ge(V::abs(u), lim, V::sign1(u), V::div(p, q));
}

static const float GELU_C = 0.7978845608028654f;
static inline T geluInner(T v) {
  const T v3 = V::mul(V::mul(v, v), v);
  return V::mul(V::set1(GELU_C), V::add(v, V::mul(V::set1(0.044715f), v3)));
}
static inline T geluVec(T v) {
  const T t = tanhv(geluInner(v));
  return V::mul(V::mul(V::set1(0.5f), v), V::add(V::set1(1.0f), t));
}
static inline T geluGradVec(T v, T g) {
  const T t = tanhv(geluInner(v));
  const T v2 = V::mul(v, v);
  const T dinner = V::mul(V::set1(GELU_C), V::add(V::set1(1.0f), V::mul(V::set1((float)(3.0 * 0.044715)), v2)));
  const T sech2 = V::sub(V::set1(1.0f), V::mul(t, t));
  const T d = V::add(V::mul(V::set1(0.5f), V::add(V::set1(1.0f), t)),
                     V::mul(V::mul(V::mul(V::set1(0.5f), v), sech2), dinner));
  return V::mul(g, d);
}

static const long EW_CHUNK = 16384;  // elements per chunk of element-wise work

static void geluFwd(const float* x, float* y, long n) {
  auto f = [&](long ci) {
    const long a = ci * EW_CHUNK, b = lmin(n, a + EW_CHUNK);
    long i = a;
    for (; i + L <= b; i += L) V::store(y + i, geluVec(V::load(x + i)));
    if (i < b) V::storen(y + i, geluVec(V::loadn(x + i, (int)(b - i))), (int)(b - i));
  };
  pfor((n + EW_CHUNK - 1) / EW_CHUNK, nthFor((double)n, 32768.0), f);
}

static void geluBwd(const float* x, const float* dy, float* dx, long n) {
  auto f = [&](long ci) {
    const long a = ci * EW_CHUNK, b = lmin(n, a + EW_CHUNK);
    long i = a;
    for (; i + L <= b; i += L) V::store(dx + i, geluGradVec(V::load(x + i), V::load(dy + i)));
    if (i < b) {
      const int m = (int)(b - i);
      V::storen(dx + i, geluGradVec(V::loadn(x + i, m), V::loadn(dy + i, m)), m);
    }
  };
  pfor((n + EW_CHUNK - 1) / EW_CHUNK, nthFor((double)n, 32768.0), f);
}

// ReLU (T5's feed-forward): y = max(x, 0); dx = dy where x > 0, else 0 (tf.relu and its gradient).
static void reluFwd(const float* x, float* y, long n) {
  auto f = [&](long ci) {
    const long a = ci * EW_CHUNK, b = lmin(n, a + EW_CHUNK);
    long i = a;
    for (; i + L <= b; i += L) V::store(y + i, V::max(V::load(x + i), V::zero()));
    if (i < b) V::storen(y + i, V::max(V::loadn(x + i, (int)(b - i)), V::zero()), (int)(b - i));
  };
  pfor((n + EW_CHUNK - 1) / EW_CHUNK, nthFor((double)n, 32768.0), f);
}

static void reluBwd(const float* x, const float* dy, float* dx, long n) {
  const T z = V::zero();
  auto f = [&](long ci) {
    const long a = ci * EW_CHUNK, b = lmin(n, a + EW_CHUNK);
    long i = a;
    for (; i + L <= b; i += L) V::store(dx + i, V::sel_ge(z, V::load(x + i), z, V::load(dy + i)));
    if (i < b) {
      const int m = (int)(b - i);
      V::storen(dx + i, V::sel_ge(z, V::loadn(x + i, m), z, V::loadn(dy + i, m)), m);
    }
  };
  pfor((n + EW_CHUNK - 1) / EW_CHUNK, nthFor((double)n, 32768.0), f);
}

// ---------------------------------------------------------------------------------------
// Row-wise kernels.

static inline float rowSum(const float* p, int n) {
  T s0 = V::zero(), s1 = V::zero();
  int j = 0;
  for (; j + 2 * L <= n; j += 2 * L) {
    s0 = V::add(s0, V::load(p + j));
    s1 = V::add(s1, V::load(p + j + L));
  }
  for (; j + L <= n; j += L) s0 = V::add(s0, V::load(p + j));
  if (j < n) s1 = V::add(s1, V::loadn(p + j, n - j));
  return V::hsum(V::add(s0, s1));
}

// Mean and 1/sqrt(var + eps) (two passes, biased variance; rstd via float64 as in asm).
static inline void rowStats(const float* p, int n, float eps, float* mean, float* rstd) {
  const float m = rowSum(p, n) / (float)n;
  const T mv = V::set1(m);
  T q0 = V::zero(), q1 = V::zero();
  int j = 0;
  for (; j + 2 * L <= n; j += 2 * L) {
    const T d0 = V::sub(V::load(p + j), mv), d1 = V::sub(V::load(p + j + L), mv);
    q0 = V::add(q0, V::mul(d0, d0));
    q1 = V::add(q1, V::mul(d1, d1));
  }
  for (; j + L <= n; j += L) {
    const T d0 = V::sub(V::load(p + j), mv);
    q0 = V::add(q0, V::mul(d0, d0));
  }
  float v = V::hsum(V::add(q0, q1));
  for (; j < n; j++) {
    const float d = p[j] - m;
    v += d * d;
  }
  *mean = m;
  *rstd = (float)(1.0 / __builtin_sqrt((double)v / (double)n + (double)eps));
}

static void layerNormFwd(const float* x, const float* gamma, const float* beta, float* y, long rows, int C,
                         float eps) {
  if (rows <= 0 || C <= 0) return;
  const long per = lmax(1, 8192 / C);
  auto f = [&](long ci) {
    const long r1 = lmin(rows, (ci + 1) * per);
    for (long r = ci * per; r < r1; r++) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      float mean, rstd;
      rowStats(xr, C, eps, &mean, &rstd);
      const T mv = V::set1(mean), rv = V::set1(rstd);
      int j = 0;
      for (; j + L <= C; j += L) {
        const T xh = V::mul(V::sub(V::load(xr + j), mv), rv);
        V::store(yr + j, V::add(V::mul(xh, V::load(gamma + j)), V::load(beta + j)));
      }
      if (j < C) {
        const int m = C - j;
        const T xh = V::mul(V::sub(V::loadn(xr + j, m), mv), rv);
        V::storen(yr + j, V::add(V::mul(xh, V::loadn(gamma + j, m)), V::loadn(beta + j, m)), m);
      }
    }
  };
  pfor((rows + per - 1) / per, nthFor((double)rows * C, 32768.0), f);
}

// dgamma / dbeta: float64 partial sums per fixed chunk of LN_CHUNK rows, added in chunk order.
static const long LN_CHUNK = 32;

static void layerNormBwd(const float* x, const float* gamma, const float* dy, float* dx, float* dgamma,
                         float* dbeta, long rows, int C, float eps) {
  if (C <= 0) return;
  const long nch = (rows + LN_CHUNK - 1) / LN_CHUNK;
  const long stride = ((long)C + 2 * L) & ~(long)(L - 1);  // doubles per partial row, padded
  double* part = (double*)pl::scratch(2, (size_t)(nch > 0 ? nch : 1) * 2 * stride * 8);
  const float invC = 1.0f / (float)C;
  auto f = [&](long ci) {
    double* accG = part + ci * 2 * stride;
    double* accB = accG + stride;
    __builtin_memset(accG, 0, (size_t)2 * stride * 8);
    const long r1 = lmin(rows, (ci + 1) * LN_CHUNK);
    float tg[L], tb[L];
    for (long r = ci * LN_CHUNK; r < r1; r++) {
      const float* xr = x + r * C;
      const float* gr = dy + r * C;
      float* dr = dx + r * C;
      float mean, rstd;
      rowStats(xr, C, eps, &mean, &rstd);
      const T mv = V::set1(mean), rv = V::set1(rstd);
      T m1v = V::zero(), m2v = V::zero();
      int j = 0;
      for (; j + L <= C; j += L) {
        const T xh = V::mul(V::sub(V::load(xr + j), mv), rv);
        const T gy = V::load(gr + j);
        V::addf64(accG + j, V::mul(gy, xh));
        V::addf64(accB + j, gy);
        const T dxh = V::mul(gy, V::load(gamma + j));
        m1v = V::add(m1v, dxh);
        m2v = V::add(m2v, V::mul(dxh, xh));
      }
      if (j < C) {
        const int m = C - j;
        const T xh = V::mul(V::sub(V::loadn(xr + j, m), mv), rv);
        const T gy = V::loadn(gr + j, m);
        V::store(tg, V::mul(gy, xh));
        V::store(tb, gy);
        for (int q = 0; q < m; q++) {
          accG[j + q] += (double)tg[q];
          accB[j + q] += (double)tb[q];
        }
        const T dxh = V::mul(gy, V::loadn(gamma + j, m));
        m1v = V::add(m1v, dxh);
        m2v = V::add(m2v, V::mul(dxh, xh));
      }
      const float m1 = V::hsum(m1v) * invC, m2 = V::hsum(m2v) * invC;
      const T m1s = V::set1(m1), m2s = V::set1(m2);
      j = 0;
      for (; j + L <= C; j += L) {
        const T xh = V::mul(V::sub(V::load(xr + j), mv), rv);
        const T t = V::sub(V::sub(V::mul(V::load(gr + j), V::load(gamma + j)), m1s), V::mul(xh, m2s));
        V::store(dr + j, V::mul(rv, t));
      }
      if (j < C) {
        const int m = C - j;
        const T xh = V::mul(V::sub(V::loadn(xr + j, m), mv), rv);
        const T t = V::sub(V::sub(V::mul(V::loadn(gr + j, m), V::loadn(gamma + j, m)), m1s), V::mul(xh, m2s));
        V::storen(dr + j, V::mul(rv, t), m);
      }
    }
  };
  pfor(nch, nthFor((double)rows * C, 16384.0), f);
  for (int j = 0; j < C; j++) {
    double sg = 0, sb = 0;
    for (long ci = 0; ci < nch; ci++) {
      sg += part[ci * 2 * stride + j];
      sb += part[ci * 2 * stride + stride + j];
    }
    dgamma[j] = (float)sg;
    dbeta[j] = (float)sb;
  }
}

// T5's RMS norm: y = x * r * w with r = 1/sqrt(mean(x^2) + eps) per row (r via float64, as
// rowStats). The backward keeps dw in float64 partial sums per LN_CHUNK rows, added in chunk order.
static inline float rowRms(const float* p, int n, float eps) {
  T q0 = V::zero(), q1 = V::zero();
  int j = 0;
  for (; j + 2 * L <= n; j += 2 * L) {
    const T a = V::load(p + j), b = V::load(p + j + L);
    q0 = V::fma(a, a, q0);
    q1 = V::fma(b, b, q1);
  }
  for (; j + L <= n; j += L) {
    const T a = V::load(p + j);
    q0 = V::fma(a, a, q0);
  }
  if (j < n) {
    const T a = V::loadn(p + j, n - j);
    q1 = V::fma(a, a, q1);
  }
  const float ms = V::hsum(V::add(q0, q1)) / (float)n;
  return (float)(1.0 / __builtin_sqrt((double)ms + (double)eps));
}

static void rmsNormFwd(const float* x, const float* w, float* y, long rows, int C, float eps) {
  if (rows <= 0 || C <= 0) return;
  const long per = lmax(1, 8192 / C);
  auto f = [&](long ci) {
    const long r1 = lmin(rows, (ci + 1) * per);
    for (long r = ci * per; r < r1; r++) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      const T rv = V::set1(rowRms(xr, C, eps));
      int j = 0;
      for (; j + L <= C; j += L) V::store(yr + j, V::mul(V::mul(V::load(xr + j), rv), V::load(w + j)));
      if (j < C) {
        const int m = C - j;
        V::storen(yr + j, V::mul(V::mul(V::loadn(xr + j, m), rv), V::loadn(w + j, m)), m);
      }
    }
  };
  pfor((rows + per - 1) / per, nthFor((double)rows * C, 32768.0), f);
}

// dx = r * (dy*w - xh * mean(dy*w*xh)) with xh = x*r; dw = sum over rows of dy*xh.
static void rmsNormBwd(const float* x, const float* w, const float* dy, float* dx, float* dw, long rows, int C,
                       float eps) {
  if (C <= 0) return;
  const long nch = (rows + LN_CHUNK - 1) / LN_CHUNK;
  const long stride = ((long)C + 2 * L) & ~(long)(L - 1);
  double* part = (double*)pl::scratch(2, (size_t)(nch > 0 ? nch : 1) * stride * 8);
  const float invC = 1.0f / (float)C;
  auto f = [&](long ci) {
    double* acc = part + ci * stride;
    __builtin_memset(acc, 0, (size_t)stride * 8);
    const long r1 = lmin(rows, (ci + 1) * LN_CHUNK);
    float tg[L];
    for (long r = ci * LN_CHUNK; r < r1; r++) {
      const float* xr = x + r * C;
      const float* gr = dy + r * C;
      float* dr = dx + r * C;
      const T rv = V::set1(rowRms(xr, C, eps));
      T mv = V::zero();
      int j = 0;
      for (; j + L <= C; j += L) {
        const T xh = V::mul(V::load(xr + j), rv);
        const T gy = V::load(gr + j);
        V::addf64(acc + j, V::mul(gy, xh));
        mv = V::add(mv, V::mul(V::mul(gy, V::load(w + j)), xh));
      }
      if (j < C) {
        const int m = C - j;
        const T xh = V::mul(V::loadn(xr + j, m), rv);
        const T gy = V::loadn(gr + j, m);
        V::store(tg, V::mul(gy, xh));
        for (int q = 0; q < m; q++) acc[j + q] += (double)tg[q];
        mv = V::add(mv, V::mul(V::mul(gy, V::loadn(w + j, m)), xh));
      }
      const T ms = V::set1(V::hsum(mv) * invC);
      j = 0;
      for (; j + L <= C; j += L) {
        const T xh = V::mul(V::load(xr + j), rv);
        const T t = V::sub(V::mul(V::load(gr + j), V::load(w + j)), V::mul(xh, ms));
        V::store(dr + j, V::mul(rv, t));
      }
      if (j < C) {
        const int m = C - j;
        const T xh = V::mul(V::loadn(xr + j, m), rv);
        const T t = V::sub(V::mul(V::loadn(gr + j, m), V::loadn(w + j, m)), V::mul(xh, ms));
        V::storen(dr + j, V::mul(rv, t), m);
      }
    }
  };
  pfor(nch, nthFor((double)rows * C, 16384.0), f);
  for (int j = 0; j < C; j++) {
    double s = 0;
    for (long ci = 0; ci < nch; ci++) s += part[ci * stride + j];
    dw[j] = (float)s;
  }
}

// p[0..n) = softmax(x * scale + bias) (bias 0: no add, as adding +0 changes nothing).
static inline void softmaxRow(const float* xr, float* pr, int n, float scale, float bias) {
  const T sv = V::set1(scale), bv = V::set1(bias);
  const bool hasBias = bias != 0.0f;
  T mv = V::set1(-__builtin_inff());
  int j = 0;
  for (; j + L <= n; j += L) {
    T v = V::mul(V::load(xr + j), sv);
    if (hasBias) v = V::add(v, bv);
    mv = V::max(mv, v);
  }
  float mx = V::hmax(mv);
  for (; j < n; j++) {
    float v = xr[j] * scale;
    if (hasBias) v += bias;
    mx = mx > v ? mx : v;
  }
  const T mxv = V::set1(mx);
  T s = V::zero();
  j = 0;
  for (; j + L <= n; j += L) {
    T v = V::mul(V::load(xr + j), sv);
    if (hasBias) v = V::add(v, bv);
    const T e = expv(V::sub(v, mxv));
    V::store(pr + j, e);
    s = V::add(s, e);
  }
  if (j < n) {
    const int m = n - j;
    T v = V::mul(V::loadn(xr + j, m), sv);
    if (hasBias) v = V::add(v, bv);
    float t[L];
    V::store(t, expv(V::sub(v, mxv)));
    for (int q = m; q < L; q++) t[q] = 0.0f;
    const T em = V::load(t);
    V::storen(pr + j, em, m);
    s = V::add(s, em);
  }
  const float inv = 1.0f / V::hsum(s);
  const T iv = V::set1(inv);
  j = 0;
  for (; j + L <= n; j += L) V::store(pr + j, V::mul(V::load(pr + j), iv));
  if (j < n) V::storen(pr + j, V::mul(V::loadn(pr + j, n - j), iv), n - j);
}

static inline long rowsPerChunk(int S) { return lmax(1, 16384 / (S > 0 ? S : 1)); }

static void attnSoftmaxFwd(const float* x, float* p, long rows, int T_, int S, float scale, int causal) {
  if (rows <= 0 || S <= 0) return;
  const int off = S - T_;
  const long per = rowsPerChunk(S);
  auto f = [&](long ci) {
    const long r1 = lmin(rows, (ci + 1) * per);
    for (long row = ci * per; row < r1; row++) {
      const float* xr = x + row * S;
      float* pr = p + row * S;
      const int t = (int)(row % T_);
      const int last = causal ? imin(S - 1, t + off) : S - 1;
      if (last < 0) {
        softmaxRow(xr, pr, S, scale, -1e9f);
        continue;
      }
      softmaxRow(xr, pr, last + 1, scale, 0.0f);
      if (last + 1 < S) __builtin_memset(pr + last + 1, 0, (size_t)(S - last - 1) * 4);
    }
  };
  pfor((rows + per - 1) / per, nthFor((double)rows * S, 8192.0), f);
}

// dx = (scale * p) * (dy - dot(p, dy)) over the first n entries; zeros after.
static inline void softmaxBwdRow(const float* pr, const float* gr, float* dr, int n, int S, float scale) {
  T dv = V::zero();
  int j = 0;
  for (; j + L <= n; j += L) dv = V::add(dv, V::mul(V::load(pr + j), V::load(gr + j)));
  if (j < n) dv = V::add(dv, V::mul(V::loadn(pr + j, n - j), V::loadn(gr + j, n - j)));
  const float dot = V::hsum(dv);
  const T dotv = V::set1(dot), sv = V::set1(scale);
  j = 0;
  for (; j + L <= n; j += L)
    V::store(dr + j, V::mul(V::mul(sv, V::load(pr + j)), V::sub(V::load(gr + j), dotv)));
  if (j < n) {
    const int m = n - j;
    V::storen(dr + j, V::mul(V::mul(sv, V::loadn(pr + j, m)), V::sub(V::loadn(gr + j, m), dotv)), m);
  }
  if (n < S) __builtin_memset(dr + n, 0, (size_t)(S - n) * 4);
}

static void attnSoftmaxBwd(const float* p, const float* dy, float* dx, long rows, int T_, int S, float scale,
                           int causal) {
  if (rows <= 0 || S <= 0) return;
  const int off = S - T_;
  const long per = rowsPerChunk(S);
  auto f = [&](long ci) {
    const long r1 = lmin(rows, (ci + 1) * per);
    for (long row = ci * per; row < r1; row++) {
      const int t = (int)(row % T_);
      int last = causal ? imin(S - 1, t + off) : S - 1;
      if (last < 0) last = S - 1;
      softmaxBwdRow(p + row * S, dy + row * S, dx + row * S, last + 1, S, scale);
    }
  };
  pfor((rows + per - 1) / per, nthFor((double)rows * S, 16384.0), f);
}

// Masked attention softmax (native only). Logit v[s] = x*scale (+ bias[h,t,s] or bias[b,h,t,s]);
// key s is masked when causal and s > t + (S - T), or when pad and pad[b, s] == 0. A row with an
// unmasked key: softmax over the unmasked keys, masked ones exactly 0 (what exp(v - 1e9 - max)
// underflows to). A fully masked row: the literal form, softmax over all S of
// ((x*scale + bias) + (causal-masked ? -1e9 : 0)) + (pad-masked ? -1e9 : 0), in float32 and in that
// order (uniform when every key gets the same mask terms and |x*scale + bias| << 64).
static void attnSoftmaxMaskedFwd(const float* x, float* p, int B, int H, int T_, int S, float scale, int causal,
                                 const float* bias, int biasBatched, const float* pad) {
  if (B <= 0 || H <= 0 || T_ <= 0 || S <= 0) return;
  const long rows = (long)B * H * T_;
  const int off = S - T_;
  const long per = rowsPerChunk(S);
  const float NEG_INF = -__builtin_inff();
  auto f = [&](long ci) {
    const long r1 = lmin(rows, (ci + 1) * per);
    for (long row = ci * per; row < r1; row++) {
      const int t = (int)(row % T_);
      const long bh = row / T_;
      const int b = (int)(bh / H);
      const int h = (int)(bh % H);
      const float* xr = x + row * S;
      float* pr = p + row * S;
      const float* br = bias == nullptr ? nullptr : biasBatched ? bias + row * S : bias + ((long)h * T_ + t) * S;
      const float* kr = pad == nullptr ? nullptr : pad + (long)b * S;
      int n = causal ? imin(S, t + off + 1) : S;
      if (n < 0) n = 0;
      int live = n;
      if (kr != nullptr) {
        live = 0;
        for (int s = 0; s < n; s++) live += kr[s] != 0.0f;
      }
      if (live == 0) {
        // Fully masked: the literal form over every key.
        float mx = NEG_INF;
        for (int s = 0; s < S; s++) {
          float v = xr[s] * scale;
          if (br != nullptr) v = v + br[s];
          if (causal && s > t + off) v = v + -1e9f;
          if (kr != nullptr && kr[s] == 0.0f) v = v + -1e9f;
          pr[s] = v;
          mx = mx > v ? mx : v;
        }
        float sum = 0.0f;
        for (int s = 0; s < S; s++) {
          // Keys a whole mask term below the row's top underflow to 0, as exp() would.
          const float d = pr[s] - mx;
          pr[s] = d < -87.0f ? 0.0f : exps(d);
          sum += pr[s];
        }
        const float inv = 1.0f / sum;
        for (int s = 0; s < S; s++) pr[s] *= inv;
        continue;
      }
      if (br == nullptr && kr == nullptr) {
        softmaxRow(xr, pr, n, scale, 0.0f);
      } else {
        // Logits into pr (masked keys -inf), then exp, masked keys exactly 0.
        const T sv = V::set1(scale), ninf = V::set1(NEG_INF);
        T mv = ninf;
        int j = 0;
        for (; j < n; j += L) {
          const int m = imin(L, n - j);
          T v = V::mul(V::loadn(xr + j, m), sv);
          if (br != nullptr) v = V::add(v, V::loadn(br + j, m));
          if (kr != nullptr) v = V::sel_eq(V::loadn(kr + j, m), V::zero(), ninf, v);
          if (m < L) {
            float tt[L];
            V::store(tt, v);
            for (int q = m; q < L; q++) tt[q] = NEG_INF;
            v = V::load(tt);
          }
          V::storen(pr + j, v, m);
          mv = V::max(mv, v);
        }
        const T mxv = V::set1(V::hmax(mv));
        T s = V::zero();
        for (j = 0; j < n; j += L) {
          const int m = imin(L, n - j);
          const T v = V::loadn(pr + j, m);
          T e = V::sel_eq(v, ninf, V::zero(), expv(V::sub(v, mxv)));
          if (m < L) {
            float tt[L];
            V::store(tt, e);
            for (int q = m; q < L; q++) tt[q] = 0.0f;
            e = V::load(tt);
          }
          V::storen(pr + j, e, m);
          s = V::add(s, e);
        }
        const T iv = V::set1(1.0f / V::hsum(s));
        for (j = 0; j < n; j += L) {
          const int m = imin(L, n - j);
          V::storen(pr + j, V::mul(V::loadn(pr + j, m), iv), m);
        }
      }
      if (n < S) __builtin_memset(pr + n, 0, (size_t)(S - n) * 4);
    }
  };
  pfor((rows + per - 1) / per, nthFor((double)rows * S, 8192.0), f);
}

// Backward of the masked softmax over whole rows (a fully masked row can carry probability past
// the causal limit, so `causal` does not shorten rows here; p is 0 at masked keys otherwise).
static void attnSoftmaxMaskedBwd(const float* p, const float* dy, float* dx, int B, int H, int T_, int S,
                                 float scale, int causal) {
  (void)causal;
  if (B <= 0 || H <= 0 || T_ <= 0 || S <= 0) return;
  const long rows = (long)B * H * T_;
  const long per = rowsPerChunk(S);
  auto f = [&](long ci) {
    const long r1 = lmin(rows, (ci + 1) * per);
    for (long row = ci * per; row < r1; row++) softmaxBwdRow(p + row * S, dy + row * S, dx + row * S, S, S, scale);
  };
  pfor((rows + per - 1) / per, nthFor((double)rows * S, 16384.0), f);
}

// out[c] = sum over rows: per block of 16 rows, in float32 for columns below C & ~3 and in
// float64 for the last C % 4 columns; blocks added in float64. That is asm's sequence per column,
// so results equal asm's bit for bit. Threads split columns.
static const int CS_COLS = 64;
static void colSum(const float* x, float* out, long N, int C) {
  if (C <= 0) return;
  const int C4 = C & ~3;
  const long nch = (C + CS_COLS - 1) / CS_COLS;
  auto f = [&](long ci) {
    const int c0 = (int)(ci * CS_COLS), c1 = imin(C, c0 + CS_COLS);
    const int cv = imin(c1, C4 > c0 ? C4 : c0);  // [c0, cv): float32 block sums
    double acc[CS_COLS + 2 * L];
    __builtin_memset(acc, 0, sizeof(acc));
    float t[L];
    for (long n0 = 0; n0 < N; n0 += 16) {
      const long nb = lmin(16, N - n0);
      for (int j = c0; j < cv; j += L) {
        const int m = imin(L, cv - j);
        const float* px = x + n0 * C + j;
        T s = V::zero();
        if (m == L) {
          for (long r = 0; r < nb; r++) s = V::add(s, V::load(px + r * C));
          V::addf64(acc + (j - c0), s);
        } else {
          for (long r = 0; r < nb; r++) s = V::add(s, V::loadn(px + r * C, m));
          V::store(t, s);
          for (int q = 0; q < m; q++) acc[j - c0 + q] += (double)t[q];
        }
      }
      for (int j = cv; j < c1; j++) {
        double s = 0.0;
        for (long r = 0; r < nb; r++) s += (double)x[(n0 + r) * C + j];
        acc[j - c0] += s;
      }
    }
    for (int j = c0; j < c1; j++) out[j] = (float)acc[j - c0];
  };
  pfor(nch, nthFor((double)N * C, 65536.0), f);
}

static void broadcastRows(const float* b, float* y, long N, int C) {
  if (C <= 0) return;
  const size_t bytes = (size_t)C * 4;
  const long per = lmax(1, 16384 / C);
  auto f = [&](long ci) {
    const long r1 = lmin(N, (ci + 1) * per);
    for (long r = ci * per; r < r1; r++) __builtin_memcpy(y + r * C, b, bytes);
  };
  pfor((N + per - 1) / per, nthFor((double)N * C, 262144.0), f);
}

// ---------------------------------------------------------------------------------------
// Cross-entropy (mean over rows with target >= 0; a target >= V counts but contributes 0).

static inline int readTarget(const void* t, long n, int isInt) {
  if (isInt) return ((const int32_t*)t)[n];
  const float f = ((const float*)t)[n];
  if (!(f >= 0.0f)) return -1;
  if (f >= 2147483520.0f) return 2147483647;
  return (int)f;
}

static inline void rowMaxSumExp(const float* lr, int V_, float* mxOut, float* sumOut) {
  T mv = V::set1(-__builtin_inff());
  int j = 0;
  for (; j + L <= V_; j += L) mv = V::max(mv, V::load(lr + j));
  float mx = V::hmax(mv);
  for (; j < V_; j++) mx = mx > lr[j] ? mx : lr[j];
  const T mxv = V::set1(mx);
  T s = V::zero();
  j = 0;
  for (; j + L <= V_; j += L) s = V::add(s, expv(V::sub(V::load(lr + j), mxv)));
  float sum = V::hsum(s);
  for (; j < V_; j++) sum += exps(lr[j] - mx);
  *mxOut = mx;
  *sumOut = sum;
}

static double crossEntropyFwd(const float* logits, const void* targets, int isInt, long N, int V_) {
  if (N <= 0) return 0.0;
  long count = 0;
  for (long n = 0; n < N; n++) count += readTarget(targets, n, isInt) >= 0;
  // Per-row terms, then summed in row order (asm's order).
  double* term = (double*)pl::scratch(2, (size_t)N * 8);
  const long per = rowsPerChunk(V_);
  auto f = [&](long ci) {
    const long r1 = lmin(N, (ci + 1) * per);
    for (long n = ci * per; n < r1; n++) {
      const int tgt = readTarget(targets, n, isInt);
      term[n] = 0.0;
      if (tgt < 0 || tgt >= V_) continue;
      const float* lr = logits + n * V_;
      float mx, sum;
      rowMaxSumExp(lr, V_, &mx, &sum);
      term[n] = (double)mx + __builtin_log((double)sum) - (double)lr[tgt];
    }
  };
  pfor((N + per - 1) / per, nthFor((double)N * V_, 8192.0), f);
  double total = 0.0;
  for (long n = 0; n < N; n++) {
    const int tgt = readTarget(targets, n, isInt);
    if (tgt >= 0 && tgt < V_) total += term[n];
  }
  return total / (double)(count > 1 ? count : 1);
}

static void crossEntropyBwd(const float* logits, const void* targets, int isInt, long N, int V_, float g,
                            float* dx) {
  if (N <= 0) return;
  long count = 0;
  for (long n = 0; n < N; n++) count += readTarget(targets, n, isInt) >= 0;
  const float scale = g / (float)(count > 1 ? count : 1);
  const long per = rowsPerChunk(V_);
  auto f = [&](long ci) {
    const long r1 = lmin(N, (ci + 1) * per);
    for (long n = ci * per; n < r1; n++) {
      const float* lr = logits + n * V_;
      float* dr = dx + n * V_;
      const int tgt = readTarget(targets, n, isInt);
      if (tgt < 0 || tgt >= V_) {
        __builtin_memset(dr, 0, (size_t)V_ * 4);
        continue;
      }
      float mx, sum;
      rowMaxSumExp(lr, V_, &mx, &sum);
      const float k = scale / sum;
      const T mxv = V::set1(mx), kv = V::set1(k);
      int j = 0;
      for (; j + L <= V_; j += L) V::store(dr + j, V::mul(kv, expv(V::sub(V::load(lr + j), mxv))));
      for (; j < V_; j++) dr[j] = k * exps(lr[j] - mx);
      dr[tgt] = dr[tgt] - scale;
    }
  };
  pfor((N + per - 1) / per, nthFor((double)N * V_, 8192.0), f);
}

// One row of crossEntropyGrad: writes dr = (softmax(lr) - onehot(tgt)) * scale (dr may be lr) and
// returns the row's loss term (tgt in [0, V)).
static inline double ceGradRow(const float* lr, float* dr, int tgt, int V_, float scale) {
  T mv = V::set1(-__builtin_inff());
  int j = 0;
  for (; j + L <= V_; j += L) mv = V::max(mv, V::load(lr + j));
  float mx = V::hmax(mv);
  for (; j < V_; j++) mx = mx > lr[j] ? mx : lr[j];
  const float lt = lr[tgt];
  const T mxv = V::set1(mx);
  T s = V::zero();
  for (j = 0; j + L <= V_; j += L) {
    const T e = expv(V::sub(V::load(lr + j), mxv));
    V::store(dr + j, e);
    s = V::add(s, e);
  }
  float sum = V::hsum(s);
  for (; j < V_; j++) {
    const float e = exps(lr[j] - mx);
    dr[j] = e;
    sum += e;
  }
  const double term = (double)mx + __builtin_log((double)sum) - (double)lt;
  const float k = scale / sum;
  const T kv = V::set1(k);
  for (j = 0; j + L <= V_; j += L) V::store(dr + j, V::mul(kv, V::load(dr + j)));
  for (; j < V_; j++) dr[j] = k * dr[j];
  dr[tgt] = dr[tgt] - scale;
  return term;
}

static inline long ceCount(const void* targets, int isInt, long N) {
  long count = 0;
  for (long n = 0; n < N; n++) count += readTarget(targets, n, isInt) >= 0;
  return count;
}

static inline double ceTotal(const double* term, const void* targets, int isInt, long N, int V_, long count) {
  double total = 0.0;
  for (long n = 0; n < N; n++) {
    const int tgt = readTarget(targets, n, isInt);
    if (tgt >= 0 && tgt < V_) total += term[n];
  }
  return total / (double)(count > 1 ? count : 1);
}

// Loss and gradient in one pass per row (the fused vocabulary cross-entropy's forward): the mean
// loss over rows with a target, and dx = (softmax - onehot) / count, 0 in rows without one; dx
// may be logits itself. Each exp is computed once (crossEntropyFwd + crossEntropyBwd compute it
// three times), with the same arithmetic as those two at g = 1, so loss and dx equal theirs bit
// for bit.
static double crossEntropyGrad(const float* logits, const void* targets, int isInt, long N, int V_, float* dx) {
  if (N <= 0) return 0.0;
  const long count = ceCount(targets, isInt, N);
  const float scale = 1.0f / (float)(count > 1 ? count : 1);
  double* term = (double*)pl::scratch(2, (size_t)N * 8);
  const long per = rowsPerChunk(V_);
  auto f = [&](long ci) {
    const long r1 = lmin(N, (ci + 1) * per);
    for (long n = ci * per; n < r1; n++) {
      float* dr = dx + n * V_;
      const int tgt = readTarget(targets, n, isInt);
      term[n] = 0.0;
      if (tgt < 0 || tgt >= V_) {
        __builtin_memset(dr, 0, (size_t)V_ * 4);
        continue;
      }
      term[n] = ceGradRow(logits + n * V_, dr, tgt, V_, scale);
    }
  };
  pfor((N + per - 1) / per, nthFor((double)N * V_, 8192.0), f);
  return ceTotal(term, targets, isInt, N, V_, count);
}

// The whole vocabulary head in one call, forward and backward: logits = h @ table^T (+ bias) for
// rows h [M, C], the mean cross-entropy against targets [M] (returned), and, when dh is not null,
// its gradient at dy = 1: dh [M, C], dt [V, C] and db [V] (when bias). It works on chunks of
// KC = 256 rows, whose logits (KC x V) stay in the thread's scratch instead of an M x V array
// read three times. Every output equals the unfused path's bit for bit (sgemm for the logits,
// crossEntropyGrad, then dl @ table, dl^T @ h and colSum(dl)): a chunk is exactly one KC block
// of the K = M product dl^T @ h, so the unfused sgemm's "C = acc, then C = C + acc per block"
// is dt = p0 + p1 + ... over the chunks' partials in order, and the bias gradient keeps colSum's
// 16-row float sums accumulated in double in row order.
static double vocabCE(const float* h, const float* table, const float* bias, const void* targets, int isInt, long M,
                      int V_, int C, float* dh, float* dt, float* db) {
  if (M <= 0 || V_ <= 0) return 0.0;
  const long count = ceCount(targets, isInt, M);
  const float scale = 1.0f / (float)(count > 1 ? count : 1);
  const bool grad = dh != nullptr;
  const long nch = (M + KC - 1) / KC;
  const int C4 = V_ & ~3;  // colSum's float32 columns; the rest are summed in double
  double* term = (double*)pl::scratch(2, (size_t)M * 8);
  // Shared partials (the calling thread's slot 5): dt per chunk after the first, then the bias
  // sums per 16-row group.
  const size_t dtBytes = grad && nch > 1 ? (size_t)(nch - 1) * V_ * C * 4 : 0;
  const size_t dbBytes = grad && bias ? (size_t)nch * (KC / 16) * V_ * 8 : 0;
  uint8_t* shared = (uint8_t*)pl::scratch(5, dtBytes + dbBytes + 64);
  float* dtp = (float*)shared;
  double* dbp = (double*)(shared + dtBytes);
  auto f = [&](long ci) {
    const long r0 = ci * KC;
    const int rows = (int)lmin(KC, M - r0);
    float* lg = (float*)pl::scratch(4, (size_t)rows * V_ * 4);
    const int big = V_ > rows ? V_ : rows;
    float* pa = (float*)scratchA(big);
    float* pb = (float*)scratchB(big > C ? big : C);
    const float* hr = h + r0 * C;
    if (bias)
      for (int i = 0; i < rows; i++) __builtin_memcpy(lg + (long)i * V_, bias, (size_t)V_ * 4);
    gemm1(rows, V_, C, hr, C, 1, table, 1, C, lg, V_, bias != nullptr, isSmall(rows, V_, C), pa, pb);
    for (int i = 0; i < rows; i++) {
      const int tgt = readTarget(targets, r0 + i, isInt);
      float* lr = lg + (long)i * V_;
      term[r0 + i] = 0.0;
      if (tgt < 0 || tgt >= V_) {
        __builtin_memset(lr, 0, (size_t)V_ * 4);
        continue;
      }
      term[r0 + i] = ceGradRow(lr, lr, tgt, V_, scale);
    }
    if (!grad) return;
    float* dst = ci == 0 ? dt : dtp + (ci - 1) * (long)V_ * C;
    if (C >= NR) {
      gemm1(rows, C, V_, lg, V_, 1, table, C, 1, dh + r0 * C, C, false, isSmall(rows, C, V_), pa, pb);
      gemm1(V_, C, rows, lg, 1, V_, hr, C, 1, dst, C, false, isSmall(V_, C, rows), pa, pb);
    } else if (C > 0) {
      // A width under one register tile's NR columns: compute dh^T = table^T @ dl^T and
      // dt^T = h^T @ dl (full tiles along the long side) and transpose. Each element is the
      // same fma chain over the same k in order (fma(a, b, c) = fma(b, a, c)), so the same bits.
      float* tmp = (float*)pl::scratch(3, (size_t)C * (V_ > rows ? V_ : rows) * 4);
      gemm1(C, rows, V_, table, 1, C, lg, 1, V_, tmp, rows, false, isSmall(C, rows, V_), pa, pb);
      for (int i = 0; i < rows; i++)
        for (int c = 0; c < C; c++) dh[(r0 + i) * C + c] = tmp[(long)c * rows + i];
      gemm1(C, V_, rows, hr, 1, C, lg, V_, 1, tmp, V_, false, isSmall(C, V_, rows), pa, pb);
      for (int v = 0; v < V_; v++)
        for (int c = 0; c < C; c++) dst[(long)v * C + c] = tmp[(long)c * V_ + v];
    }
    if (bias) {
      double* gs = dbp + ci * (KC / 16) * (long)V_;
      for (int g0 = 0; g0 < rows; g0 += 16) {
        const int nb = imin(16, rows - g0);
        double* out = gs + (g0 / 16) * (long)V_;
        int j = 0;
        for (; j + L <= C4; j += L) {
          T s = V::zero();
          for (int r = 0; r < nb; r++) s = V::add(s, V::load(lg + (long)(g0 + r) * V_ + j));
          float t[L];
          V::store(t, s);
          for (int q = 0; q < L; q++) out[j + q] = (double)t[q];
        }
        for (; j < C4; j++) {
          float s = 0.0f;
          for (int r = 0; r < nb; r++) s = s + lg[(long)(g0 + r) * V_ + j];
          out[j] = (double)s;
        }
        for (; j < V_; j++) {
          double s = 0.0;
          for (int r = 0; r < nb; r++) s += (double)lg[(long)(g0 + r) * V_ + j];
          out[j] = s;
        }
      }
    }
  };
  pfor(nch, nthFor((double)M * V_ * (C > 0 ? C : 1), 1048576.0), f);
  if (grad) {
    if (C > 0)
      for (long ci = 1; ci < nch; ci++) {
        const float* p = dtp + (ci - 1) * (long)V_ * C;
        const long n = (long)V_ * C;
        long i = 0;
        for (; i + L <= n; i += L) V::store(dt + i, V::add(V::load(dt + i), V::load(p + i)));
        for (; i < n; i++) dt[i] = dt[i] + p[i];
      }
    if (bias) {
      const long groups = (M + 15) / 16;
      for (int j = 0; j < V_; j++) {
        double acc = 0.0;
        for (long g = 0; g < groups; g++) acc += dbp[g * V_ + j];
        db[j] = (float)acc;
      }
    }
  }
  return ceTotal(term, targets, isInt, M, V_, count);
}

// ---------------------------------------------------------------------------------------
// Data movement and the optimizer.

static void copyBlocks(const uint8_t* src, uint8_t* dst, long n1, long n2, long bytes, long s1, long s2, long d1,
                       long d2) {
  if (n1 <= 0 || n2 <= 0 || bytes <= 0) return;
  const long total = n1 * n2;
  const long per = lmax(1, 65536 / bytes);
  auto f = [&](long ci) {
    const long e = lmin(total, (ci + 1) * per);
    for (long q = ci * per; q < e; q++) {
      const long i = q / n2, j = q % n2;
      __builtin_memmove(dst + i * d1 + j * d2, src + i * s1 + j * s2, (size_t)bytes);
    }
  };
  pfor((total + per - 1) / per, nthFor((double)total * bytes, 1048576.0), f);
}

// Same operation order as asm (separate multiplies and adds, no fused multiply-add): equal to
// asm's results bit for bit.
static void adamw(const float* p, const float* m, const float* v, const float* g, float clip, int hasClip,
                  float* pOut, float* mOut, float* vOut, long n, float decayMul, int hasDecay, float b1, float omb1,
                  float b2, float omb2, float bc2Sqrt, float eps, float stepSize) {
  const T cv = V::set1(clip), dv = V::set1(decayMul), b1v = V::set1(b1), o1v = V::set1(omb1), b2v = V::set1(b2),
          o2v = V::set1(omb2), bcv = V::set1(bc2Sqrt), ev = V::set1(eps), sv = V::set1(stepSize);
  auto f = [&](long ci) {
    const long a = ci * EW_CHUNK, e = lmin(n, a + EW_CHUNK);
    for (long i = a; i < e; i += L) {
      const int k = (int)lmin(L, e - i);
      T gi = V::loadn(g + i, k);
      if (hasClip) gi = V::mul(gi, cv);
      T pi = V::loadn(p + i, k);
      if (hasDecay) pi = V::mul(pi, dv);
      const T mi = V::add(V::mul(V::loadn(m + i, k), b1v), V::mul(gi, o1v));
      const T vi = V::add(V::mul(V::loadn(v + i, k), b2v), V::mul(V::mul(gi, gi), o2v));
      const T den = V::add(V::div(V::sqrt(vi), bcv), ev);
      V::storen(mOut + i, mi, k);
      V::storen(vOut + i, vi, k);
      V::storen(pOut + i, V::sub(pi, V::mul(V::div(mi, den), sv)), k);
    }
  };
  pfor((n + EW_CHUNK - 1) / EW_CHUNK, nthFor((double)n, 65536.0), f);
}

// Sum of x^2 in float64 over blocks of 256 floats summed in 16 float32 lanes, reduced exactly as
// asm does (equal to asm's result bit for bit); blocks added in order.
static double sumSquares(const float* x, long n) {
  if (n <= 0) return 0.0;
  const long n16 = n & ~15L;
  const long nb = (n16 + 255) / 256;
  float* blk = (float*)pl::scratch(3, (size_t)(nb > 0 ? nb : 1) * 4);
  auto f = [&](long bi) {
    const long a = bi * 256, e = lmin(n16, a + 256);
    T acc[16 / L];
    for (int q = 0; q < 16 / L; q++) acc[q] = V::zero();
    for (long i = a; i < e; i += 16)
      for (int q = 0; q < 16 / L; q++) {
        const T v = V::load(x + i + q * L);
        acc[q] = V::add(acc[q], V::mul(v, v));
      }
    float l[16];
    for (int q = 0; q < 16 / L; q++) V::store(l + q * L, acc[q]);
    float s[4];
    for (int q = 0; q < 4; q++) s[q] = (l[q] + l[4 + q]) + (l[8 + q] + l[12 + q]);
    blk[bi] = (s[0] + s[2]) + (s[1] + s[3]);
  };
  pfor(nb, nthFor((double)n, 131072.0), f);
  double total = 0.0;
  for (long bi = 0; bi < nb; bi++) total += (double)blk[bi];
  for (long i = n16; i < n; i++) {
    const double v = (double)x[i];
    total += v * v;
  }
  return total;
}

#define PL_TABLE_INIT(ns)                                                                              \
  PL_ISA_NAME, ns::sgemm, ns::geluFwd, ns::geluBwd, ns::layerNormFwd, ns::layerNormBwd, ns::attnSoftmaxFwd, \
      ns::attnSoftmaxBwd, ns::attnSoftmaxMaskedFwd, ns::attnSoftmaxMaskedBwd, ns::colSum, ns::broadcastRows,  \
      ns::crossEntropyFwd, ns::crossEntropyBwd, ns::copyBlocks, ns::adamw, ns::sumSquares, ns::crossEntropyGrad, ns::vocabCE, \
      ns::rmsNormFwd, ns::rmsNormBwd, ns::reluFwd, ns::reluBwd
