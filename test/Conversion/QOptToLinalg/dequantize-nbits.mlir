// RUN: qopt-opt %s --convert-qopt-to-linalg --canonicalize --split-input-file | FileCheck %s
// qopt.dequantize_nbits → one parallel linalg.generic whose maps divide the
// last index: the packed byte d floordiv 2 (4 bits), the scale and zero
// point of block d floordiv 32 (the zero point's byte: that floordiv 2).

// CHECK-DAG: #[[P:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2 floordiv 2)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2 floordiv 32)>
// CHECK-DAG: #[[Z:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, (d2 floordiv 32) floordiv 2)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @w4
// CHECK: linalg.generic {indexing_maps = [#[[P]], #[[S]], #[[Z]], #[[O]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %arg1, %arg2 : tensor<2x?x32xi8>, tensor<2x?x2xf32>, tensor<2x?x1xi8>) outs(%{{.*}} : tensor<2x?x64xf32>)
// CHECK: %[[K:.*]] = linalg.index 2 : index
// CHECK: arith.shrui
// CHECK: arith.divui %[[K]]
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK-NOT: library_call
func.func @w4(%p: tensor<2x?x32xui8>, %s: tensor<2x?x2xf32>, %z: tensor<2x?x1xui8>) -> tensor<2x?x64xf32> {
  %y = qopt.dequantize_nbits %p, %s, %z {D = 64 : i64, block_size = 32 : i64} : (tensor<2x?x32xui8>, tensor<2x?x2xf32>, tensor<2x?x1xui8>) -> tensor<2x?x64xf32>
  return %y : tensor<2x?x64xf32>
}

// -----

// 8 bits without zero points: byte d, the default 128.
// CHECK-DAG: #[[P8:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[S8:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 16)>
// CHECK-LABEL: func.func @w8
// CHECK: linalg.generic {indexing_maps = [#[[P8]], #[[S8]], #[[P8]]]
// CHECK: arith.subi %{{.*}}, %c128_i32
func.func @w8(%p: tensor<5x32xui8>, %s: tensor<5x2xf32>) -> tensor<5x32xf32> {
  %n = qopt.none
  %y = qopt.dequantize_nbits %p, %s, %n {D = 32 : i64, bits = 8 : i64, block_size = 16 : i64} : (tensor<5x32xui8>, tensor<5x2xf32>, none) -> tensor<5x32xf32>
  return %y : tensor<5x32xf32>
}

// -----

// 3 bits: the packed bytes of element d's first and last bit, (d * 3)
// floordiv 8 and (d * 3 + 2) floordiv 8, and the zero points' likewise over
// the block index; 3-bit masks.
// CHECK-DAG: #[[P3:.*]] = affine_map<(d0, d1) -> (d0, (d1 * 3) floordiv 8)>
// CHECK-DAG: #[[P3L:.*]] = affine_map<(d0, d1) -> (d0, (d1 * 3 + 2) floordiv 8)>
// CHECK-DAG: #[[S3:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 16)>
// CHECK-DAG: #[[Z3:.*]] = affine_map<(d0, d1) -> (d0, ((d1 floordiv 16) * 3) floordiv 8)>
// CHECK-DAG: #[[Z3L:.*]] = affine_map<(d0, d1) -> (d0, ((d1 floordiv 16) * 3 + 2) floordiv 8)>
// CHECK-LABEL: func.func @w3
// CHECK: linalg.generic {indexing_maps = [#[[P3]], #[[P3L]], #[[S3]], #[[Z3]], #[[Z3L]], #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg0, %arg1, %arg2, %arg2 :
// CHECK: arith.shli %{{.*}}, %c8_i32
// CHECK: arith.andi %{{.*}}, %c7_i32
func.func @w3(%p: tensor<5x12xui8>, %s: tensor<5x2xf32>, %z: tensor<5x1xui8>) -> tensor<5x32xf32> {
  %y = qopt.dequantize_nbits %p, %s, %z {D = 32 : i64, bits = 3 : i64, block_size = 16 : i64} : (tensor<5x12xui8>, tensor<5x2xf32>, tensor<5x1xui8>) -> tensor<5x32xf32>
  return %y : tensor<5x32xf32>
}
