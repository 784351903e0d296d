// N-API layer of @pretrain-lab/native: CPU dispatch, the thread pool, per-thread scratch, the
// heap base (tfjs-wasm's WebAssembly.Memory buffer) and argument checks. Every pointer argument
// from JS is a byte offset into that heap, as for the AssemblyScript kernels; offsets are
// bounds-checked here (a bad one throws RangeError instead of crashing the process).
// Compiled for the baseline ISA: code built for AVX2 / AVX-512 is reached only through the
// table chosen by pickTable() after the CPUID + XGETBV checks.
#include <napi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

#if defined(PL_X86)
#include <cpuid.h>
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace pl {

// ---------------------------------------------------------------------------------------
// CPU features

struct Cpu {
  bool avx2 = false;    // AVX2 + FMA, with the OS saving YMM state
  bool avx512 = false;  // AVX-512 F/DQ/BW/VL, with the OS saving ZMM / opmask state
};

static Cpu detectCpu() {
  Cpu c;
#if defined(PL_X86)
  unsigned a, b, cx, d;
  if (!__get_cpuid(1, &a, &b, &cx, &d)) return c;
  const bool osxsave = (cx >> 27) & 1, avx = (cx >> 28) & 1, fma = (cx >> 12) & 1;
  if (!osxsave || !avx) return c;
  unsigned xlo, xhi;
  __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
  const uint64_t xcr0 = ((uint64_t)xhi << 32) | xlo;
  const bool ymmState = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
  const bool zmmState = (xcr0 & 0xE6) == 0xE6;          // + opmask, ZMM_Hi256, Hi16_ZMM
  unsigned max = 0;
  __get_cpuid(0, &max, &b, &cx, &d);
  if (max < 7) return c;
  __cpuid_count(7, 0, a, b, cx, d);
  const bool avx2 = (b >> 5) & 1;
  const bool f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
  c.avx2 = ymmState && avx2 && fma;
  c.avx512 = c.avx2 && zmmState && f && dq && bw && vl;
#endif
  return c;
}

static const Table* gTable = &table_generic;
static std::string gIsaLabel = "generic";
static std::string gIsaNote;

// Best table the CPU supports, or a lower one named by PRETRAIN_LAB_ISA (never a higher one).
static void pickTable() {
  const Cpu cpu = detectCpu();
  const char* env = std::getenv("PRETRAIN_LAB_ISA");
  const std::string want = env ? env : "";
#if defined(PL_X86)
  if (want == "avx512emu" && cpu.avx2) {
    gTable = &table_avx512emu;
    gIsaLabel = "avx512emu";
    return;
  }
  if (cpu.avx512 && (want.empty() || want == "avx512")) {
    gTable = &table_avx512;
    gIsaLabel = "avx512";
    return;
  }
  if (cpu.avx2 && (want.empty() || want == "avx512" || want == "avx2")) {
    if (want == "avx512") gIsaNote = "PRETRAIN_LAB_ISA=avx512 but this CPU lacks AVX-512";
    gTable = &table_avx2;
    gIsaLabel = "avx2";
    return;
  }
#endif
  if (!want.empty() && want != "generic") gIsaNote = "PRETRAIN_LAB_ISA=" + want + " not available on this CPU";
  gTable = &table_generic;
  gIsaLabel = "generic";
}

// ---------------------------------------------------------------------------------------
// Thread pool: workers created once (lazily), spin briefly after each job, then sleep on a
// condition variable. The calling thread is participant 0. One job at a time: a second JS
// thread calling while the pool is busy runs its kernel on its own thread (same results).

static inline void cpuRelax() {
#if defined(PL_X86)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

struct Pool {
  std::atomic<uint64_t> seq{0};  // even: posted; odd: a job is being written
  std::atomic<TaskFn> fn{nullptr};
  std::atomic<void*> ctx{nullptr};
  std::atomic<int> nth{0};
  std::atomic<bool> joinable{false};  // workers may still join the current job
  std::atomic<int> active{0};         // workers inside (or about to enter) a job's fn
  std::atomic<int> sleepers{0};
  std::atomic<bool> busy{false};
  std::mutex mu;
  std::condition_variable cv;
  std::mutex growMu;
  int workers = 0;  // started worker threads (participants 1..workers)
};

static Pool* gPool = new Pool();  // never destroyed: detached workers may outlive statics
static std::atomic<int> gThreads{1};
static int gSpinUs = 50;

static bool seqReady(uint64_t s, uint64_t seen) { return (s & 1) == 0 && s != seen; }

// Denormals: flush to zero (FTZ) and treat as zero (DAZ) inside kernels. On x86 an operation on
// a denormal takes a microcode assist (tens to hundreds of cycles); gradients of padded positions
// and Adam moments of unused rows decay into that range, and a padded T5 batch made the linear
// backward 7x slower. Workers run kernels only, so they keep the mode; the calling thread (Node's
// main thread, whose JS and wasm float math must stay IEEE) sets it around each job only.
#if defined(PL_X86)
static const unsigned kFtzDaz = 0x8040;
static void setFtzDaz() { _mm_setcsr(_mm_getcsr() | kFtzDaz); }
struct FtzGuard {
  unsigned saved;
  FtzGuard() : saved(_mm_getcsr()) { _mm_setcsr(saved | kFtzDaz); }
  ~FtzGuard() { _mm_setcsr(saved); }
};
#else
static void setFtzDaz() {}
struct FtzGuard {};
#endif

// `seen`: the job sequence number when the worker was created (jobs posted later are new to it).
static void workerMain(int index, uint64_t seen) {
  setFtzDaz();
  Pool& p = *gPool;
  for (;;) {
    uint64_t s = p.seq.load(std::memory_order_acquire);
    if (!seqReady(s, seen)) {
      // Spin for gSpinUs, then sleep until the next job is posted.
      const auto t0 = std::chrono::steady_clock::now();
      for (int n = 0;; n++) {
        s = p.seq.load(std::memory_order_acquire);
        if (seqReady(s, seen)) break;
        cpuRelax();
        if ((n & 255) == 255 &&
            std::chrono::steady_clock::now() - t0 > std::chrono::microseconds(gSpinUs)) {
          std::unique_lock<std::mutex> lk(p.mu);
          p.sleepers.fetch_add(1, std::memory_order_seq_cst);
          p.cv.wait(lk, [&] { return seqReady(p.seq.load(std::memory_order_seq_cst), seen); });
          p.sleepers.fetch_sub(1, std::memory_order_seq_cst);
          s = p.seq.load(std::memory_order_acquire);
          break;
        }
      }
    }
    // Read the job, then check it was not replaced meanwhile (seqlock).
    const TaskFn fn = p.fn.load(std::memory_order_relaxed);
    void* ctx = p.ctx.load(std::memory_order_relaxed);
    const int nth = p.nth.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (p.seq.load(std::memory_order_relaxed) != s) continue;
    seen = s;
    if (index >= nth) continue;
    // Join only while the poster still accepts joiners for this very job.
    p.active.fetch_add(1, std::memory_order_seq_cst);
    if (p.joinable.load(std::memory_order_seq_cst) && p.seq.load(std::memory_order_seq_cst) == s) fn(ctx, index, nth);
    p.active.fetch_sub(1, std::memory_order_release);
  }
}

// Starts workers up to `want` (participants 1..want); returns how many are running.
static int ensureWorkers(int want) {
  Pool& p = *gPool;
  std::lock_guard<std::mutex> lk(p.growMu);
  while (p.workers < want) {
    try {
      const uint64_t seen = p.seq.load(std::memory_order_acquire) & ~(uint64_t)1;
      std::thread(workerMain, p.workers + 1, seen).detach();
    } catch (...) {
      break;
    }
    p.workers++;
  }
  return p.workers;
}

int threads() { return gThreads.load(std::memory_order_relaxed); }

static inline void waitUntil(const std::atomic<int>& v, int want) {
  for (int n = 0; v.load(std::memory_order_acquire) != want; n++) {
    if (n < 20000)
      cpuRelax();
    else
      std::this_thread::yield();
  }
}

void run(TaskFn fn, void* ctx, int nth) {
  FtzGuard ftz;
  Pool& p = *gPool;
  if (nth > 1 && nth - 1 > p.workers) nth = 1 + ensureWorkers(nth - 1);
  bool expected = false;
  if (nth <= 1 || !p.busy.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
    fn(ctx, 0, 1);
    return;
  }
  const uint64_t s = p.seq.load(std::memory_order_relaxed);
  p.seq.store(s + 1, std::memory_order_seq_cst);  // odd: writing
  p.fn.store(fn, std::memory_order_relaxed);
  p.ctx.store(ctx, std::memory_order_relaxed);
  p.nth.store(nth, std::memory_order_relaxed);
  p.joinable.store(true, std::memory_order_seq_cst);
  p.seq.store(s + 2, std::memory_order_seq_cst);
  if (p.sleepers.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard<std::mutex> lk(p.mu); }
    p.cv.notify_all();
  }
  fn(ctx, 0, nth);
  // All work is claimed: stop late joiners, wait for those inside fn.
  p.joinable.store(false, std::memory_order_seq_cst);
  waitUntil(p.active, 0);
  p.busy.store(false, std::memory_order_release);
}

struct Scratch {
  void* raw[6];
  void* aligned[6];
  size_t bytes[6];
};
static thread_local Scratch tScratch;  // zero-initialised; leaked at thread exit (workers never exit)

void* scratch(int slot, size_t bytes) {
  Scratch& s = tScratch;
  if (s.bytes[slot] < bytes) {
    std::free(s.raw[slot]);
    size_t want = bytes + bytes / 4 + 4096;
    s.raw[slot] = std::malloc(want + 64);
    if (!s.raw[slot]) {
      s.bytes[slot] = 0;
      s.aligned[slot] = nullptr;
      std::abort();  // out of memory for scratch: nothing sensible to return
    }
    s.aligned[slot] = (void*)(((uintptr_t)s.raw[slot] + 63) & ~(uintptr_t)63);
    s.bytes[slot] = want;
  }
  return s.aligned[slot];
}

static int cpuCount() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? (int)n : 1;
}

static int parseThreads() {
  const char* env = std::getenv("PRETRAIN_LAB_THREADS");
  const int cores = cpuCount();
  int n = cores;
  if (env && *env) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    n = (end != env && v >= 1) ? (int)v : 1;
  }
  if (n > 256) n = 256;
  return n < 1 ? 1 : n;
}

// ---------------------------------------------------------------------------------------
// Heap (per JS thread: each env has its own wasm memory)

struct Heap {
  uint8_t* base = nullptr;
  uint64_t len = 0;
};
static thread_local Heap tHeap;

static napi_value throwError(napi_env env, const char* kind, const std::string& msg) {
  const std::string m = "@pretrain-lab/native: " + msg;
  if (std::strcmp(kind, "range") == 0)
    napi_throw_range_error(env, nullptr, m.c_str());
  else if (std::strcmp(kind, "type") == 0)
    napi_throw_type_error(env, nullptr, m.c_str());
  else
    napi_throw_error(env, nullptr, m.c_str());
  return nullptr;
}

// Argument reader for the hot functions (plain N-API: no allocation per call).
struct Args {
  napi_env env;
  napi_value argv[20];
  size_t argc = 20;
  bool ok = true;
  std::string err;
  Args(napi_env e, napi_callback_info info, size_t want) : env(e) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < want) fail("expected " + std::to_string(want) + " arguments, got " + std::to_string(argc));
  }
  void fail(const std::string& m) {
    if (ok) err = m;
    ok = false;
  }
  int32_t i32(size_t i) {
    int32_t v = 0;
    if (ok && napi_get_value_int32(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " is not a number");
    return v;
  }
  uint32_t u32(size_t i) {
    uint32_t v = 0;
    if (ok && napi_get_value_uint32(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " is not a number");
    return v;
  }
  float f32(size_t i) {
    double v = 0;
    if (ok && napi_get_value_double(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " is not a number");
    return (float)v;
  }
};

static bool heapReady(Args& a) {
  if (!a.ok) return false;
  if (!tHeap.base) {
    a.fail("setHeap(memory.buffer) must be called first");
    return false;
  }
  return true;
}

// [off + lo, off + hi) inside the heap (lo <= hi, in bytes, may be negative relative offsets).
static bool inHeap(Args& a, const char* what, uint32_t off, __int128 lo, __int128 hi) {
  if (!a.ok) return false;
  const __int128 s = (__int128)off + lo, e = (__int128)off + hi;
  if (s < 0 || e > (__int128)tHeap.len) {
    a.fail(std::string(what) + " out of heap bounds (offset " + std::to_string(off) + ", heap " +
           std::to_string(tHeap.len) + " bytes)");
    return false;
  }
  return true;
}
static bool span(Args& a, const char* what, uint32_t off, uint64_t bytes) {
  return inHeap(a, what, off, 0, (__int128)bytes);
}
// Element extent of sum_d idx_d * stride_d for idx_d < count_d (counts > 0), as byte bounds.
static bool strided(Args& a, const char* what, uint32_t off, const long* count, const long* stride, int dims,
                    long elemBytes) {
  __int128 lo = 0, hi = 0;
  for (int d = 0; d < dims; d++) {
    const __int128 e = (__int128)(count[d] - 1) * stride[d];
    if (e < 0)
      lo += e;
    else
      hi += e;
  }
  return inHeap(a, what, off, lo * elemBytes, hi * elemBytes + elemBytes);
}

template <class P>
static inline P* at(uint32_t off) {
  return (P*)(tHeap.base + off);
}

static napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}
static napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}
static napi_value done(Args& a, napi_value result = nullptr) {
  if (!a.ok) return throwError(a.env, "range", a.err);
  return result ? result : undef(a.env);
}

// ---------------------------------------------------------------------------------------
// Exported kernels (argument lists as in packages/runtime/asm/kernels.ts; `work` ignored)

static napi_value SetHeap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 1) return throwError(env, "type", "setHeap(buffer) needs an ArrayBuffer");
  Napi::Value v(env, argv[0]);
  if (!v.IsArrayBuffer()) return throwError(env, "type", "setHeap(buffer) needs an ArrayBuffer");
  Napi::ArrayBuffer ab = v.As<Napi::ArrayBuffer>();
  tHeap.base = (uint8_t*)ab.Data();
  tHeap.len = ab.ByteLength();
  if (!tHeap.base && tHeap.len > 0) return throwError(env, "error", "setHeap: could not read the buffer's memory");
  return undef(env);
}

static napi_value Sgemm(napi_env env, napi_callback_info info) {
  Args a(env, info, 16);
  const int batch = a.i32(0), M = a.i32(1), N = a.i32(2), K = a.i32(3);
  const uint32_t pa = a.u32(4);
  const long ars = a.i32(5), acs = a.i32(6), sa = a.i32(7);
  const uint32_t pb = a.u32(8);
  const long brs = a.i32(9), bcs = a.i32(10), sb = a.i32(11);
  const uint32_t pc = a.u32(12);
  const long ldc = a.i32(13), sc = a.i32(14);
  const int accumulate = a.i32(15);
  if (!heapReady(a)) return done(a);
  if (batch > 0 && M > 0 && N > 0) {
    const long cC[3] = {batch, M, N}, sC[3] = {sc, ldc, 1};
    strided(a, "sgemm C", pc, cC, sC, 3, 4);
    if (K > 0) {
      const long cA[3] = {batch, M, K}, sA[3] = {sa, ars, acs};
      const long cB[3] = {batch, K, N}, sB[3] = {sb, brs, bcs};
      strided(a, "sgemm A", pa, cA, sA, 3, 4);
      strided(a, "sgemm B", pb, cB, sB, 3, 4);
    }
    if (a.ok)
      gTable->sgemm(batch, M, N, K, at<const float>(pa), ars, acs, sa, at<const float>(pb), brs, bcs, sb,
                    at<float>(pc), ldc, sc, accumulate);
  }
  return done(a);
}

static napi_value SgemmWorkBytes(napi_env env, napi_callback_info) { return number(env, 0); }

static napi_value GeluFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  const uint32_t x = a.u32(0), y = a.u32(1);
  const int n = a.i32(2);
  if (heapReady(a) && n > 0 && span(a, "geluFwd x", x, 4ull * n) && span(a, "geluFwd y", y, 4ull * n))
    gTable->geluFwd(at<const float>(x), at<float>(y), n);
  return done(a);
}

static napi_value GeluBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  const uint32_t x = a.u32(0), dy = a.u32(1), dx = a.u32(2);
  const int n = a.i32(3);
  if (heapReady(a) && n > 0 && span(a, "geluBwd x", x, 4ull * n) && span(a, "geluBwd dy", dy, 4ull * n) &&
      span(a, "geluBwd dx", dx, 4ull * n))
    gTable->geluBwd(at<const float>(x), at<const float>(dy), at<float>(dx), n);
  return done(a);
}

static napi_value ReluFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  const uint32_t x = a.u32(0), y = a.u32(1);
  const int n = a.i32(2);
  if (heapReady(a) && n > 0 && span(a, "reluFwd x", x, 4ull * n) && span(a, "reluFwd y", y, 4ull * n))
    gTable->reluFwd(at<const float>(x), at<float>(y), n);
  return done(a);
}

static napi_value ReluBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  const uint32_t x = a.u32(0), dy = a.u32(1), dx = a.u32(2);
  const int n = a.i32(3);
  if (heapReady(a) && n > 0 && span(a, "reluBwd x", x, 4ull * n) && span(a, "reluBwd dy", dy, 4ull * n) &&
      span(a, "reluBwd dx", dx, 4ull * n))
    gTable->reluBwd(at<const float>(x), at<const float>(dy), at<float>(dx), n);
  return done(a);
}

static napi_value LayerNormFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 7);
  const uint32_t x = a.u32(0), g = a.u32(1), b = a.u32(2), y = a.u32(3);
  const int rows = a.i32(4), C = a.i32(5);
  const float eps = a.f32(6);
  if (heapReady(a) && rows > 0 && C > 0) {
    const uint64_t n = 4ull * rows * C;
    if (span(a, "layerNormFwd x", x, n) && span(a, "layerNormFwd gamma", g, 4ull * C) &&
        span(a, "layerNormFwd beta", b, 4ull * C) && span(a, "layerNormFwd y", y, n))
      gTable->layerNormFwd(at<const float>(x), at<const float>(g), at<const float>(b), at<float>(y), rows, C, eps);
  }
  return done(a);
}

static napi_value LayerNormBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 9);
  const uint32_t x = a.u32(0), g = a.u32(1), dy = a.u32(2), dx = a.u32(3), dg = a.u32(4), db = a.u32(5);
  const int rows = a.i32(6), C = a.i32(7);
  const float eps = a.f32(8);
  if (heapReady(a) && C > 0) {
    const uint64_t n = 4ull * (rows > 0 ? rows : 0) * C;
    if (span(a, "layerNormBwd x", x, n) && span(a, "layerNormBwd gamma", g, 4ull * C) &&
        span(a, "layerNormBwd dy", dy, n) && span(a, "layerNormBwd dx", dx, n) &&
        span(a, "layerNormBwd dgamma", dg, 4ull * C) && span(a, "layerNormBwd dbeta", db, 4ull * C))
      gTable->layerNormBwd(at<const float>(x), at<const float>(g), at<const float>(dy), at<float>(dx), at<float>(dg),
                           at<float>(db), rows > 0 ? rows : 0, C, eps);
  }
  return done(a);
}

static napi_value RmsNormFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 6);
  const uint32_t x = a.u32(0), w = a.u32(1), y = a.u32(2);
  const int rows = a.i32(3), C = a.i32(4);
  const float eps = a.f32(5);
  if (heapReady(a) && rows > 0 && C > 0) {
    const uint64_t n = 4ull * rows * C;
    if (span(a, "rmsNormFwd x", x, n) && span(a, "rmsNormFwd w", w, 4ull * C) && span(a, "rmsNormFwd y", y, n))
      gTable->rmsNormFwd(at<const float>(x), at<const float>(w), at<float>(y), rows, C, eps);
  }
  return done(a);
}

static napi_value RmsNormBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 8);
  const uint32_t x = a.u32(0), w = a.u32(1), dy = a.u32(2), dx = a.u32(3), dw = a.u32(4);
  const int rows = a.i32(5), C = a.i32(6);
  const float eps = a.f32(7);
  if (heapReady(a) && C > 0) {
    const uint64_t n = 4ull * (rows > 0 ? rows : 0) * C;
    if (span(a, "rmsNormBwd x", x, n) && span(a, "rmsNormBwd w", w, 4ull * C) && span(a, "rmsNormBwd dy", dy, n) &&
        span(a, "rmsNormBwd dx", dx, n) && span(a, "rmsNormBwd dw", dw, 4ull * C))
      gTable->rmsNormBwd(at<const float>(x), at<const float>(w), at<const float>(dy), at<float>(dx), at<float>(dw),
                         rows > 0 ? rows : 0, C, eps);
  }
  return done(a);
}

static napi_value AttnSoftmaxFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 7);
  const uint32_t x = a.u32(0), p = a.u32(1);
  const int rows = a.i32(2), T = a.i32(3), S = a.i32(4);
  const float scale = a.f32(5);
  const int causal = a.i32(6);
  if (heapReady(a) && rows > 0 && S > 0) {
    if (T <= 0) a.fail("attnSoftmaxFwd: T must be positive");
    const uint64_t n = 4ull * rows * S;
    if (span(a, "attnSoftmaxFwd x", x, n) && span(a, "attnSoftmaxFwd p", p, n))
      gTable->attnSoftmaxFwd(at<const float>(x), at<float>(p), rows, T, S, scale, causal);
  }
  return done(a);
}

static napi_value AttnSoftmaxBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 8);
  const uint32_t p = a.u32(0), dy = a.u32(1), dx = a.u32(2);
  const int rows = a.i32(3), T = a.i32(4), S = a.i32(5);
  const float scale = a.f32(6);
  const int causal = a.i32(7);
  if (heapReady(a) && rows > 0 && S > 0) {
    if (T <= 0) a.fail("attnSoftmaxBwd: T must be positive");
    const uint64_t n = 4ull * rows * S;
    if (span(a, "attnSoftmaxBwd p", p, n) && span(a, "attnSoftmaxBwd dy", dy, n) &&
        span(a, "attnSoftmaxBwd dx", dx, n))
      gTable->attnSoftmaxBwd(at<const float>(p), at<const float>(dy), at<float>(dx), rows, T, S, scale, causal);
  }
  return done(a);
}

static napi_value AttnSoftmaxMaskedFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 11);
  const uint32_t x = a.u32(0), p = a.u32(1);
  const int B = a.i32(2), H = a.i32(3), T = a.i32(4), S = a.i32(5);
  const float scale = a.f32(6);
  const int causal = a.i32(7);
  const uint32_t bias = a.u32(8);
  const int biasBatched = a.i32(9);
  const uint32_t pad = a.u32(10);
  if (heapReady(a) && B > 0 && H > 0 && T > 0 && S > 0) {
    const uint64_t n = 4ull * B * H * T * S;
    if (span(a, "attnSoftmaxMaskedFwd x", x, n) && span(a, "attnSoftmaxMaskedFwd p", p, n) &&
        (bias == 0 || span(a, "attnSoftmaxMaskedFwd bias", bias, biasBatched ? n : 4ull * H * T * S)) &&
        (pad == 0 || span(a, "attnSoftmaxMaskedFwd pad", pad, 4ull * B * S)))
      gTable->attnSoftmaxMaskedFwd(at<const float>(x), at<float>(p), B, H, T, S, scale, causal,
                                   bias ? at<const float>(bias) : nullptr, biasBatched,
                                   pad ? at<const float>(pad) : nullptr);
  }
  return done(a);
}

static napi_value AttnSoftmaxMaskedBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 9);
  const uint32_t p = a.u32(0), dy = a.u32(1), dx = a.u32(2);
  const int B = a.i32(3), H = a.i32(4), T = a.i32(5), S = a.i32(6);
  const float scale = a.f32(7);
  const int causal = a.i32(8);
  if (heapReady(a) && B > 0 && H > 0 && T > 0 && S > 0) {
    const uint64_t n = 4ull * B * H * T * S;
    if (span(a, "attnSoftmaxMaskedBwd p", p, n) && span(a, "attnSoftmaxMaskedBwd dy", dy, n) &&
        span(a, "attnSoftmaxMaskedBwd dx", dx, n))
      gTable->attnSoftmaxMaskedBwd(at<const float>(p), at<const float>(dy), at<float>(dx), B, H, T, S, scale, causal);
  }
  return done(a);
}

static napi_value ColSum(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  const uint32_t x = a.u32(0), out = a.u32(1);
  const int N = a.i32(2), C = a.i32(3);
  if (heapReady(a) && C > 0) {
    const int n = N > 0 ? N : 0;
    if (span(a, "colSum x", x, 4ull * n * C) && span(a, "colSum out", out, 4ull * C))
      gTable->colSum(at<const float>(x), at<float>(out), n, C);
  }
  return done(a);
}

static napi_value BroadcastRows(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  const uint32_t b = a.u32(0), y = a.u32(1);
  const int N = a.i32(2), C = a.i32(3);
  if (heapReady(a) && N > 0 && C > 0 && span(a, "broadcastRows b", b, 4ull * C) &&
      span(a, "broadcastRows y", y, 4ull * N * C))
    gTable->broadcastRows(at<const float>(b), at<float>(y), N, C);
  return done(a);
}

static napi_value AdamW(napi_env env, napi_callback_info info) {
  Args a(env, info, 19);
  const uint32_t p = a.u32(0), m = a.u32(1), v = a.u32(2), g = a.u32(3), clipPtr = a.u32(4);
  const int hasClip = a.i32(5);
  const uint32_t pOut = a.u32(6), mOut = a.u32(7), vOut = a.u32(8);
  const int n = a.i32(9);
  const float decayMul = a.f32(10);
  const int hasDecay = a.i32(11);
  const float b1 = a.f32(12), omb1 = a.f32(13), b2 = a.f32(14), omb2 = a.f32(15), bc2Sqrt = a.f32(16),
              eps = a.f32(17), stepSize = a.f32(18);
  if (heapReady(a) && n > 0) {
    const uint64_t bytes = 4ull * n;
    float clip = 1.0f;
    if (hasClip && span(a, "adamw clip", clipPtr, 4)) clip = *at<const float>(clipPtr);
    if (span(a, "adamw p", p, bytes) && span(a, "adamw m", m, bytes) && span(a, "adamw v", v, bytes) &&
        span(a, "adamw g", g, bytes) && span(a, "adamw pOut", pOut, bytes) && span(a, "adamw mOut", mOut, bytes) &&
        span(a, "adamw vOut", vOut, bytes))
      gTable->adamw(at<const float>(p), at<const float>(m), at<const float>(v), at<const float>(g), clip, hasClip,
                    at<float>(pOut), at<float>(mOut), at<float>(vOut), n, decayMul, hasDecay, b1, omb1, b2, omb2,
                    bc2Sqrt, eps, stepSize);
  }
  return done(a);
}

static napi_value SumSquares(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  const uint32_t x = a.u32(0);
  const int n = a.i32(1);
  double r = 0.0;
  if (heapReady(a) && n > 0 && span(a, "sumSquares x", x, 4ull * n)) r = gTable->sumSquares(at<const float>(x), n);
  return done(a, number(env, r));
}

static napi_value CopyBlocks(napi_env env, napi_callback_info info) {
  Args a(env, info, 9);
  const uint32_t src = a.u32(0), dst = a.u32(1);
  const long n1 = a.i32(2), n2 = a.i32(3), bytes = a.i32(4), s1 = a.i32(5), s2 = a.i32(6), d1 = a.i32(7),
             d2 = a.i32(8);
  if (heapReady(a) && n1 > 0 && n2 > 0 && bytes > 0) {
    const long cnt[3] = {n1, n2, bytes}, ss[3] = {s1, s2, 1}, ds[3] = {d1, d2, 1};
    if (strided(a, "copyBlocks src", src, cnt, ss, 3, 1) && strided(a, "copyBlocks dst", dst, cnt, ds, 3, 1))
      gTable->copyBlocks(at<const uint8_t>(src), at<uint8_t>(dst), n1, n2, bytes, s1, s2, d1, d2);
  }
  return done(a);
}

static napi_value CrossEntropyFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  const uint32_t logits = a.u32(0), targets = a.u32(1);
  const int isInt = a.i32(2), N = a.i32(3), V = a.i32(4);
  double r = 0.0;
  if (heapReady(a) && N > 0 && V >= 0 && span(a, "crossEntropyFwd logits", logits, 4ull * N * V) &&
      span(a, "crossEntropyFwd targets", targets, 4ull * N))
    r = gTable->crossEntropyFwd(at<const float>(logits), at<const void>(targets), isInt, N, V);
  return done(a, number(env, r));
}

static napi_value CrossEntropyBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, 7);
  const uint32_t logits = a.u32(0), targets = a.u32(1);
  const int isInt = a.i32(2), N = a.i32(3), V = a.i32(4);
  const float g = a.f32(5);
  const uint32_t dx = a.u32(6);
  if (heapReady(a) && N > 0 && V > 0 && span(a, "crossEntropyBwd logits", logits, 4ull * N * V) &&
      span(a, "crossEntropyBwd targets", targets, 4ull * N) && span(a, "crossEntropyBwd dx", dx, 4ull * N * V))
    gTable->crossEntropyBwd(at<const float>(logits), at<const void>(targets), isInt, N, V, g, at<float>(dx));
  return done(a);
}

static napi_value CrossEntropyGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, 6);
  const uint32_t logits = a.u32(0), targets = a.u32(1);
  const int isInt = a.i32(2), N = a.i32(3), V = a.i32(4);
  const uint32_t dx = a.u32(5);
  double r = 0.0;
  if (heapReady(a) && N > 0 && V > 0 && span(a, "crossEntropyGrad logits", logits, 4ull * N * V) &&
      span(a, "crossEntropyGrad targets", targets, 4ull * N) && span(a, "crossEntropyGrad dx", dx, 4ull * N * V))
    r = gTable->crossEntropyGrad(at<const float>(logits), at<const void>(targets), isInt, N, V, at<float>(dx));
  return done(a, number(env, r));
}

// vocabCE(h, table, bias, targets, isInt, M, V, C, dh, dt, db) -> loss; bias, dh, db: 0 = none
// (dh = 0: the loss only; otherwise dh and dt are written, and db when bias is given).
static napi_value VocabCE(napi_env env, napi_callback_info info) {
  Args a(env, info, 11);
  const uint32_t h = a.u32(0), table = a.u32(1), bias = a.u32(2), targets = a.u32(3);
  const int isInt = a.i32(4), M = a.i32(5), V = a.i32(6), C = a.i32(7);
  const uint32_t dh = a.u32(8), dt = a.u32(9), db = a.u32(10);
  double r = 0.0;
  if (heapReady(a) && M > 0 && V > 0 && C >= 0 && span(a, "vocabCE h", h, 4ull * M * C) &&
      span(a, "vocabCE table", table, 4ull * V * C) && (bias == 0 || span(a, "vocabCE bias", bias, 4ull * V)) &&
      span(a, "vocabCE targets", targets, 4ull * M) && (dh == 0 || span(a, "vocabCE dh", dh, 4ull * M * C)) &&
      (dh == 0 || span(a, "vocabCE dt", dt, 4ull * V * C)) &&
      (dh == 0 || bias == 0 || span(a, "vocabCE db", db, 4ull * V)))
    r = gTable->vocabCE(at<const float>(h), at<const float>(table), bias ? at<const float>(bias) : nullptr,
                        at<const void>(targets), isInt, M, V, C, dh ? at<float>(dh) : nullptr,
                        dh ? at<float>(dt) : nullptr, dh && bias ? at<float>(db) : nullptr);
  return done(a, number(env, r));
}

// ---------------------------------------------------------------------------------------
// Introspection

static napi_value Isa(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, gIsaLabel.c_str(), NAPI_AUTO_LENGTH, &s);
  return s;
}
static napi_value IsaNote(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, gIsaNote.c_str(), NAPI_AUTO_LENGTH, &s);
  return s;
}
static napi_value Threads(napi_env env, napi_callback_info) { return number(env, threads()); }
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  int n = a.i32(0);
  if (!a.ok) return done(a);
  if (n < 1) n = 1;
  if (n > 256) n = 256;
  gThreads.store(n, std::memory_order_relaxed);
  return number(env, n);
}
static napi_value Compiled(napi_env env, napi_callback_info) {
  napi_value arr;
  napi_create_array(env, &arr);
  const char* names[] = {"generic",
#if defined(PL_X86)
                         "avx2", "avx512", "avx512emu"
#endif
  };
  for (uint32_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    napi_value s;
    napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, i, s);
  }
  return arr;
}
static napi_value CpuFeatures(napi_env env, napi_callback_info) {
  const Cpu c = detectCpu();
  Napi::Object o = Napi::Object::New(env);
  o.Set("avx2", Napi::Boolean::New(env, c.avx2));
  o.Set("avx512", Napi::Boolean::New(env, c.avx512));
  return o;
}

static std::once_flag gInitOnce;

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  std::call_once(gInitOnce, [] {
    pickTable();
    gThreads.store(parseThreads(), std::memory_order_relaxed);
    const char* spin = std::getenv("PRETRAIN_LAB_SPIN_US");
    if (spin && *spin) gSpinUs = std::atoi(spin) < 0 ? 0 : std::atoi(spin);
  });
  struct Fn {
    const char* name;
    napi_callback cb;
  };
  const Fn fns[] = {
      {"setHeap", SetHeap},
      {"sgemm", Sgemm},
      {"sgemmWorkBytes", SgemmWorkBytes},
      {"geluFwd", GeluFwd},
      {"geluBwd", GeluBwd},
      {"layerNormFwd", LayerNormFwd},
      {"layerNormBwd", LayerNormBwd},
      {"rmsNormFwd", RmsNormFwd},
      {"rmsNormBwd", RmsNormBwd},
      {"reluFwd", ReluFwd},
      {"reluBwd", ReluBwd},
      {"attnSoftmaxFwd", AttnSoftmaxFwd},
      {"attnSoftmaxBwd", AttnSoftmaxBwd},
      {"attnSoftmaxMaskedFwd", AttnSoftmaxMaskedFwd},
      {"attnSoftmaxMaskedBwd", AttnSoftmaxMaskedBwd},
      {"colSum", ColSum},
      {"broadcastRows", BroadcastRows},
      {"adamw", AdamW},
      {"sumSquares", SumSquares},
      {"copyBlocks", CopyBlocks},
      {"crossEntropyFwd", CrossEntropyFwd},
      {"crossEntropyBwd", CrossEntropyBwd},
      {"crossEntropyGrad", CrossEntropyGrad},
      {"vocabCE", VocabCE},
      {"isa", Isa},
      {"isaNote", IsaNote},
      {"threads", Threads},
      {"setThreads", SetThreads},
      {"compiled", Compiled},
      {"cpuFeatures", CpuFeatures},
  };
  for (const Fn& f : fns) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}

}  // namespace pl

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return pl::Init(env, exports); }
NODE_API_MODULE(pretrain_lab_native, InitModule)
