// qopt-gpu-align-shared-memory: workgroup attributions get llvm.align
// (an explicit one is kept), and the PTX's .shared arrays are aligned.
// RUN: qopt-opt %s --pass-pipeline="builtin.module(gpu.module(qopt-gpu-align-shared-memory))" | FileCheck %s
// RUN: qopt-opt %s --pass-pipeline="builtin.module(gpu.module(qopt-gpu-align-shared-memory),gpu.module(convert-gpu-to-nvvm))" | FileCheck %s --check-prefix=NVVM
// CHECK: gpu.func @k() workgroup(%{{.*}} : memref<64x36xi8, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<8xi8, #gpu.address_space<workgroup>> {llvm.align = 4 : i64})
// NVVM: llvm.mlir.global internal @__wg_k_0() {addr_space = 3 : i32, alignment = 16 : i64}
// NVVM: llvm.mlir.global internal @__wg_k_1() {addr_space = 3 : i32, alignment = 4 : i64}
gpu.module @m {
  gpu.func @k() workgroup(%a : memref<64x36xi8, #gpu.address_space<workgroup>>,
                          %b : memref<8xi8, #gpu.address_space<workgroup>> {llvm.align = 4 : i64}) kernel {
    gpu.return
  }
}
