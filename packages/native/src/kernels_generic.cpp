// Kernels for ISA "generic" (see body.inl). Built as its own static library with its own
// compiler flags (binding.gyp); nothing here runs before addon.cpp has checked the CPU.
// The only symbol with external linkage is pl::table_generic, a constant-initialised table.
#include "common.h"


#define PL_MR 4
#define PL_NR 8
#define PL_MC 128
#define PL_INPLACE_N 64
#define PL_NC 2048
#define PL_ISA_NAME "generic"


namespace pl {
namespace generic {
namespace {
#include "isa_generic.inl"

#include "body.inl"
}  // namespace
}  // namespace generic

#if __cplusplus >= 202002L
constinit
#endif
    const Table table_generic = {PL_TABLE_INIT(generic)};
}  // namespace pl
