//===- DTypes.cpp - dtype names and sizes of the C ABI ---------------------===//
#include "qopt-c/Runtime.h"

#include <cstring>

namespace {
const struct {
  const char *name;
  int32_t dtype;
  size_t size;
} kDtypes[] = {
    {"f32", QOPT_DTYPE_F32, 4},  {"f64", QOPT_DTYPE_F64, 8},
    {"f16", QOPT_DTYPE_F16, 2},  {"bf16", QOPT_DTYPE_BF16, 2},
    {"i8", QOPT_DTYPE_I8, 1},    {"i16", QOPT_DTYPE_I16, 2},
    {"i32", QOPT_DTYPE_I32, 4},  {"i64", QOPT_DTYPE_I64, 8},
    {"u8", QOPT_DTYPE_U8, 1},    {"u16", QOPT_DTYPE_U16, 2},
    {"u32", QOPT_DTYPE_U32, 4},  {"u64", QOPT_DTYPE_U64, 8},
    {"bool", QOPT_DTYPE_BOOL, 1},
};

} // namespace

extern "C" {

size_t qopt_dtype_size(int32_t dtype) {
  for (const auto &d : kDtypes)
    if (d.dtype == dtype)
      return d.size;
  return 0;
}

const char *qopt_dtype_name(int32_t dtype) {
  for (const auto &d : kDtypes)
    if (d.dtype == dtype)
      return d.name;
  return "invalid";
}

int32_t qopt_dtype_from_name(const char *name) {
  for (const auto &d : kDtypes)
    if (std::strcmp(d.name, name) == 0)
      return d.dtype;
  return QOPT_DTYPE_INVALID;
}

} // extern "C"
