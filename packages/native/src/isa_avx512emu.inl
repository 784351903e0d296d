// Test aid: the AVX-512 code paths (16 lanes, 12x32 sgemm tile, 16-wide masks) emulated with
// pairs of AVX2 registers, so the 16-lane logic is exercised on CPUs without AVX-512
// (PRETRAIN_LAB_ISA=avx512emu). Slow (the 12x32 tile spills); never chosen automatically.
struct V {
  struct T {
    __m256 lo, hi;
  };
  static constexpr int L = 16;
  static inline T mk(__m256 lo, __m256 hi) {
    T r;
    r.lo = lo;
    r.hi = hi;
    return r;
  }
  static inline __m256i maskn8(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static inline T zero() { return mk(_mm256_setzero_ps(), _mm256_setzero_ps()); }
  static inline T set1(float x) { return mk(_mm256_set1_ps(x), _mm256_set1_ps(x)); }
  static inline T load(const float* p) { return mk(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)); }
  static inline void store(float* p, T v) {
    _mm256_storeu_ps(p, v.lo);
    _mm256_storeu_ps(p + 8, v.hi);
  }
  static inline T loadn(const float* p, int n) {
    return mk(_mm256_maskload_ps(p, maskn8(n)), _mm256_maskload_ps(p + 8, maskn8(n - 8)));
  }
  static inline void storen(float* p, T v, int n) {
    _mm256_maskstore_ps(p, maskn8(n), v.lo);
    _mm256_maskstore_ps(p + 8, maskn8(n - 8), v.hi);
  }
  static inline T bcast(const float* p) { return set1(*p); }
#define PL_EMU2(name, op) \
  static inline T name(T a, T b) { return mk(op(a.lo, b.lo), op(a.hi, b.hi)); }
  PL_EMU2(add, _mm256_add_ps)
  PL_EMU2(sub, _mm256_sub_ps)
  PL_EMU2(mul, _mm256_mul_ps)
  PL_EMU2(div, _mm256_div_ps)
  PL_EMU2(min, _mm256_min_ps)
  PL_EMU2(max, _mm256_max_ps)
#undef PL_EMU2
  static inline T sqrt(T a) { return mk(_mm256_sqrt_ps(a.lo), _mm256_sqrt_ps(a.hi)); }
  static inline T fma(T a, T b, T c) { return mk(_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)); }
  static inline float fmas(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
  static inline __m256 round8(__m256 x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static inline T round(T x) { return mk(round8(x.lo), round8(x.hi)); }
  static inline __m256 pow2i8(__m256 fx) {
    __m256i n = _mm256_cvttps_epi32(fx);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
  }
  static inline T pow2i(T fx) { return mk(pow2i8(fx.lo), pow2i8(fx.hi)); }
  static inline T abs(T x) {
    const __m256 s = _mm256_set1_ps(-0.0f);
    return mk(_mm256_andnot_ps(s, x.lo), _mm256_andnot_ps(s, x.hi));
  }
  static inline T sign1(T u) {
    const __m256 s = _mm256_set1_ps(-0.0f), o = _mm256_set1_ps(1.0f);
    return mk(_mm256_or_ps(_mm256_and_ps(u.lo, s), o), _mm256_or_ps(_mm256_and_ps(u.hi, s), o));
  }
  static inline T sel_ge(T x, T t, T a, T b) {
    return mk(_mm256_blendv_ps(b.lo, a.lo, _mm256_cmp_ps(x.lo, t.lo, _CMP_GE_OQ)),
              _mm256_blendv_ps(b.hi, a.hi, _mm256_cmp_ps(x.hi, t.hi, _CMP_GE_OQ)));
  }
  static inline T sel_eq(T x, T t, T a, T b) {
    return mk(_mm256_blendv_ps(b.lo, a.lo, _mm256_cmp_ps(x.lo, t.lo, _CMP_EQ_OQ)),
              _mm256_blendv_ps(b.hi, a.hi, _mm256_cmp_ps(x.hi, t.hi, _CMP_EQ_OQ)));
  }
  static inline float hsum(T v) {
    __m256 h = _mm256_add_ps(v.lo, v.hi);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline float hmax(T v) {
    __m256 h = _mm256_max_ps(v.lo, v.hi);
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline void addf64_8(double* acc, __m256 v) {
    _mm256_storeu_pd(acc, _mm256_add_pd(_mm256_loadu_pd(acc), _mm256_cvtps_pd(_mm256_castps256_ps128(v))));
    _mm256_storeu_pd(acc + 4, _mm256_add_pd(_mm256_loadu_pd(acc + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
  }
  static inline void addf64(double* acc, T v) {
    addf64_8(acc, v.lo);
    addf64_8(acc + 8, v.hi);
  }
};
