// qopt-cpu-codegen-pipeline (buildCPUCodegenPipeline): linalg on tensors to
// the LLVM dialect for x86. Options: opt-level, isa, threads, band-bytes,
// winograd.
// RUN: qopt-opt %s --qopt-cpu-codegen-pipeline="opt-level=1 isa=avxvnni f32-kernel=avx2 band-bytes=1024" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: qopt-opt %s --qopt-cpu-codegen-pipeline="opt-level=1 winograd=false" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOWINO
// RUN: qopt-opt %s --qopt-cpu-codegen-pipeline="opt-level=0 threads=1" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPU0
// RUN: qopt-opt %s --qopt-cpu-codegen-pipeline | FileCheck %s --check-prefix=LLVM --implicit-check-not=linalg. --implicit-check-not=tensor.
// CPU: Pass Manager with 43 passes:
// CPU-NEXT: builtin.module(
// CPU-NEXT: func.func(
// CPU-NEXT: qopt-conv-to-im2col-gemm{band-bytes=1024}
// CPU-NEXT: ),
// CPU-NEXT: canonicalize{{.*}},
// CPU-NEXT: cse,
// CPU-NEXT: func.func(
// CPU-NEXT: qopt-fuse-elementwise
// CPU-NEXT: ),
// CPU-NEXT: canonicalize{{.*}},
// CPU-NEXT: cse,
// CPU-NEXT: func.func(
// CPU-NEXT: qopt-split-floordiv-dims
// CPU-NEXT: ),
// CPU-NEXT: canonicalize{{.*}},
// CPU-NEXT: func.func(
// CPU-NEXT: qopt-pad-in-place,
// CPU-NEXT: qopt-fuse-gemm-epilogue,
// CPU-NEXT: qopt-fuse-depthwise-epilogue{tile-bytes=262144}
// CPU-NEXT: ),
// CPU-NEXT: one-shot-bufferize{{.*}}bufferize-function-boundaries=true{{.*}}function-boundary-type-conversion=identity-layout-map{{.*}},
// CPU-NEXT: qopt-own-results,
// CPU-NEXT: canonicalize{{.*}},
// CPU-NEXT: expand-realloc{emit-deallocs=false},
// CPU-NEXT: canonicalize{{.*}},
// CPU-NEXT: ownership-based-buffer-deallocation{private-function-dynamic-ownership=false},
// CPU-NEXT: canonicalize{{.*}},
// CPU-NEXT: buffer-deallocation-simplification,
// CPU-NEXT: bufferization-lower-deallocations,
// CPU-NEXT: cse,
// CPU-NEXT: canonicalize{{.*}},
// CPU-NEXT: qopt-strided-copy-to-linalg,
// CPU-NEXT: qopt-prepack-weights{f32-kernel=avx2 isa=avxvnni pack-f32=true release-weights=false},
// CPU-NEXT: qopt-fold-im2col,
// CPU-NEXT: qopt-winograd-conv{min-channels=16 min-filters=8},
// CPU-NEXT: qopt-runtime-asserts,
// CPU-NEXT: qopt-matmul-microkernel{isa=avxvnni},
// CPU-NEXT: qopt-parallel-loops{min-iterations=32768},
// CPU-NEXT: func.func(
// CPU-NEXT: scf-forall-to-for,
// CPU-NEXT: convert-linalg-to-loops,
// CPU-NEXT: qopt-vectorize-lane-loops,
// CPU-NEXT: qopt-promote-reductions,
// CPU-NEXT: qopt-approximate-math{},
// CPU-NEXT: qopt-plan-buffers
// CPU-NEXT: ),
// CPU-NEXT: lower-affine,
// CPU-NEXT: convert-scf-to-cf{allow-pattern-rollback=true},
// CPU-NEXT: qopt-dynamic-expand-shape,
// CPU-NEXT: expand-strided-metadata,
// CPU-NEXT: lower-affine,
// CPU-NEXT: convert-math-to-llvm{approximate-log1p=true},
// CPU-NEXT: convert-math-to-libm,
// CPU-NEXT: convert-vector-to-llvm{enable-amx=false enable-arm-bf16=false enable-arm-i8mm=false enable-arm-neon=false enable-arm-sve=false enable-x86vector=false force-32bit-vector-indices=true reassociate-fp-reductions=false use-vector-alignment=false vector-contract-lowering=dot vector-transpose-lowering=eltwise},
// CPU-NEXT: finalize-memref-to-llvm{index-bitwidth=0 use-aligned-alloc=false use-generic-functions=true},
// CPU-NEXT: convert-arith-to-llvm{index-bitwidth=0},
// CPU-NEXT: convert-index-to-llvm{index-bitwidth=0},
// CPU-NEXT: convert-func-to-llvm{index-bitwidth=0 use-bare-ptr-memref-call-conv=false},
// CPU-NEXT: convert-cf-to-llvm{index-bitwidth=0},
// CPU-NEXT: convert-openmp-to-llvm,
// CPU-NEXT: reconcile-unrealized-casts
// CPU-NEXT: )

// winograd=false: no qopt-winograd-conv after the fold.
// NOWINO: Pass Manager with 42 passes:
// NOWINO: qopt-fold-im2col,
// NOWINO-NEXT: qopt-runtime-asserts,
// CPU0: Pass Manager with 33 passes:
// CPU0-NEXT: builtin.module(
// CPU0-NEXT: func.func(
// CPU0-NEXT: qopt-conv-to-im2col-gemm{band-bytes=2097152}
// CPU0-NEXT: ),
// CPU0-NEXT: canonicalize{{.*}},
// CPU0-NEXT: cse,
// CPU0-NEXT: one-shot-bufferize{{.*}}bufferize-function-boundaries=true{{.*}}function-boundary-type-conversion=identity-layout-map{{.*}},
// CPU0-NEXT: qopt-own-results,
// CPU0-NEXT: canonicalize{{.*}},
// CPU0-NEXT: expand-realloc{emit-deallocs=false},
// CPU0-NEXT: canonicalize{{.*}},
// CPU0-NEXT: ownership-based-buffer-deallocation{private-function-dynamic-ownership=false},
// CPU0-NEXT: canonicalize{{.*}},
// CPU0-NEXT: buffer-deallocation-simplification,
// CPU0-NEXT: bufferization-lower-deallocations,
// CPU0-NEXT: cse,
// CPU0-NEXT: canonicalize{{.*}},
// CPU0-NEXT: qopt-strided-copy-to-linalg,
// CPU0-NEXT: qopt-runtime-asserts,
// CPU0-NEXT: qopt-matmul-microkernel{isa=generic},
// CPU0-NEXT: func.func(
// CPU0-NEXT: scf-forall-to-for,
// CPU0-NEXT: convert-linalg-to-loops,
// CPU0-NEXT: qopt-promote-reductions,
// CPU0-NEXT: qopt-approximate-math{}
// CPU0-NEXT: ),
// CPU0-NEXT: lower-affine,
// CPU0-NEXT: convert-scf-to-cf{allow-pattern-rollback=true},
// CPU0-NEXT: qopt-dynamic-expand-shape,
// CPU0-NEXT: expand-strided-metadata,
// CPU0-NEXT: lower-affine,
// CPU0-NEXT: convert-math-to-llvm{approximate-log1p=true},
// CPU0-NEXT: convert-math-to-libm,
// CPU0-NEXT: convert-vector-to-llvm{enable-amx=false enable-arm-bf16=false enable-arm-i8mm=false enable-arm-neon=false enable-arm-sve=false enable-x86vector=false force-32bit-vector-indices=true reassociate-fp-reductions=false use-vector-alignment=false vector-contract-lowering=dot vector-transpose-lowering=eltwise},
// CPU0-NEXT: finalize-memref-to-llvm{index-bitwidth=0 use-aligned-alloc=false use-generic-functions=true},
// CPU0-NEXT: convert-arith-to-llvm{index-bitwidth=0},
// CPU0-NEXT: convert-index-to-llvm{index-bitwidth=0},
// CPU0-NEXT: convert-func-to-llvm{index-bitwidth=0 use-bare-ptr-memref-call-conv=false},
// CPU0-NEXT: convert-cf-to-llvm{index-bitwidth=0},
// CPU0-NEXT: convert-openmp-to-llvm,
// CPU0-NEXT: reconcile-unrealized-casts
// CPU0-NEXT: )

// The conv runs as the runtime's f32 GEMM.
// LLVM: llvm.func @main
// LLVM: llvm.call @qopt_matmul_f32
func.func @main(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x6x6xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) outs(%i : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}
