// Kernels for ISA "avx512" (see body.inl). Built as its own static library with its own
// compiler flags (binding.gyp); nothing here runs before addon.cpp has checked the CPU.
// The only symbol with external linkage is pl::table_avx512, a constant-initialised table.
#include "common.h"
#include <immintrin.h>

#define PL_MR 12
#define PL_NR 32
#define PL_MC 192
#define PL_INPLACE_N 64
#define PL_NC 3072
#define PL_ISA_NAME "avx512"
#define PL_X86_PACK 1

namespace pl {
namespace avx512 {
namespace {
#include "isa_avx512.inl"
#include "pack_x86.inl"
#include "body.inl"
}  // namespace
}  // namespace avx512

#if __cplusplus >= 202002L
constinit
#endif
    const Table table_avx512 = {PL_TABLE_INIT(avx512)};
}  // namespace pl
