// Kernels for ISA "avx2" (see body.inl). Built as its own static library with its own
// compiler flags (binding.gyp); nothing here runs before addon.cpp has checked the CPU.
// The only symbol with external linkage is pl::table_avx2, a constant-initialised table.
#include "common.h"
#include <immintrin.h>

#define PL_MR 6
#define PL_NR 16
#define PL_MC 144
#define PL_INPLACE_N 64
#define PL_NC 4080
#define PL_ISA_NAME "avx2"
#define PL_X86_PACK 1

namespace pl {
namespace avx2 {
namespace {
#include "isa_avx2.inl"
#include "pack_x86.inl"
#include "body.inl"
}  // namespace
}  // namespace avx2

#if __cplusplus >= 202002L
constinit
#endif
    const Table table_avx2 = {PL_TABLE_INIT(avx2)};
}  // namespace pl
