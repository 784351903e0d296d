// Portable 4-lane vector ops in plain C++ (the compiler vectorises them where it can). No fused
// multiply-add: fma() is a multiply then an add, as in the plain-SIMD wasm build.
struct V {
  struct T {
    float v[4];
  };
  static constexpr int L = 4;
  static inline T zero() {
    T r;
    for (int i = 0; i < 4; i++) r.v[i] = 0.0f;
    return r;
  }
  static inline T set1(float x) {
    T r;
    for (int i = 0; i < 4; i++) r.v[i] = x;
    return r;
  }
  static inline T load(const float* p) {
    T r;
    for (int i = 0; i < 4; i++) r.v[i] = p[i];
    return r;
  }
  static inline void store(float* p, T a) {
    for (int i = 0; i < 4; i++) p[i] = a.v[i];
  }
  static inline T loadn(const float* p, int n) {
    T r;
    for (int i = 0; i < 4; i++) r.v[i] = i < n ? p[i] : 0.0f;
    return r;
  }
  static inline void storen(float* p, T a, int n) {
    for (int i = 0; i < 4 && i < n; i++) p[i] = a.v[i];
  }
  static inline T bcast(const float* p) { return set1(*p); }
#define PL_GEN2(name, expr)                 \
  static inline T name(T a, T b) {          \
    T r;                                    \
    for (int i = 0; i < 4; i++) {           \
      const float x = a.v[i], y = b.v[i];   \
      r.v[i] = (expr);                      \
    }                                       \
    return r;                               \
  }
  PL_GEN2(add, x + y)
  PL_GEN2(sub, x - y)
  PL_GEN2(mul, x * y)
  PL_GEN2(div, x / y)
  PL_GEN2(min, x < y ? x : y)
  PL_GEN2(max, x > y ? x : y)
#undef PL_GEN2
  static inline T sqrt(T a) {
    T r;
    for (int i = 0; i < 4; i++) r.v[i] = __builtin_sqrtf(a.v[i]);
    return r;
  }
  static inline T fma(T a, T b, T c) { return add(mul(a, b), c); }
  static inline float fmas(float a, float b, float c) { return a * b + c; }
  static inline T round(T a) {
    T r;
    for (int i = 0; i < 4; i++) r.v[i] = __builtin_nearbyintf(a.v[i]);
    return r;
  }
  static inline T pow2i(T fx) {
    T r;
    for (int i = 0; i < 4; i++) {
      const int32_t n = (int32_t)fx.v[i];
      const uint32_t bits = (uint32_t)(n + 127) << 23;
      __builtin_memcpy(&r.v[i], &bits, 4);
    }
    return r;
  }
  static inline T abs(T a) {
    T r;
    for (int i = 0; i < 4; i++) r.v[i] = __builtin_fabsf(a.v[i]);
    return r;
  }
  static inline T sign1(T u) {
    T r;
    for (int i = 0; i < 4; i++) r.v[i] = __builtin_copysignf(1.0f, u.v[i]);
    return r;
  }
  static inline T sel_ge(T x, T t, T a, T b) {
    T r;
    for (int i = 0; i < 4; i++) r.v[i] = x.v[i] >= t.v[i] ? a.v[i] : b.v[i];
    return r;
  }
  static inline T sel_eq(T x, T t, T a, T b) {
    T r;
    for (int i = 0; i < 4; i++) r.v[i] = x.v[i] == t.v[i] ? a.v[i] : b.v[i];
    return r;
  }
  static inline float hsum(T a) { return (a.v[0] + a.v[2]) + (a.v[1] + a.v[3]); }
  static inline float hmax(T a) {
    const float x = a.v[0] > a.v[2] ? a.v[0] : a.v[2];
    const float y = a.v[1] > a.v[3] ? a.v[1] : a.v[3];
    return x > y ? x : y;
  }
  static inline void addf64(double* acc, T a) {
    for (int i = 0; i < 4; i++) acc[i] += (double)a.v[i];
  }
};
