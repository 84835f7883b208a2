// RUN: qopt-opt %s -qopt-fold-batchnorm -split-input-file | FileCheck %s

// W' = W * gamma / sqrt(var + eps); B' = (B - mean) * s + beta.
// Channel 0: s = 4 / sqrt(3 + 1) = 2, B' = (1 - 0) * 2 + 3 = 5.
// Channel 1: s = 6 / sqrt(8 + 1) = 2, B' = (2 - 3) * 2 + 0 = -2.
// CHECK-LABEL: func @fold
// CHECK-DAG: %[[W:.*]] = qopt.constant dense<{{\[\[\[\[}}2.000000e+00]], {{\[\[}}4.000000e+00]]], {{\[\[\[}}2.000000e+00]], {{\[\[}}8.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = qopt.constant dense<[5.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK: qopt.conv %arg0, %[[W]], %[[B]]
// CHECK-NOT: batch_normalization
func.func @fold(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = qopt.constant dense<[[[[1.0]], [[2.0]]], [[[1.0]], [[4.0 ]]]]> : tensor<2x2x1x1xf32>
  %b = qopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %gamma = qopt.constant dense<[4.0, 6.0]> : tensor<2xf32>
  %beta = qopt.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %mean = qopt.constant dense<[0.0, 3.0]> : tensor<2xf32>
  %var = qopt.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %c = qopt.conv %x, %w, %b : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %y = qopt.batch_normalization %c, %gamma, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// A conv with another use is left alone.
// CHECK-LABEL: func @shared_conv
// CHECK: qopt.batch_normalization
func.func @shared_conv(%x: tensor<1x1x2x2xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) {
  %w = qopt.constant dense<1.0> : tensor<1x1x1x1xf32>
  %n = qopt.none
  %p = qopt.constant dense<1.0> : tensor<1xf32>
  %c = qopt.conv %x, %w, %n : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %y = qopt.batch_normalization %c, %p, %p, %p, %p : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %y, %c : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
}

// -----

// Non-constant BN parameters are left alone.
// CHECK-LABEL: func @dynamic_params
// CHECK: qopt.batch_normalization
func.func @dynamic_params(%x: tensor<1x1x2x2xf32>, %g: tensor<1xf32>) -> tensor<1x1x2x2xf32> {
  %w = qopt.constant dense<1.0> : tensor<1x1x1x1xf32>
  %n = qopt.none
  %p = qopt.constant dense<1.0> : tensor<1xf32>
  %c = qopt.conv %x, %w, %n : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  %y = qopt.batch_normalization %c, %g, %p, %p, %p : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %y : tensor<1x1x2x2xf32>
}
