// RUN: qopt-opt %s --convert-qopt-to-linalg --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @nll_mean
// One generic computes per-element loss and weight; mean = sum(loss) / sum(weight).
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<3xi64>) outs(%{{.*}}, %{{.*}} : tensor<3xf32>, tensor<3xf32>)
// CHECK: tensor.extract %arg0
// CHECK: tensor.extract %arg2
// CHECK: arith.cmpi eq
// CHECK: arith.negf
// CHECK: arith.divf
func.func @nll_mean(%x: tensor<3x4xf32>, %t: tensor<3xi64>, %w: tensor<4xf32>) -> tensor<f32> {
  %0 = qopt.negative_log_likelihood_loss %x, %t, %w {ignore_index = 1 : i64} : (tensor<3x4xf32>, tensor<3xi64>, tensor<4xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----
// CHECK-LABEL: func.func @trilu
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: arith.cmpi sle
// CHECK: arith.select
func.func @trilu(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %n = qopt.none
  %0 = qopt.trilu %x, %n {upper = 0 : i64} : (tensor<3x4xf32>, none) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----
// CHECK-LABEL: func.func @gather_elements
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<2x4xi64>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: %[[I0:.*]] = linalg.index 0
// CHECK: tensor.extract %arg0[%[[I0]], %{{.*}}] : tensor<3x4xf32>
func.func @gather_elements(%x: tensor<3x4xf32>, %i: tensor<2x4xi64>) -> tensor<2x4xf32> {
  %0 = qopt.gather_elements %x, %i {axis = 1 : i64} : (tensor<3x4xf32>, tensor<2x4xi64>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----
// CHECK-LABEL: func.func @bit_shift
// CHECK: arith.shrui
// CHECK: arith.select
func.func @bit_shift(%x: tensor<4xui8>, %s: tensor<4xui8>) -> tensor<4xui8> {
  %0 = qopt.bit_shift %x, %s {direction = "RIGHT"} : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----
// CHECK-LABEL: func.func @reduce_log_sum_exp
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: math.log
func.func @reduce_log_sum_exp(%x: tensor<3x4xf32>) -> tensor<3xf32> {
  %ax = qopt.constant dense<[1]> : tensor<1xi64>
  %0 = qopt.reduce_log_sum_exp %x, %ax {keepdims = 0 : i64} : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
