// qopt-gpu-codegen-pipeline (buildGPUCodegenPipeline): linalg on tensors to
// the LLVM dialect with the kernels in gpu.binary ops. The qopt passes and
// the order of the upstream GPU steps are pinned here; qoptc
// --target=cuda runs the same builder.
// RUN: qopt-opt %s --qopt-gpu-codegen-pipeline="arch=sm_90" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s
// RUN: qopt-opt %s --qopt-gpu-codegen-pipeline="opt-level=0 tensor-cores=0 block-size=64" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=O0
// RUN: qopt-opt %s --qopt-gpu-codegen-pipeline="emulate-on-host=1" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=EMU
// RUN: qopt-opt %s --qopt-gpu-codegen-pipeline="emulate-on-host=1 emulate-tensor-cores=1" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=EMUTC
// RUN: qopt-opt %s --qopt-gpu-codegen-pipeline | FileCheck %s --check-prefix=OUT
// CHECK: builtin.module(
// CHECK-NEXT: func.func(
// CHECK-NEXT: qopt-conv-to-im2col-gemm
// CHECK: qopt-fuse-elementwise
// CHECK: one-shot-bufferize
// CHECK: qopt-strided-copy-to-linalg,
// CHECK-NEXT: qopt-gpu-transpose-constant-b{floats=false},
// CHECK-NEXT: func.func(
// CHECK-NEXT: qopt-gpu-place-buffers,
// CHECK-NEXT: qopt-gpu-mma-matmul{bfloat16=false epilogues=true float16=false implicit-gemm=true},
// CHECK-NEXT: qopt-gpu-map-kernels{block-size=256 epilogues=true},
// CHECK-NEXT: convert-linalg-to-loops,
// CHECK-NEXT: scf-forall-to-for,
// CHECK-NEXT: qopt-plan-buffers{device=true}
// CHECK-NEXT: ),
// CHECK: gpu-kernel-outlining
// CHECK-NEXT: func.func(
// CHECK-NEXT: gpu-async-region
// CHECK-NEXT: ),
// CHECK-NEXT: nvvm-attach-target{O=2 chip=sm_90
// CHECK-NEXT: gpu.module(
// CHECK-NEXT: qopt-gpu-align-shared-memory{alignment=16}
// CHECK-NEXT: ),
// CHECK-NEXT: gpu.module(
// CHECK-NEXT: qopt-gpu-expand-pow
// CHECK-NEXT: ),
// CHECK-NEXT: qopt-approximate-math{ops={exp,expm1,tanh,log,log2,log1p,erf,erfc,atan,atan2,asin,acos,sin,cos,cbrt}},
// CHECK: gpu.module(
// CHECK-NEXT: qopt-gpu-lower-bf16-mma
// CHECK-NEXT: ),
// CHECK-NEXT: convert-nvgpu-to-nvvm,
// CHECK-NEXT: gpu.module(
// CHECK-NEXT: convert-gpu-to-nvvm
// CHECK-NEXT: convert-vector-to-llvm
// CHECK-NEXT: qopt-gpu-lower-math,
// CHECK: gpu-to-llvm
// CHECK: qopt-gpu-module-to-binary{format=isa toolkit=}
// CHECK-NEXT: )

// O0-NOT: qopt-conv-to-im2col-gemm
// O0-NOT: qopt-fuse-elementwise
// O0-NOT: qopt-gpu-transpose-constant-b
// O0-NOT: qopt-gpu-mma-matmul
// O0: qopt-gpu-map-kernels{block-size=64 epilogues=false}
// O0-NOT: qopt-plan-buffers

// EMU: qopt-conv-to-im2col-gemm
// EMU-NOT: qopt-gpu-transpose-constant-b
// EMU-NOT: qopt-gpu-mma-matmul
// EMU: qopt-gpu-map-kernels{block-size=256 epilogues=true},
// EMU: cse,
// EMU-NEXT: qopt-gpu-emulate-on-host{teams=false},
// EMU-NEXT: qopt-gpu-expand-pow,
// EMU-NEXT: qopt-approximate-math
// EMU-NOT: gpu-kernel-outlining
// EMU-NOT: nvvm
// EMU: convert-vector-to-llvm
// EMU: finalize-memref-to-llvm
// EMU: reconcile-unrealized-casts
// EMU-NEXT: )

// With the tensor cores emulated too: the tensor-core pass stays, and the
// emulation runs cooperating blocks as OpenMP teams.
// EMUTC: qopt-gpu-transpose-constant-b{floats=false}
// EMUTC: qopt-gpu-mma-matmul{bfloat16=false epilogues=true float16=false implicit-gemm=true}
// EMUTC: qopt-gpu-emulate-on-host{teams=true},
// EMUTC-NOT: gpu-kernel-outlining

// OUT: llvm.func @main
// OUT: gpu.launch_func <%{{.*}} : !llvm.ptr> @main_kernel::@main_kernel
// OUT: gpu.binary @main_kernel
// OUT-SAME: .target sm_80
// OUT-SAME: fma.rn.f32
// OUT-NOT: __nv_
func.func @main(%a: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.tanh %x : f32
    linalg.yield %y : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}
