//===- CpuFeatures.h - x86 features a compiled library requires -*- C++ -*-===//
//
// The instruction-set features the compiler records in a CPU library
// (`qopt_model_cpu_features`, those its target machine enables: the
// compiling machine's by default, --target-cpu otherwise) and the runtime
// checks at qopt_model_create, before any generated code runs: a library
// compiled for AVX-512 would otherwise die of SIGILL on an AVX2 machine.
// Shared by the compiler and the runtime; each name is both LLVM's x86
// feature name and __builtin_cpu_supports's.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TARGET_CPU_CPUFEATURES_H
#define QOPT_TARGET_CPU_CPUFEATURES_H

#define QOPT_X86_CPU_FEATURES(X)                                                           \
  X("sse3") X("ssse3") X("sse4.1") X("sse4.2") X("popcnt") X("avx") X("avx2") X("fma")     \
  X("f16c") X("bmi") X("bmi2") X("lzcnt") X("movbe") X("avx512f") X("avx512bw")           \
  X("avx512vl") X("avx512dq") X("avx512cd") X("avx512vnni") X("avx512bf16")               \
  X("avx512fp16") X("avx512vbmi") X("avx512vbmi2") X("avx512ifma") X("avx512bitalg")      \
  X("avx512vpopcntdq") X("avxvnni") X("gfni") X("vpclmulqdq") X("aes") X("pclmul")

#endif
