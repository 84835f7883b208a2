// qopt-gpu-mma-matmul on sign-extended operands.
// RUN: qopt-opt %s --qopt-gpu-mma-matmul | FileCheck %s --check-prefix=EXT
// An i32 operand that only a sign-extension of an i8 buffer writes (as
// MatMulInteger lowers) is read as i8, the extension goes, the GEMM is a
// tensor-core kernel. A zero-extension (u8) is left alone.
// EXT-LABEL: func.func @extended
// EXT-NOT: arith.extsi
// EXT: nvgpu.mma.sync
// EXT-LABEL: func.func @zero_extended
// EXT: arith.extui
// EXT-NOT: nvgpu.mma.sync
// EXT: linalg.matmul
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @extended(%a8: memref<64x64xi8>, %b: memref<64x64xi8>, %c: memref<64x64xi32>) {
  %a = gpu.alloc () : memref<64x64xi32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a8 : memref<64x64xi8>) outs(%a : memref<64x64xi32>) {
  ^bb0(%x: i8, %o: i32):
    %e = arith.extsi %x : i8 to i32
    linalg.yield %e : i32
  }
  linalg.matmul ins(%a, %b : memref<64x64xi32>, memref<64x64xi8>) outs(%c : memref<64x64xi32>)
  gpu.dealloc %a : memref<64x64xi32>
  return
}
func.func @zero_extended(%a8: memref<64x64xi8>, %b: memref<64x64xi8>, %c: memref<64x64xi32>) {
  %a = gpu.alloc () : memref<64x64xi32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a8 : memref<64x64xi8>) outs(%a : memref<64x64xi32>) {
  ^bb0(%x: i8, %o: i32):
    %e = arith.extui %x : i8 to i32
    linalg.yield %e : i32
  }
  linalg.matmul ins(%a, %b : memref<64x64xi32>, memref<64x64xi8>) outs(%c : memref<64x64xi32>)
  gpu.dealloc %a : memref<64x64xi32>
  return
}

// The same extended buffer on both sides (MatMulInteger(X, X)): both read
// the i8 source; the extension and its i32 buffer go once.
// EXT-LABEL: func.func @square
// EXT-NOT: arith.extsi
// EXT-NOT: gpu.alloc () : memref<64x64xi32>
// EXT: memref.dim %arg0, %c0
// EXT: memref.dim %arg0, %c1
// EXT: memref.dim %arg0, %c1
// EXT: nvgpu.mma.sync
func.func @square(%a8: memref<64x64xi8>, %c: memref<64x64xi32>) {
  %a = gpu.alloc () : memref<64x64xi32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a8 : memref<64x64xi8>) outs(%a : memref<64x64xi32>) {
  ^bb0(%x: i8, %o: i32):
    %e = arith.extsi %x : i8 to i32
    linalg.yield %e : i32
  }
  linalg.matmul ins(%a, %a : memref<64x64xi32>, memref<64x64xi32>) outs(%c : memref<64x64xi32>)
  gpu.dealloc %a : memref<64x64xi32>
  return
}

// The i8 source is freed between the extension and the matmul (a mirror
// copy's lifetime): the extension stays, the GEMM is a SIMT one.
// EXT-LABEL: func.func @source_freed
// EXT: arith.extsi
// EXT: gpu.dealloc %arg0
// EXT: linalg.matmul
// EXT-NOT: nvgpu.mma.sync
func.func @source_freed(%a8: memref<64x64xi8>, %b: memref<64x64xi8>, %c: memref<64x64xi32>) {
  %a = gpu.alloc () : memref<64x64xi32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a8 : memref<64x64xi8>) outs(%a : memref<64x64xi32>) {
  ^bb0(%x: i8, %o: i32):
    %e = arith.extsi %x : i8 to i32
    linalg.yield %e : i32
  }
  gpu.dealloc %a8 : memref<64x64xi8>
  linalg.matmul ins(%a, %b : memref<64x64xi32>, memref<64x64xi8>) outs(%c : memref<64x64xi32>)
  gpu.dealloc %a : memref<64x64xi32>
  return
}
