// Packing with 256-bit AVX transposes, shared by the AVX2, AVX-512 and emulated-AVX-512 files
// (all are built with AVX2). Included inside the per-ISA anonymous namespace, after body
// definitions of PL_MR / PL_NR. Never reads past an operand: edges use masked loads.

static inline __m256i pk_mask8(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __m256 pk_load8(const float* p, int n) {
  return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, pk_mask8(n));
}

static inline void pk_tr8x8(__m256* r) {
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Stores the first `w` (4, 6 or 8) floats of v at d. w == 6 writes 8 (two junk floats past
// the end, overwritten by the next store or landing in the buffer's slack).
static inline void pk_store_w(float* d, __m256 v, int w) {
  if (w == 4)
    _mm_storeu_ps(d, _mm256_castps256_ps128(v));
  else
    _mm256_storeu_ps(d, v);
}

// A (mc rows from A, element (i,k) at A[i*ars + k*acs]) into MR-row slivers; true if handled.
static bool packA_fast(float* dst, const float* A, long ars, long acs, int mc, int kc) {
  if (acs == 1) {
    for (int r = 0; r < mc; r += PL_MR) {
      const int rows = mc - r < PL_MR ? mc - r : PL_MR;
      float* d = dst + (long)r * kc;
      for (int g = 0; g < PL_MR; g += 8) {
        const int w = PL_MR - g < 8 ? PL_MR - g : 8;  // floats of this group per k in the sliver
        for (int k = 0; k < kc; k += 8) {
          const int kn = kc - k < 8 ? kc - k : 8;
          __m256 v[8];
          for (int q = 0; q < 8; q++)
            v[q] = (q < w && g + q < rows) ? pk_load8(A + (long)(r + g + q) * ars + k, kn) : _mm256_setzero_ps();
          pk_tr8x8(v);
          for (int j = 0; j < kn; j++) pk_store_w(d + (long)(k + j) * PL_MR + g, v[j], w);
        }
      }
    }
    return true;
  }
  if (ars == 1) {
    // A^T layout: for each k, the mc values are contiguous. Walk k outermost so that A is read
    // row by row (large power-of-two strides between k would thrash the caches otherwise).
    const int full = mc / PL_MR * PL_MR;
    for (int k = 0; k < kc; k++) {
      const float* s = A + (long)k * acs;
      for (int r = 0; r < full; r += PL_MR) {
        float* d = dst + (long)r * kc + (long)k * PL_MR;
        if (PL_MR == 12) {
          _mm256_storeu_ps(d, _mm256_loadu_ps(s + r));
          _mm_storeu_ps(d + 8, _mm_loadu_ps(s + r + 8));
        } else if (PL_MR == 6) {
          // Exact 4 + 2 float copies: an 8-wide store would spill into the next sliver's
          // already written first k.
          _mm_storeu_ps(d, _mm_loadu_ps(s + r));
          _mm_storel_pi((__m64*)(d + 4), _mm_loadl_pi(_mm_setzero_ps(), (const __m64*)(s + r + 4)));
        } else {
          for (int ii = 0; ii < PL_MR; ii++) d[ii] = s[r + ii];
        }
      }
      if (full < mc) {
        const int rows = mc - full;
        float* d = dst + (long)full * kc + (long)k * PL_MR;
        for (int ii = 0; ii < PL_MR; ii++) d[ii] = ii < rows ? s[full + ii] : 0.0f;
      }
    }
    return true;
  }
  return false;
}

// Slivers [s0, s1) of B's nc columns (element (k,j) at B[k*brs + j*bcs]); true if handled.
static bool packB_fast(float* dst, const float* B, long brs, long bcs, int kc, int nc, int s0, int s1) {
  if (bcs == 1) {
    for (int s = s0; s < s1; s++) {
      const int j0 = s * PL_NR;
      const int cols = nc - j0 < PL_NR ? nc - j0 : PL_NR;
      float* d = dst + (long)j0 * kc;
      const float* src = B + j0;
      if (cols == PL_NR) {
        for (int k = 0; k < kc; k++) {
          for (int g = 0; g < PL_NR; g += 8) _mm256_storeu_ps(d + g, _mm256_loadu_ps(src + g));
          d += PL_NR;
          src += brs;
        }
      } else {
        for (int k = 0; k < kc; k++) {
          for (int g = 0; g < PL_NR; g += 8) {
            const int n = cols - g;
            _mm256_storeu_ps(d + g, n <= 0 ? _mm256_setzero_ps() : pk_load8(src + g, n));
          }
          d += PL_NR;
          src += brs;
        }
      }
    }
    return true;
  }
  if (brs == 1) {
    for (int s = s0; s < s1; s++) {
      const int j0 = s * PL_NR;
      const int cols = nc - j0 < PL_NR ? nc - j0 : PL_NR;
      float* d = dst + (long)j0 * kc;
      for (int g = 0; g < PL_NR; g += 8) {
        for (int k = 0; k < kc; k += 8) {
          const int kn = kc - k < 8 ? kc - k : 8;
          __m256 v[8];
          for (int q = 0; q < 8; q++)
            v[q] = g + q < cols ? pk_load8(B + (long)(j0 + g + q) * bcs + k, kn) : _mm256_setzero_ps();
          pk_tr8x8(v);
          for (int j = 0; j < kn; j++) _mm256_storeu_ps(d + (long)(k + j) * PL_NR + g, v[j]);
        }
      }
    }
    return true;
  }
  return false;
}
