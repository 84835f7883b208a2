// The compile pipeline (buildCompilePipeline), as qopt-opt's
// `qopt-lower-to-llvm`: qopt-to-linalg-pipeline with the CPU's 16 reduction
// lanes, then qopt-cpu-codegen-pipeline. The pass list at each -O level and
// thread count is pinned here; qoptc runs the same builder.
// RUN: qopt-opt %s --qopt-lower-to-llvm="opt-level=2 isa=avx512vnni f32-kernel=avx512" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=O2
// RUN: qopt-opt %s --qopt-lower-to-llvm="opt-level=1 isa=avx512vnni f32-kernel=avx512" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=O2
// RUN: qopt-opt %s --qopt-lower-to-llvm="opt-level=3 isa=avx512vnni f32-kernel=avx512" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=O2
// RUN: qopt-opt %s --qopt-lower-to-llvm="opt-level=0 isa=avx2" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=O0
// RUN: qopt-opt %s --qopt-lower-to-llvm="threads=1" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=T1
// RUN: qopt-opt %s --qopt-lower-to-llvm | FileCheck %s --check-prefix=LLVM
// RUN: not qopt-opt %s --qopt-lower-to-llvm="isa=sse9" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADISA

// -O1..-O3 build the same MLIR pipeline (they differ in LLVM's).
// O2: Pass Manager with 48 passes:
// O2-NEXT: builtin.module(
// O2-NEXT: qopt-model-interface{entry=main},
// O2-NEXT: func.func(
// O2-NEXT: qopt-expand-qoperator,
// O2-NEXT: qopt-lower-quantize-linear,
// O2-NEXT: qopt-lower-quantized
// O2-NEXT: ),
// O2-NEXT: canonicalize{{.*}},
// O2-NEXT: cse,
// O2-NEXT: convert-qopt-to-linalg{reduction-lanes=16 runtime-checks=true},
// O2-NEXT: func.func(
// O2-NEXT: qopt-conv-to-im2col-gemm{band-bytes=2097152}
// O2-NEXT: ),
// O2-NEXT: canonicalize{{.*}},
// O2-NEXT: cse,
// O2-NEXT: func.func(
// O2-NEXT: qopt-fuse-elementwise
// O2-NEXT: ),
// O2-NEXT: canonicalize{{.*}},
// O2-NEXT: cse,
// O2-NEXT: func.func(
// O2-NEXT: qopt-split-floordiv-dims
// O2-NEXT: ),
// O2-NEXT: canonicalize{{.*}},
// O2-NEXT: func.func(
// O2-NEXT: qopt-pad-in-place,
// O2-NEXT: qopt-fuse-gemm-epilogue,
// O2-NEXT: qopt-fuse-depthwise-epilogue{tile-bytes=262144}
// O2-NEXT: ),
// O2-NEXT: one-shot-bufferize{{.*}}bufferize-function-boundaries=true{{.*}}function-boundary-type-conversion=identity-layout-map{{.*}},
// O2-NEXT: qopt-own-results,
// O2-NEXT: canonicalize{{.*}},
// O2-NEXT: expand-realloc{emit-deallocs=false},
// O2-NEXT: canonicalize{{.*}},
// O2-NEXT: ownership-based-buffer-deallocation{private-function-dynamic-ownership=false},
// O2-NEXT: canonicalize{{.*}},
// O2-NEXT: buffer-deallocation-simplification,
// O2-NEXT: bufferization-lower-deallocations,
// O2-NEXT: cse,
// O2-NEXT: canonicalize{{.*}},
// O2-NEXT: qopt-strided-copy-to-linalg,
// O2-NEXT: qopt-prepack-weights{f32-kernel=avx512 isa=avx512vnni pack-f32=true release-weights=false},
// O2-NEXT: qopt-fold-im2col,
// O2-NEXT: qopt-winograd-conv{min-channels=16 min-filters=8},
// O2-NEXT: qopt-runtime-asserts,
// O2-NEXT: qopt-matmul-microkernel{isa=avx512vnni},
// O2-NEXT: qopt-parallel-loops{min-iterations=32768},
// O2-NEXT: func.func(
// O2-NEXT: scf-forall-to-for,
// O2-NEXT: convert-linalg-to-loops,
// O2-NEXT: qopt-vectorize-lane-loops,
// O2-NEXT: qopt-promote-reductions,
// O2-NEXT: qopt-approximate-math{},
// O2-NEXT: qopt-plan-buffers
// O2-NEXT: ),
// O2-NEXT: lower-affine,
// O2-NEXT: convert-scf-to-cf{allow-pattern-rollback=true},
// O2-NEXT: qopt-dynamic-expand-shape,
// O2-NEXT: expand-strided-metadata,
// O2-NEXT: lower-affine,
// O2-NEXT: convert-math-to-llvm{approximate-log1p=true},
// O2-NEXT: convert-math-to-libm,
// O2-NEXT: convert-vector-to-llvm{enable-amx=false enable-arm-bf16=false enable-arm-i8mm=false enable-arm-neon=false enable-arm-sve=false enable-x86vector=false force-32bit-vector-indices=true reassociate-fp-reductions=false use-vector-alignment=false vector-contract-lowering=dot vector-transpose-lowering=eltwise},
// O2-NEXT: finalize-memref-to-llvm{index-bitwidth=0 use-aligned-alloc=false use-generic-functions=true},
// O2-NEXT: convert-arith-to-llvm{index-bitwidth=0},
// O2-NEXT: convert-index-to-llvm{index-bitwidth=0},
// O2-NEXT: convert-func-to-llvm{index-bitwidth=0 use-bare-ptr-memref-call-conv=false},
// O2-NEXT: convert-cf-to-llvm{index-bitwidth=0},
// O2-NEXT: convert-openmp-to-llvm,
// O2-NEXT: reconcile-unrealized-casts
// O2-NEXT: )

// -O0: no elementwise fusion, floordiv splitting, pad-in-place, GEMM
// epilogue fusion, weight packing or memory plan.
// O0: Pass Manager with 39 passes:
// O0-NEXT: builtin.module(
// O0-NEXT: qopt-model-interface{entry=main},
// O0-NEXT: func.func(
// O0-NEXT: qopt-expand-qoperator,
// O0-NEXT: qopt-lower-quantize-linear,
// O0-NEXT: qopt-lower-quantized
// O0-NEXT: ),
// O0-NEXT: canonicalize{{.*}},
// O0-NEXT: cse,
// O0-NEXT: convert-qopt-to-linalg{reduction-lanes=16 runtime-checks=true},
// O0-NEXT: func.func(
// O0-NEXT: qopt-conv-to-im2col-gemm{band-bytes=2097152}
// O0-NEXT: ),
// O0-NEXT: canonicalize{{.*}},
// O0-NEXT: cse,
// O0-NEXT: one-shot-bufferize{{.*}}bufferize-function-boundaries=true{{.*}}function-boundary-type-conversion=identity-layout-map{{.*}},
// O0-NEXT: qopt-own-results,
// O0-NEXT: canonicalize{{.*}},
// O0-NEXT: expand-realloc{emit-deallocs=false},
// O0-NEXT: canonicalize{{.*}},
// O0-NEXT: ownership-based-buffer-deallocation{private-function-dynamic-ownership=false},
// O0-NEXT: canonicalize{{.*}},
// O0-NEXT: buffer-deallocation-simplification,
// O0-NEXT: bufferization-lower-deallocations,
// O0-NEXT: cse,
// O0-NEXT: canonicalize{{.*}},
// O0-NEXT: qopt-strided-copy-to-linalg,
// O0-NEXT: qopt-runtime-asserts,
// O0-NEXT: qopt-matmul-microkernel{isa=avx2},
// O0-NEXT: qopt-parallel-loops{min-iterations=32768},
// O0-NEXT: func.func(
// O0-NEXT: scf-forall-to-for,
// O0-NEXT: convert-linalg-to-loops,
// O0-NEXT: qopt-promote-reductions,
// O0-NEXT: qopt-approximate-math{}
// O0-NEXT: ),
// O0-NEXT: lower-affine,
// O0-NEXT: convert-scf-to-cf{allow-pattern-rollback=true},
// O0-NEXT: qopt-dynamic-expand-shape,
// O0-NEXT: expand-strided-metadata,
// O0-NEXT: lower-affine,
// O0-NEXT: convert-math-to-llvm{approximate-log1p=true},
// O0-NEXT: convert-math-to-libm,
// O0-NEXT: convert-vector-to-llvm{enable-amx=false enable-arm-bf16=false enable-arm-i8mm=false enable-arm-neon=false enable-arm-sve=false enable-x86vector=false force-32bit-vector-indices=true reassociate-fp-reductions=false use-vector-alignment=false vector-contract-lowering=dot vector-transpose-lowering=eltwise},
// O0-NEXT: finalize-memref-to-llvm{index-bitwidth=0 use-aligned-alloc=false use-generic-functions=true},
// O0-NEXT: convert-arith-to-llvm{index-bitwidth=0},
// O0-NEXT: convert-index-to-llvm{index-bitwidth=0},
// O0-NEXT: convert-func-to-llvm{index-bitwidth=0 use-bare-ptr-memref-call-conv=false},
// O0-NEXT: convert-cf-to-llvm{index-bitwidth=0},
// O0-NEXT: convert-openmp-to-llvm,
// O0-NEXT: reconcile-unrealized-casts
// O0-NEXT: )

// One thread: no OpenMP regions (qopt-parallel-loops is left out).
// T1: Pass Manager with 47 passes:
// T1-NEXT: builtin.module(
// T1-NEXT: qopt-model-interface{entry=main},
// T1-NEXT: func.func(
// T1-NEXT: qopt-expand-qoperator,
// T1-NEXT: qopt-lower-quantize-linear,
// T1-NEXT: qopt-lower-quantized
// T1-NEXT: ),
// T1-NEXT: canonicalize{{.*}},
// T1-NEXT: cse,
// T1-NEXT: convert-qopt-to-linalg{reduction-lanes=16 runtime-checks=true},
// T1-NEXT: func.func(
// T1-NEXT: qopt-conv-to-im2col-gemm{band-bytes=2097152}
// T1-NEXT: ),
// T1-NEXT: canonicalize{{.*}},
// T1-NEXT: cse,
// T1-NEXT: func.func(
// T1-NEXT: qopt-fuse-elementwise
// T1-NEXT: ),
// T1-NEXT: canonicalize{{.*}},
// T1-NEXT: cse,
// T1-NEXT: func.func(
// T1-NEXT: qopt-split-floordiv-dims
// T1-NEXT: ),
// T1-NEXT: canonicalize{{.*}},
// T1-NEXT: func.func(
// T1-NEXT: qopt-pad-in-place,
// T1-NEXT: qopt-fuse-gemm-epilogue,
// T1-NEXT: qopt-fuse-depthwise-epilogue{tile-bytes=262144}
// T1-NEXT: ),
// T1-NEXT: one-shot-bufferize{{.*}}bufferize-function-boundaries=true{{.*}}function-boundary-type-conversion=identity-layout-map{{.*}},
// T1-NEXT: qopt-own-results,
// T1-NEXT: canonicalize{{.*}},
// T1-NEXT: expand-realloc{emit-deallocs=false},
// T1-NEXT: canonicalize{{.*}},
// T1-NEXT: ownership-based-buffer-deallocation{private-function-dynamic-ownership=false},
// T1-NEXT: canonicalize{{.*}},
// T1-NEXT: buffer-deallocation-simplification,
// T1-NEXT: bufferization-lower-deallocations,
// T1-NEXT: cse,
// T1-NEXT: canonicalize{{.*}},
// T1-NEXT: qopt-strided-copy-to-linalg,
// T1-NEXT: qopt-prepack-weights{f32-kernel=generic isa=generic pack-f32=true release-weights=false},
// T1-NEXT: qopt-fold-im2col,
// T1-NEXT: qopt-winograd-conv{min-channels=16 min-filters=8},
// T1-NEXT: qopt-runtime-asserts,
// T1-NEXT: qopt-matmul-microkernel{isa=generic},
// T1-NEXT: func.func(
// T1-NEXT: scf-forall-to-for,
// T1-NEXT: convert-linalg-to-loops,
// T1-NEXT: qopt-vectorize-lane-loops,
// T1-NEXT: qopt-promote-reductions,
// T1-NEXT: qopt-approximate-math{},
// T1-NEXT: qopt-plan-buffers
// T1-NEXT: ),
// T1-NEXT: lower-affine,
// T1-NEXT: convert-scf-to-cf{allow-pattern-rollback=true},
// T1-NEXT: qopt-dynamic-expand-shape,
// T1-NEXT: expand-strided-metadata,
// T1-NEXT: lower-affine,
// T1-NEXT: convert-math-to-llvm{approximate-log1p=true},
// T1-NEXT: convert-math-to-libm,
// T1-NEXT: convert-vector-to-llvm{enable-amx=false enable-arm-bf16=false enable-arm-i8mm=false enable-arm-neon=false enable-arm-sve=false enable-x86vector=false force-32bit-vector-indices=true reassociate-fp-reductions=false use-vector-alignment=false vector-contract-lowering=dot vector-transpose-lowering=eltwise},
// T1-NEXT: finalize-memref-to-llvm{index-bitwidth=0 use-aligned-alloc=false use-generic-functions=true},
// T1-NEXT: convert-arith-to-llvm{index-bitwidth=0},
// T1-NEXT: convert-index-to-llvm{index-bitwidth=0},
// T1-NEXT: convert-func-to-llvm{index-bitwidth=0 use-bare-ptr-memref-call-conv=false},
// T1-NEXT: convert-cf-to-llvm{index-bitwidth=0},
// T1-NEXT: convert-openmp-to-llvm,
// T1-NEXT: reconcile-unrealized-casts
// T1-NEXT: )

// LLVM: llvm.func @main
// LLVM: llvm.call @qopt_matmul_f32
// LLVM: llvm.mlir.global external constant @qopt_model_meta
// BADISA: qopt-prepack-weights: unknown isa 'sse9' (expected avx512vnni, avxvnni, avx2 or generic)
func.func @main(%x: tensor<1x3x8x8xf32> {qopt.name = "x"}) -> (tensor<1x4x8x8xf32> {qopt.name = "y"}) {
  %w = qopt.constant dense<0.5> : tensor<4x3x3x3xf32>
  %b = qopt.constant dense<0.25> : tensor<4xf32>
  %0 = qopt.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %1 = qopt.relu %0 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %1 : tensor<1x4x8x8xf32>
}
