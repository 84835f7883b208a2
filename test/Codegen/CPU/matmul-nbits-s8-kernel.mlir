// RUN: qopt-opt %s --qopt-matmul-microkernel | FileCheck %s
// The generic of a qopt.matmul_nbits with i8 A (W4A8, qopt-lower-quantized)
// becomes a call to qopt_matmul_nbits_s8: same maps and operands as the f32
// kernel, A's memref of i8.

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b4 = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 32, (d2 mod 32) floordiv 2)>
#s32 = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 32)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>

// CHECK: func.func private @qopt_matmul_nbits_s8(memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?x?xi8, strided<[?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64)
// CHECK-NOT: qopt_matmul_nbits_f32
// CHECK-LABEL: func.func @w4a8
// CHECK-DAG: %[[BITS:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[BS:.*]] = arith.constant 32 : i64
// CHECK-DAG: %[[K:.*]] = arith.constant 64 : i64
// CHECK-DAG: %[[CA:.*]] = memref.cast %arg0 : memref<?x64xi8> to
// CHECK: call @qopt_matmul_nbits_s8(%[[CA]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[BITS]], %[[BS]], %[[K]])
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @w4a8(%a: memref<?x64xi8>, %b: memref<3x2x16xi8>, %s: memref<3x2xf32>, %c: memref<?x3xf32>) {
  linalg.generic {indexing_maps = [#a, #b4, #s32, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_matmul_nbits_s8:k=64"}
      ins(%a, %b, %s : memref<?x64xi8>, memref<3x2x16xi8>, memref<3x2xf32>) outs(%c : memref<?x3xf32>) {
  ^bb0(%x: i8, %q: i8, %sc: f32, %acc: f32):
    %xf = arith.sitofp %x : i8 to f32
    %w = arith.mulf %xf, %sc : f32
    %r = arith.addf %acc, %w : f32
    linalg.yield %r : f32
  }
  return
}
