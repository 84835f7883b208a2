// RUN: qopt-opt %s --convert-qopt-to-linalg --canonicalize --split-input-file | FileCheck %s
// Reductions, ArgMax, Softmax and LayerNormalization.

// CHECK-LABEL: func.func @reduce_mean_keepdims
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: tensor.expand_shape {{.*}} into tensor<3x1xf32>
func.func @reduce_mean_keepdims(%a: tensor<3x4xf32>) -> tensor<3x1xf32> {
  %ax = qopt.constant dense<[1]> : tensor<1xi64>
  %0 = qopt.reduce_mean %a, %ax : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  return %0 : tensor<3x1xf32>
}

// -----
// CHECK-LABEL: func.func @reduce_max_unsigned
// CHECK: arith.constant 0 : i8
// CHECK: arith.maxui
func.func @reduce_max_unsigned(%a: tensor<3x4xui8>) -> tensor<3xui8> {
  %ax = qopt.constant dense<[1]> : tensor<1xi64>
  %0 = qopt.reduce_max %a, %ax {keepdims = 0 : i64} : (tensor<3x4xui8>, tensor<1xi64>) -> tensor<3xui8>
  return %0 : tensor<3xui8>
}

// -----
// CHECK-LABEL: func.func @argmax
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<3xf32>, tensor<3xi64>)
// CHECK: arith.cmpf ogt
func.func @argmax(%a: tensor<3x4xf32>) -> tensor<3x1xi64> {
  %0 = qopt.argmax %a {axis = 1 : i64} : (tensor<3x4xf32>) -> tensor<3x1xi64>
  return %0 : tensor<3x1xi64>
}

// -----
// Softmax: max, exp(x - max), sum, divide.
// CHECK-LABEL: func.func @softmax
// CHECK: arith.maximumf
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: math.exp
// CHECK: arith.divf
func.func @softmax(%a: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = qopt.softmax %a {axis = -1 : i64} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----
// CHECK-LABEL: func.func @layer_norm
// CHECK: math.rsqrt
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @layer_norm(%a: tensor<2x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = qopt.layer_normalization %a, %s, %b {axis = -1 : i64} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
