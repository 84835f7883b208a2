// RUN: qopt-opt %s --convert-qopt-to-linalg --canonicalize --split-input-file | FileCheck %s
// qopt.matmul_nbits → one linalg.generic named by its library_call, whose
// indexing maps carry the packed layout (qopt/Quant/NBitsPacking.h).

// 4 bits, blocks of 32, batched A folded into M, zero points given, bias.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 32, (d2 mod 32) floordiv 2)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 32)>
// CHECK-DAG: #[[Z:.*]] = affine_map<(d0, d1, d2) -> (d1, (d2 floordiv 32) floordiv 2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @w4
// CHECK-DAG: %[[S2:.*]] = tensor.expand_shape %arg2 {{\[\[}}0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
// CHECK-DAG: %[[Z2:.*]] = tensor.expand_shape %arg3 {{\[\[}}0, 1]] output_shape [3, 1] : tensor<3xi8> into tensor<3x1xi8>
// CHECK-DAG: %[[A2:.*]] = tensor.collapse_shape %arg0
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[S]], #[[Z]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_matmul_nbits_f32:k=40"} ins(%[[A2]], %arg1, %[[S2]], %[[Z2]] : tensor<8x40xf32>, tensor<3x2x16xi8>, tensor<3x2xf32>, tensor<3x1xi8>)
// The code: the byte's nibble by the parity of k; the zero point's by the
// parity of the block k / 32.
// CHECK: %[[K:.*]] = linalg.index 2 : index
// CHECK: %[[BLK:.*]] = arith.divui %[[K]], %{{.*}} : index
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %arg4 : tensor<8x3xf32>, tensor<3xf32>)
// CHECK: tensor.expand_shape {{.*}} into tensor<2x4x3xf32>
func.func @w4(%a: tensor<2x4x40xf32>, %b: tensor<3x2x16xui8>, %s: tensor<6xf32>, %z: tensor<3xui8>, %bias: tensor<3xf32>) -> tensor<2x4x3xf32> {
  %n = qopt.none
  %y = qopt.matmul_nbits %a, %b, %s, %z, %n, %bias {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x4x40xf32>, tensor<3x2x16xui8>, tensor<6xf32>, tensor<3xui8>, none, tensor<3xf32>) -> tensor<2x4x3xf32>
  return %y : tensor<2x4x3xf32>
}

// -----

// 8 bits without zero points: no zero-point operand, the body subtracts the
// default 128; one byte per code; a dynamic M.
// CHECK-DAG: #[[B8:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 16, d2 mod 16)>
// CHECK-DAG: #[[S8:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 16)>
// CHECK-LABEL: func.func @w8
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[B8]], #[[S8]], #{{.*}}], {{.*}} library_call = "qopt_matmul_nbits_f32:k=40"} ins(%arg0, %arg1, %{{.*}} : tensor<?x40xf32>, tensor<3x3x16xi8>, tensor<3x3xf32>) outs(%{{.*}} : tensor<?x3xf32>)
// CHECK: %[[CODE:.*]] = arith.extui %{{.*}} : i8 to i32
// CHECK: arith.subi %[[CODE]], %c128_i32 : i32
// CHECK-NOT: arith.shrui
// CHECK: linalg.yield
func.func @w8(%a: tensor<?x40xf32>, %b: tensor<3x3x16xui8>, %s: tensor<9xf32>) -> tensor<?x3xf32> {
  %n = qopt.none
  %y = qopt.matmul_nbits %a, %b, %s, %n, %n, %n {K = 40 : i64, N = 3 : i64, bits = 8 : i64, block_size = 16 : i64} : (tensor<?x40xf32>, tensor<3x3x16xui8>, tensor<9xf32>, none, none, none) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// i8 A (the codes of a W4A8 layer's activation): converted to f32 in the
// body, the s8 kernel named in the library_call, an f32 result.
// CHECK-LABEL: func.func @w4a8
// CHECK: linalg.generic {{.*}} library_call = "qopt_matmul_nbits_s8:k=64"} ins(%arg0, %arg1, %{{.*}} : tensor<2x64xi8>, tensor<3x2x16xi8>, tensor<3x2xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: ^bb0(%[[X:[^:]*]]: i8,
// CHECK: %[[XF:.*]] = arith.sitofp %[[X]] : i8 to f32
// CHECK: arith.mulf %[[XF]], %{{.*}} : f32
// CHECK: linalg.yield
func.func @w4a8(%a: tensor<2x64xi8>, %b: tensor<3x2x16xui8>, %s: tensor<6xf32>) -> tensor<2x3xf32> {
  %n = qopt.none
  %y = qopt.matmul_nbits %a, %b, %s, %n, %n, %n {K = 64 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x64xi8>, tensor<3x2x16xui8>, tensor<6xf32>, none, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// 5 bits (codes that straddle bytes: each block's codes end to end, least
// significant bit first): B and the zero points are read twice, at the byte
// of the code's first bit and of its last; the body joins the two bytes,
// shifts by (k * 5) mod 8 and masks 5 bits.
// CHECK-DAG: #[[B5:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 16, ((d2 mod 16) * 5) floordiv 8)>
// CHECK-DAG: #[[B5L:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 16, ((d2 mod 16) * 5 + 4) floordiv 8)>
// CHECK-DAG: #[[S5:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 16)>
// CHECK-DAG: #[[Z5:.*]] = affine_map<(d0, d1, d2) -> (d1, ((d2 floordiv 16) * 5) floordiv 8)>
// CHECK-DAG: #[[Z5L:.*]] = affine_map<(d0, d1, d2) -> (d1, ((d2 floordiv 16) * 5 + 4) floordiv 8)>
// CHECK-LABEL: func.func @w5
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[B5]], #[[B5L]], #[[S5]], #[[Z5]], #[[Z5L]], #{{.*}}], {{.*}} library_call = "qopt_matmul_nbits_f32:k=40"} ins(%arg0, %arg1, %arg1, %{{.*}}, %[[Z:.*]], %[[Z]] : tensor<2x40xf32>, tensor<3x3x10xi8>, tensor<3x3x10xi8>, tensor<3x3xf32>, tensor<3x2xi8>, tensor<3x2xi8>)
// CHECK: ^bb0(%{{[^:]*}}: f32, %[[LO:[^:]*]]: i8, %[[HI:[^:]*]]: i8,
// CHECK: %[[K5:.*]] = linalg.index 2 : index
// CHECK-DAG: %[[LO32:.*]] = arith.extui %[[LO]] : i8 to i32
// CHECK-DAG: %[[HI32:.*]] = arith.extui %[[HI]] : i8 to i32
// CHECK: %[[HISH:.*]] = arith.shli %[[HI32]], %c8_i32
// CHECK: %[[BOTH:.*]] = arith.ori %[[LO32]], %[[HISH]]
// CHECK: %[[KI:.*]] = arith.index_cast %[[K5]] : index to i32
// CHECK: %[[BIT:.*]] = arith.muli %[[KI]], %c5_i32
// CHECK: %[[SH:.*]] = arith.andi %[[BIT]], %c7_i32
// CHECK: %[[R:.*]] = arith.shrui %[[BOTH]], %[[SH]]
// CHECK: arith.andi %[[R]], %c31_i32
func.func @w5(%a: tensor<2x40xf32>, %b: tensor<3x3x10xui8>, %s: tensor<9xf32>, %z: tensor<6xui8>) -> tensor<2x3xf32> {
  %n = qopt.none
  %y = qopt.matmul_nbits %a, %b, %s, %z, %n, %n {K = 40 : i64, N = 3 : i64, bits = 5 : i64, block_size = 16 : i64} : (tensor<2x40xf32>, tensor<3x3x10xui8>, tensor<9xf32>, tensor<6xui8>, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
