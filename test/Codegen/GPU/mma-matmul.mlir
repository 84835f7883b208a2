// qopt-gpu-mma-matmul: an i8 x i8 -> i32 linalg.matmul on device buffers
// becomes a tensor-core kernel: 64x64 tiles of C per 128-thread block, A and
// B^T staged in shared memory (rows of 32 + 4 bytes), 2x4 mma.sync
// m16n8k32 per warp and k-step, C += acc at the edges' guards. Float
// matmuls and host ops are left to the SIMT kernels.
// RUN: qopt-opt %s --qopt-gpu-mma-matmul | FileCheck %s
// RUN: qopt-opt %s --qopt-gpu-codegen-pipeline="format=isa" | FileCheck %s --check-prefix=PTX
// RUN: qopt-opt %s --qopt-gpu-codegen-pipeline="format=isa" | FileCheck %s --check-prefix=PTXV
// RUN: %if ptxas %{ qopt-opt %s --qopt-gpu-codegen-pipeline="format=bin arch=sm_80 toolkit=%cuda_toolkit" | FileCheck %s --check-prefix=CUBIN80 %}
// RUN: %if ptxas %{ qopt-opt %s --qopt-gpu-codegen-pipeline="format=bin arch=sm_90 toolkit=%cuda_toolkit" | FileCheck %s --check-prefix=CUBIN90 %}

// CHECK-LABEL: func.func @int8_gemm
// CHECK: %[[M:.*]] = memref.dim %arg0, %c0
// CHECK: %[[K:.*]] = memref.dim %arg0, %c1
// CHECK: %[[N:.*]] = memref.dim %arg1, %c1
// CHECK: %[[GX:.*]] = arith.ceildivui %[[N]], %c64
// CHECK: %[[GY:.*]] = arith.ceildivui %[[M]], %c64
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}) threads({{.*}}) in (%{{.*}} = %c128{{.*}}) workgroup(%[[AS:.*]] : memref<64x48xi8, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<64x48xi8, #gpu.address_space<workgroup>>)
// Aligned rows: the first element's address and the row stride in bytes
// multiples of 16.
// CHECK: %[[BASEA:.*]], %[[OFFA:.*]], %{{.*}}:2, %[[STRA:.*]]:2 = memref.extract_strided_metadata %arg0
// CHECK: %[[PTRA:.*]] = memref.extract_aligned_pointer_as_index %arg0
// CHECK: %[[OFFBYTES:.*]] = arith.muli %[[OFFA]], %c1
// CHECK: %[[FIRSTA:.*]] = arith.addi %[[PTRA]], %[[OFFBYTES]]
// CHECK: %[[ROWBYTES:.*]] = arith.muli %[[STRA]]#0, %c1
// CHECK: %[[RA:.*]] = arith.remui %[[FIRSTA]], %c16
// CHECK: %[[OKA:.*]] = arith.cmpi eq, %[[RA]], %c0
// CHECK: %[[RB:.*]] = arith.remui %[[ROWBYTES]], %c16
// CHECK: %[[OKB:.*]] = arith.cmpi eq, %[[RB]], %c0
// CHECK: %[[ALIGNA:.*]] = arith.andi %[[OKA]], %[[OKB]]
// CHECK: memref.extract_aligned_pointer_as_index %arg1
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<2x2xi32>, vector<2x2xi32>, vector<2x2xi32>, vector<2x2xi32>, vector<2x2xi32>, vector<2x2xi32>, vector<2x2xi32>, vector<2x2xi32>)
// A row's 16 bytes in one load and one store when aligned and in bounds,
// else byte by byte; B's 16 bytes in one load, stored down a column.
// The whole 16 in bounds: the row below M, the last column at most K.
// CHECK: %[[ROWOK:.*]] = arith.cmpi ult, %{{.*}}, %[[M]]
// CHECK: %[[END:.*]] = arith.addi %[[KC:.*]], %c16
// CHECK: %[[COLOK:.*]] = arith.cmpi ule, %[[END]], %[[K]]
// CHECK: %[[INB:.*]] = arith.andi %[[ROWOK]], %[[COLOK]]
// CHECK: %[[FAST:.*]] = arith.andi %[[ALIGNA]], %[[INB]]
// CHECK: scf.if %[[FAST]]
// CHECK-NEXT: vector.load %arg0[{{.*}}, %[[KC]]] {alignment = 16 : i64} : memref<?x?xi8>, vector<16xi8>
// CHECK-NEXT: vector.store %{{.*}}, %[[AS]][{{.*}}] {alignment = 16 : i64} : memref<64x48xi8, #gpu.address_space<workgroup>>, vector<16xi8>
// CHECK-NEXT: } else {
// CHECK-COUNT-16: memref.store %{{.*}}, %[[AS]]
// CHECK: vector.load %arg1[{{.*}}] {alignment = 16 : i64} : memref<?x?xi8>, vector<16xi8>
// CHECK-COUNT-16: memref.store %{{.*}}, %[[BS]]
// CHECK: } else {
// CHECK-COUNT-16: memref.store %{{.*}}, %[[BS]]
// CHECK: gpu.barrier
// CHECK-COUNT-2: nvgpu.ldmatrix %[[AS]][{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<64x48xi8, #gpu.address_space<workgroup>> -> vector<4x4xi8>
// CHECK-COUNT-2: nvgpu.ldmatrix %[[BS]][{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<64x48xi8, #gpu.address_space<workgroup>> -> vector<4x4xi8>
// CHECK-COUNT-8: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK-COUNT-32: memref.store %{{.*}}, %arg2
// CHECK: gpu.terminator
// CHECK-NOT: linalg.matmul
// B given as [N, K] (Gemm with transB, PyTorch's Linear): staged like A, one
// 16-byte load and store per row when aligned; N from B's first dimension.
// CHECK-LABEL: func.func @int8_gemm_bt
// CHECK: %[[NT:.*]] = memref.dim %arg1, %c0
// CHECK: arith.ceildivui %[[NT]], %c64
// CHECK: gpu.launch {{.*}} workgroup(%[[AS2:.*]] : memref<64x48xi8, #gpu.address_space<workgroup>>, %[[BS2:.*]] : memref<64x48xi8, #gpu.address_space<workgroup>>)
// CHECK: vector.load %arg0[{{.*}}] {alignment = 16 : i64} : memref<?x?xi8>, vector<16xi8>
// CHECK-NEXT: vector.store %{{.*}}, %[[AS2]][{{.*}}] {alignment = 16 : i64}
// CHECK: vector.load %arg1[{{.*}}] {alignment = 16 : i64} : memref<?x?xi8>, vector<16xi8>
// CHECK-NEXT: vector.store %{{.*}}, %[[BS2]][{{.*}}] {alignment = 16 : i64}
// CHECK-COUNT-8: nvgpu.mma.sync
// CHECK-NOT: linalg.matmul
// CHECK-LABEL: func.func @float_gemm
// CHECK: linalg.matmul
// CHECK-LABEL: func.func @host_gemm
// CHECK: linalg.matmul
func.func @int8_gemm(%a: memref<?x?xi8>, %b: memref<?x?xi8>, %c: memref<?x?xi32>) {
  linalg.matmul ins(%a, %b : memref<?x?xi8>, memref<?x?xi8>) outs(%c : memref<?x?xi32>)
  return
}
func.func @int8_gemm_bt(%a: memref<?x?xi8>, %b: memref<?x?xi8>, %c: memref<?x?xi32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<?x?xi8>, memref<?x?xi8>) outs(%c : memref<?x?xi32>)
  return
}
func.func @float_gemm(%a: memref<8x8xf32>, %b: memref<8x8xf32>, %c: memref<8x8xf32>) {
  linalg.matmul ins(%a, %b : memref<8x8xf32>, memref<8x8xf32>) outs(%c : memref<8x8xf32>)
  return
}
func.func @host_gemm(%a: memref<8x8xi8>, %b: memref<8x8xi8>, %c: memref<8x8xi32>) {
  linalg.matmul {qopt.host} ins(%a, %b : memref<8x8xi8>, memref<8x8xi8>) outs(%c : memref<8x8xi32>)
  return
}

// On tensors, through the whole GPU pipeline: the PTX has the tensor-core
// instruction, eight per k-step, and it assembles for sm_80 and sm_90.
// PTX: gpu.binary
// PTX-SAME: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-SAME: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// The aligned staging path's 16-byte global loads.
// PTXV: gpu.binary
// PTXV-SAME: ld.global.v4.b32
// CUBIN80: gpu.binary @int8_gemm_kernel [#gpu.object<#nvvm.target<chip = "sm_80">, properties = {{.*}}, bin = "\7FELF
// CUBIN90: gpu.binary @int8_gemm_kernel [#gpu.object<#nvvm.target<chip = "sm_90">, properties = {{.*}}, bin = "\7FELF
func.func @main(%a: tensor<?x256xi8>, %b: tensor<256x96xi8>) -> tensor<?x96xi32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x256xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty(%m) : tensor<?x96xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<?x96xi32>) -> tensor<?x96xi32>
  %r = linalg.matmul ins(%a, %b : tensor<?x256xi8>, tensor<256x96xi8>) outs(%f : tensor<?x96xi32>) -> tensor<?x96xi32>
  return %r : tensor<?x96xi32>
}

