// Shared declarations between the N-API layer (addon.cpp, baseline ISA) and the per-ISA kernel
// files. Only C headers here: the per-ISA files must not instantiate C++ library templates
// (an inline function emitted by the AVX-512 file could be picked by the linker for baseline
// code and crash on CPUs without AVX-512).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace pl {

typedef void (*TaskFn)(void* ctx, int tid, int nth);

// Implemented in addon.cpp (compiled for the baseline ISA).
int threads();  // configured thread count (>= 1)
// Calls fn(ctx, tid, nth) on the calling thread (tid 0) and on the pool's workers 1..nth-1 that
// join before the caller's own call returns; returns when every joined call has returned. So
// fn must claim its work dynamically (an atomic counter in ctx) and finish all of it alone if
// need be; it must not wait for other participants.
void run(TaskFn fn, void* ctx, int nth);
void* scratch(int slot, size_t bytes);  // per-OS-thread 64-byte-aligned scratch, slot < 6, grows

struct Table {
  const char* name;
  void (*sgemm)(int batch, int M, int N, int K, const float* A, long ars, long acs, long sa, const float* B,
                long brs, long bcs, long sb, float* C, long ldc, long sc, int accumulate);
  void (*geluFwd)(const float* x, float* y, long n);
  void (*geluBwd)(const float* x, const float* dy, float* dx, long n);
  void (*layerNormFwd)(const float* x, const float* gamma, const float* beta, float* y, long rows, int C,
                       float eps);
  void (*layerNormBwd)(const float* x, const float* gamma, const float* dy, float* dx, float* dgamma,
                       float* dbeta, long rows, int C, float eps);
  void (*attnSoftmaxFwd)(const float* x, float* p, long rows, int T, int S, float scale, int causal);
  void (*attnSoftmaxBwd)(const float* p, const float* dy, float* dx, long rows, int T, int S, float scale,
                         int causal);
  void (*attnSoftmaxMaskedFwd)(const float* x, float* p, int B, int H, int T, int S, float scale, int causal,
                               const float* bias, int biasBatched, const float* pad);
  void (*attnSoftmaxMaskedBwd)(const float* p, const float* dy, float* dx, int B, int H, int T, int S,
                               float scale, int causal);
  void (*colSum)(const float* x, float* out, long N, int C);
  void (*broadcastRows)(const float* b, float* y, long N, int C);
  double (*crossEntropyFwd)(const float* logits, const void* targets, int isInt, long N, int V);
  void (*crossEntropyBwd)(const float* logits, const void* targets, int isInt, long N, int V, float g,
                          float* dx);
  void (*copyBlocks)(const uint8_t* src, uint8_t* dst, long n1, long n2, long bytes, long s1, long s2, long d1,
                     long d2);
  void (*adamw)(const float* p, const float* m, const float* v, const float* g, float clip, int hasClip,
                float* pOut, float* mOut, float* vOut, long n, float decayMul, int hasDecay, float b1,
                float omb1, float b2, float omb2, float bc2Sqrt, float eps, float stepSize);
  double (*sumSquares)(const float* x, long n);
  double (*crossEntropyGrad)(const float* logits, const void* targets, int isInt, long N, int V, float* dx);
  double (*vocabCE)(const float* h, const float* table, const float* bias, const void* targets, int isInt, long M,
                    int V, int C, float* dh, float* dt, float* db);
  void (*rmsNormFwd)(const float* x, const float* w, float* y, long rows, int C, float eps);
  void (*rmsNormBwd)(const float* x, const float* w, const float* dy, float* dx, float* dw, long rows, int C,
                     float eps);
  void (*reluFwd)(const float* x, float* y, long n);
  void (*reluBwd)(const float* x, const float* dy, float* dx, long n);
};

extern const Table table_generic;
#if defined(PL_X86)
extern const Table table_avx2;
extern const Table table_avx512;
extern const Table table_avx512emu;
#endif

}  // namespace pl
