// qopt-gpu-mma-matmul{float16}: f32 GEMMs on the f16 tensor cores. Operands
// are rounded to f16 as they are staged, two m16n8k16 steps per 32-wide
// k-tile, f32 accumulators, C += acc in f32. Without the option f32 GEMMs
// stay SIMT.
// RUN: qopt-opt %s --qopt-gpu-mma-matmul=float16=1 | FileCheck %s
// RUN: qopt-opt %s --qopt-gpu-mma-matmul | FileCheck %s --check-prefix=OFF
// RUN: qopt-opt %s --qopt-gpu-codegen-pipeline="format=isa float16=1" | FileCheck %s --check-prefix=PTX
// RUN: %if ptxas %{ qopt-opt %s --qopt-gpu-codegen-pipeline="format=bin arch=sm_90 float16=1 toolkit=%cuda_toolkit" -o /dev/null %}
// With bfloat16 the same kernel on bf16 (qopt-gpu-lower-bf16-mma lowers its
// mma.sync, which upstream's nvgpu lowering refuses).
// RUN: qopt-opt %s --qopt-gpu-mma-matmul=bfloat16=1 | FileCheck %s --check-prefix=BF16
// RUN: qopt-opt %s --qopt-gpu-codegen-pipeline="format=isa bfloat16=1" | FileCheck %s --check-prefix=PTXBF16
// RUN: %if ptxas %{ qopt-opt %s --qopt-gpu-codegen-pipeline="format=bin arch=sm_80 bfloat16=1 toolkit=%cuda_toolkit" -o /dev/null %}
// RUN: %if ptxas %{ qopt-opt %s --qopt-gpu-codegen-pipeline="format=bin arch=sm_90 bfloat16=1 toolkit=%cuda_toolkit" -o /dev/null %}

// CHECK-LABEL: func.func @float_gemm
// CHECK: gpu.launch {{.*}} workgroup(%[[AS:.*]] : memref<64x40xf16, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<64x40xf16, #gpu.address_space<workgroup>>)
// CHECK: scf.for {{.*}} -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
// CHECK: vector.load %arg0[{{.*}}] {alignment = 16 : i64} : memref<?x?xf32>, vector<16xf32>
// CHECK-NEXT: arith.truncf %{{.*}} : vector<16xf32> to vector<16xf16>
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: gpu.barrier
// CHECK-COUNT-2: nvgpu.ldmatrix %[[AS]][{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<64x40xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK-COUNT-2: nvgpu.ldmatrix %[[BS]][{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<64x40xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK-COUNT-16: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: gpu.barrier
// CHECK: arith.addf
// CHECK-NOT: linalg.matmul
// CHECK-LABEL: func.func @main
// BF16-LABEL: func.func @float_gemm
// BF16: gpu.launch {{.*}} workgroup(%[[AS:.*]] : memref<64x40xbf16, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<64x40xbf16, #gpu.address_space<workgroup>>)
// BF16: arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// BF16: nvgpu.ldmatrix %[[AS]][{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<64x40xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// BF16-COUNT-16: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
// OFF-LABEL: func.func @float_gemm
// OFF: linalg.matmul
// OFF-NOT: nvgpu.mma.sync
func.func @float_gemm(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  linalg.matmul ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>)
  return
}

// PTXBF16: gpu.binary
// PTXBF16-SAME: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-SAME: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
func.func @main(%a: tensor<?x256xf32>, %b: tensor<256x96xf32>) -> tensor<?x96xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x256xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty(%m) : tensor<?x96xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x96xf32>) -> tensor<?x96xf32>
  %r = linalg.matmul ins(%a, %b : tensor<?x256xf32>, tensor<256x96xf32>) outs(%f : tensor<?x96xf32>) -> tensor<?x96xf32>
  return %r : tensor<?x96xf32>
}
