// 16-lane vector ops on AVX-512 F/DQ/BW/VL (included inside a per-ISA anonymous namespace).
// Reached only after CPUID + XGETBV report AVX-512 state enabled (see addon.cpp).
struct V {
  typedef __m512 T;
  static constexpr int L = 16;
  static inline T zero() { return _mm512_setzero_ps(); }
  static inline T set1(float x) { return _mm512_set1_ps(x); }
  static inline T load(const float* p) { return _mm512_loadu_ps(p); }
  static inline void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static inline __mmask16 maskn(int n) { return (__mmask16)(n >= 16 ? 0xFFFFu : ((1u << (n < 0 ? 0 : n)) - 1u)); }
  // Masked-out lanes are zero and never read (masked loads do not fault there).
  static inline T loadn(const float* p, int n) { return _mm512_maskz_loadu_ps(maskn(n), p); }
  static inline void storen(float* p, T v, int n) { _mm512_mask_storeu_ps(p, maskn(n), v); }
  static inline T bcast(const float* p) { return _mm512_set1_ps(*p); }
  static inline T add(T a, T b) { return _mm512_add_ps(a, b); }
  static inline T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static inline T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static inline T div(T a, T b) { return _mm512_div_ps(a, b); }
  static inline T min(T a, T b) { return _mm512_min_ps(a, b); }
  static inline T max(T a, T b) { return _mm512_max_ps(a, b); }
  static inline T sqrt(T a) { return _mm512_sqrt_ps(a); }
  static inline T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static inline float fmas(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
  static inline T round(T x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static inline T pow2i(T fx) {
    __m512i n = _mm512_cvttps_epi32(fx);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
  }
  static inline T abs(T x) { return _mm512_andnot_ps(_mm512_set1_ps(-0.0f), x); }
  static inline T sign1(T u) { return _mm512_or_ps(_mm512_and_ps(u, _mm512_set1_ps(-0.0f)), _mm512_set1_ps(1.0f)); }
  static inline T sel_ge(T x, T t, T a, T b) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, t, _CMP_GE_OQ), b, a); }
  static inline T sel_eq(T x, T t, T a, T b) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, t, _CMP_EQ_OQ), b, a); }
  static inline float hsum(T v) {
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline float hmax(T v) {
    __m256 h = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline void addf64(double* acc, T v) {
    _mm512_storeu_pd(acc, _mm512_add_pd(_mm512_loadu_pd(acc), _mm512_cvtps_pd(_mm512_castps512_ps256(v))));
    _mm512_storeu_pd(acc + 8, _mm512_add_pd(_mm512_loadu_pd(acc + 8), _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1))));
  }
};
