//===- CpuFeatures.cpp - the library's instruction set against this CPU ---===//
//
// A library's code (its CPU code, and a GPU library's host code) runs the
// instruction set it was compiled for: the compiling machine's, or qoptc
// --target-cpu/--target-features'. qoptc records those features
// (qopt/Target/CPU/CpuFeatures.h); qopt_model_create checks them here
// before any generated code runs, so that a library compiled for AVX-512
// fails with a message on an AVX2 machine instead of dying of SIGILL.
//
//===----------------------------------------------------------------------===//
#include "CpuFeatures.h"
#include "qopt/Target/CPU/CpuFeatures.h"

#include <string_view>

extern "C" {
// "avx,avx2,...", and the CPU name the library was compiled for; absent
// from libraries of older compilers and non-x86 targets.
__attribute__((weak)) extern const char qopt_model_cpu_features[];
__attribute__((weak)) extern const char qopt_model_target_cpu[];
}

namespace {

/// Whether this CPU has the feature `name` (one of CpuFeatures.h's); true
/// for names it does not know.
bool cpuHas(std::string_view name) {
#if defined(__x86_64__)
#define QOPT_CHECK_FEATURE(NAME)                                                           \
  if (name == NAME)                                                                        \
    return __builtin_cpu_supports(NAME);
  QOPT_X86_CPU_FEATURES(QOPT_CHECK_FEATURE)
#undef QOPT_CHECK_FEATURE
#endif
  (void)name;
  return true;
}

} // namespace

bool qopt::rt::checkCpuFeatures(std::string &error) {
  const char *features = qopt_model_cpu_features;
  if (!features)
    return true;
  std::string missing;
  std::string_view rest = features;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    if (!name.empty() && !cpuHas(name))
      missing += std::string(missing.empty() ? "" : ",") + std::string(name);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (missing.empty())
    return true;
  const char *cpu = qopt_model_target_cpu ? qopt_model_target_cpu : "?";
  error = std::string("this library was compiled for another CPU (") + cpu + ", with " +
          features + "): this CPU lacks " + missing +
          " and would stop on an illegal instruction; compile it on this machine, or for "
          "every machine it runs on with qoptc --target-cpu (e.g. x86-64-v3 for AVX2 CPUs)";
  return false;
}
