// RUN: qopt-opt %s --qopt-matmul-microkernel | FileCheck %s
// The generic of a qopt.matmul_nbits on buffers becomes a call to
// qopt_matmul_nbits_f32 with the bits and block size its maps carry
// (qopt/Conversion/QOptToLinalg/MatMulNBits.h) and the compiled K its
// library_call carries; other maps stay loops.

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b4 = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 32, (d2 mod 32) floordiv 2)>
#s32 = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 32)>
#z4 = affine_map<(d0, d1, d2) -> (d1, (d2 floordiv 32) floordiv 2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#b8 = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 16, d2 mod 16)>
#s16 = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 16)>

// CHECK: func.func private @qopt_matmul_nbits_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?x?xi8, strided<[?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64)
// CHECK-LABEL: func.func @w4
// CHECK-DAG: %[[BITS:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[BS:.*]] = arith.constant 32 : i64
// CHECK-DAG: %[[K:.*]] = arith.constant 40 : i64
// The operands in the kernel's order: A, B, scales, zero points, C.
// CHECK-DAG: %[[CA:.*]] = memref.cast %arg0 : memref<?x40xf32> to
// CHECK-DAG: %[[CB:.*]] = memref.cast %arg1 : memref<3x2x16xi8> to
// CHECK-DAG: %[[CS:.*]] = memref.cast %arg2 : memref<3x2xf32> to
// CHECK-DAG: %[[CZ:.*]] = memref.cast %arg3 : memref<3x1xi8> to
// CHECK-DAG: %[[CC:.*]] = memref.cast %arg4 : memref<?x3xf32> to
// CHECK: call @qopt_matmul_nbits_f32(%[[CA]], %[[CB]], %[[CS]], %[[CZ]], %[[CC]], %[[BITS]], %[[BS]], %[[K]])
// CHECK-NOT: linalg.generic
// CHECK-LABEL: func.func @w8
func.func @w4(%a: memref<?x40xf32>, %b: memref<3x2x16xi8>, %s: memref<3x2xf32>, %z: memref<3x1xi8>, %c: memref<?x3xf32>) {
  linalg.generic {indexing_maps = [#a, #b4, #s32, #z4, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_matmul_nbits_f32:k=40"}
      ins(%a, %b, %s, %z : memref<?x40xf32>, memref<3x2x16xi8>, memref<3x2xf32>, memref<3x1xi8>) outs(%c : memref<?x3xf32>) {
  ^bb0(%x: f32, %q: i8, %sc: f32, %zp: i8, %acc: f32):
    %w = arith.mulf %x, %sc : f32
    %r = arith.addf %acc, %w : f32
    linalg.yield %r : f32
  }
  return
}

// Without zero points (four operands): an empty memref in their place.
// CHECK: %[[NOZP:.*]] = memref.alloca() : memref<0x0xi8>
// CHECK: %[[Z:.*]] = memref.cast %[[NOZP]] : memref<0x0xi8> to memref<?x?xi8, strided<[?, ?], offset: ?>>
// CHECK-DAG: %[[BITS8:.*]] = arith.constant 8 : i64
// CHECK-DAG: %[[BS16:.*]] = arith.constant 16 : i64
// CHECK: call @qopt_matmul_nbits_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[Z]], %{{.*}}, %[[BITS8]], %[[BS16]], %{{.*}})
// CHECK-LABEL: func.func @mismatched
func.func @w8(%a: memref<2x40xf32>, %b: memref<3x3x16xi8>, %s: memref<3x3xf32>, %c: memref<2x3xf32>) {
  linalg.generic {indexing_maps = [#a, #b8, #s16, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_matmul_nbits_f32:k=40"}
      ins(%a, %b, %s : memref<2x40xf32>, memref<3x3x16xi8>, memref<3x3xf32>) outs(%c : memref<2x3xf32>) {
  ^bb0(%x: f32, %q: i8, %sc: f32, %acc: f32):
    %w = arith.mulf %x, %sc : f32
    %r = arith.addf %acc, %w : f32
    linalg.yield %r : f32
  }
  return
}

// The scales' blocks (16) disagree with B's (32): not the kernel's layout.
// CHECK: linalg.generic
// CHECK-NOT: call @qopt_matmul_nbits_f32
// CHECK-LABEL: func.func @no_k
func.func @mismatched(%a: memref<2x40xf32>, %b: memref<3x2x16xi8>, %s: memref<3x3xf32>, %z: memref<3x1xi8>, %c: memref<2x3xf32>) {
  linalg.generic {indexing_maps = [#a, #b4, #s16, #z4, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_matmul_nbits_f32:k=40"}
      ins(%a, %b, %s, %z : memref<2x40xf32>, memref<3x2x16xi8>, memref<3x3xf32>, memref<3x1xi8>) outs(%c : memref<2x3xf32>) {
  ^bb0(%x: f32, %q: i8, %sc: f32, %zp: i8, %acc: f32):
    %w = arith.mulf %x, %sc : f32
    %r = arith.addf %acc, %w : f32
    linalg.yield %r : f32
  }
  return
}

// A library_call without the compiled K (the kernel could not check A's
// run-time K against it): stays loops.
// CHECK: linalg.generic
// CHECK-NOT: call @
// CHECK: return
func.func @no_k(%a: memref<?x?xf32>, %b: memref<3x2x16xi8>, %s: memref<3x2xf32>, %z: memref<3x1xi8>, %c: memref<?x3xf32>) {
  linalg.generic {indexing_maps = [#a, #b4, #s32, #z4, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_matmul_nbits_f32"}
      ins(%a, %b, %s, %z : memref<?x?xf32>, memref<3x2x16xi8>, memref<3x2xf32>, memref<3x1xi8>) outs(%c : memref<?x3xf32>) {
  ^bb0(%x: f32, %q: i8, %sc: f32, %zp: i8, %acc: f32):
    %w = arith.mulf %x, %sc : f32
    %r = arith.addf %acc, %w : f32
    linalg.yield %r : f32
  }
  return
}

// Tensors (before bufferization) stay too.
// CHECK: linalg.generic
// CHECK-NOT: call @
// CHECK: return
func.func @on_tensors(%a: tensor<2x40xf32>, %b: tensor<3x2x16xi8>, %s: tensor<3x2xf32>, %z: tensor<3x1xi8>, %c: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b4, #s32, #z4, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_matmul_nbits_f32:k=40"}
      ins(%a, %b, %s, %z : tensor<2x40xf32>, tensor<3x2x16xi8>, tensor<3x2xf32>, tensor<3x1xi8>) outs(%c : tensor<2x3xf32>) {
  ^bb0(%x: f32, %q: i8, %sc: f32, %zp: i8, %acc: f32):
    %w = arith.mulf %x, %sc : f32
    %r2 = arith.addf %acc, %w : f32
    linalg.yield %r2 : f32
  } -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// 5 bits, with zero points: B and the zero points read twice (the bytes of
// each code's first and last bit; seven operands): the call takes the first
// read of each.
#b5 = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 16, ((d2 mod 16) * 5) floordiv 8)>
#b5l = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 16, ((d2 mod 16) * 5 + 4) floordiv 8)>
#z5 = affine_map<(d0, d1, d2) -> (d1, ((d2 floordiv 16) * 5) floordiv 8)>
#z5l = affine_map<(d0, d1, d2) -> (d1, ((d2 floordiv 16) * 5 + 4) floordiv 8)>
// CHECK-LABEL: func.func @w5
// CHECK-DAG: %[[BITS5:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[BS5:.*]] = arith.constant 16 : i64
// CHECK-DAG: %[[CB5:.*]] = memref.cast %arg1 : memref<3x3x10xi8> to
// CHECK-DAG: %[[CS5:.*]] = memref.cast %arg3 : memref<3x3xf32> to
// CHECK-DAG: %[[CZ5:.*]] = memref.cast %arg4 : memref<3x2xi8> to
// CHECK: call @qopt_matmul_nbits_f32(%{{.*}}, %[[CB5]], %[[CS5]], %[[CZ5]], %{{.*}}, %[[BITS5]], %[[BS5]], %{{.*}})
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @w5(%a: memref<2x40xf32>, %b: memref<3x3x10xi8>, %b2: memref<3x3x10xi8>, %s: memref<3x3xf32>, %z: memref<3x2xi8>, %z2: memref<3x2xi8>, %c: memref<2x3xf32>) {
  linalg.generic {indexing_maps = [#a, #b5, #b5l, #s16, #z5, #z5l, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_matmul_nbits_f32:k=40"}
      ins(%a, %b, %b2, %s, %z, %z2 : memref<2x40xf32>, memref<3x3x10xi8>, memref<3x3x10xi8>, memref<3x3xf32>, memref<3x2xi8>, memref<3x2xi8>) outs(%c : memref<2x3xf32>) {
  ^bb0(%x: f32, %q: i8, %q2: i8, %sc: f32, %zp: i8, %zp2: i8, %acc: f32):
    %w = arith.mulf %x, %sc : f32
    %r = arith.addf %acc, %w : f32
    linalg.yield %r : f32
  }
  return
}

// 5 bits without zero points (five operands, as many as 4 bits with zero
// points: told apart by the maps): an empty memref for the zero points.
// CHECK-LABEL: func.func @w5_no_zp
// CHECK: %[[NOZP5:.*]] = memref.alloca() : memref<0x0xi8>
// CHECK: call @qopt_matmul_nbits_f32(
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @w5_no_zp(%a: memref<2x40xf32>, %b: memref<3x3x10xi8>, %s: memref<3x3xf32>, %c: memref<2x3xf32>) {
  linalg.generic {indexing_maps = [#a, #b5, #b5l, #s16, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_matmul_nbits_f32:k=40"}
      ins(%a, %b, %b, %s : memref<2x40xf32>, memref<3x3x10xi8>, memref<3x3x10xi8>, memref<3x3xf32>) outs(%c : memref<2x3xf32>) {
  ^bb0(%x: f32, %q: i8, %q2: i8, %sc: f32, %acc: f32):
    %w = arith.mulf %x, %sc : f32
    %r = arith.addf %acc, %w : f32
    linalg.yield %r : f32
  }
  return
}

// An i8 A at 5 bits: qopt_matmul_nbits_s8 has only 4 and 8 bits; loops.
// CHECK-LABEL: func.func @w5_s8
// CHECK: linalg.generic
// CHECK-NOT: call @
// CHECK: return
func.func @w5_s8(%a: memref<2x40xi8>, %b: memref<3x3x10xi8>, %s: memref<3x3xf32>, %c: memref<2x3xf32>) {
  linalg.generic {indexing_maps = [#a, #b5, #b5l, #s16, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_matmul_nbits_s8:k=40"}
      ins(%a, %b, %b, %s : memref<2x40xi8>, memref<3x3x10xi8>, memref<3x3x10xi8>, memref<3x3xf32>) outs(%c : memref<2x3xf32>) {
  ^bb0(%x: i8, %q: i8, %q2: i8, %sc: f32, %acc: f32):
    %xf = arith.sitofp %x : i8 to f32
    %w = arith.mulf %xf, %sc : f32
    %r = arith.addf %acc, %w : f32
    linalg.yield %r : f32
  }
  return
}
