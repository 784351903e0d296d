// 8-lane vector ops on AVX2 + FMA (included inside a per-ISA anonymous namespace).
struct V {
  typedef __m256 T;
  static constexpr int L = 8;
  static inline T zero() { return _mm256_setzero_ps(); }
  static inline T set1(float x) { return _mm256_set1_ps(x); }
  static inline T load(const float* p) { return _mm256_loadu_ps(p); }
  static inline void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static inline __m256i maskn(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  // Lanes >= n are zero and never read (vmaskmov does not fault on masked-out lanes).
  static inline T loadn(const float* p, int n) { return _mm256_maskload_ps(p, maskn(n)); }
  static inline void storen(float* p, T v, int n) { _mm256_maskstore_ps(p, maskn(n), v); }
  static inline T bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static inline T add(T a, T b) { return _mm256_add_ps(a, b); }
  static inline T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static inline T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static inline T div(T a, T b) { return _mm256_div_ps(a, b); }
  // x86 semantics: when either is NaN the second operand is returned.
  static inline T min(T a, T b) { return _mm256_min_ps(a, b); }
  static inline T max(T a, T b) { return _mm256_max_ps(a, b); }
  static inline T sqrt(T a) { return _mm256_sqrt_ps(a); }
  static inline T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static inline float fmas(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
  static inline T round(T x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static inline T pow2i(T fx) {
    __m256i n = _mm256_cvttps_epi32(fx);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
  }
  static inline T abs(T x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
  static inline T sign1(T u) { return _mm256_or_ps(_mm256_and_ps(u, _mm256_set1_ps(-0.0f)), _mm256_set1_ps(1.0f)); }
  static inline T sel_ge(T x, T t, T a, T b) { return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, t, _CMP_GE_OQ)); }
  static inline T sel_eq(T x, T t, T a, T b) { return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, t, _CMP_EQ_OQ)); }
  static inline float hsum(T v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline float hmax(T v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline void addf64(double* acc, T v) {
    _mm256_storeu_pd(acc, _mm256_add_pd(_mm256_loadu_pd(acc), _mm256_cvtps_pd(_mm256_castps256_ps128(v))));
    _mm256_storeu_pd(acc + 4, _mm256_add_pd(_mm256_loadu_pd(acc + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
  }
};
