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

// -----

// ConvTranspose: W [C, M/group, kh, kw]; with group 2, input channels 0-1
// feed output channel 0 and 2-3 output channel 1. s = [4 / sqrt(3 + 1),
// 9 / sqrt(8 + 1)] = [2, 3]: W' = [1*2, 2*2, 3*3, 4*3]; B' = (0 - mean) * s +
// beta = [-2, 1].
// CHECK-LABEL: func @conv_transpose
// CHECK-DAG: %[[W:.*]] = qopt.constant dense<{{\[\[\[\[}}2.000000e+00, 2.000000e+00], [2.000000e+00, 2.000000e+00]]], {{\[\[\[}}4.000000e+00, 4.000000e+00], [4.000000e+00, 4.000000e+00]]], {{\[\[\[}}9.000000e+00, 9.000000e+00], [9.000000e+00, 9.000000e+00]]], {{\[\[\[}}1.200000e+01, 1.200000e+01], [1.200000e+01, 1.200000e+01]]]]> : tensor<4x1x2x2xf32>
// CHECK-DAG: %[[B:.*]] = qopt.constant dense<[-2.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: qopt.conv_transpose %arg0, %[[W]], %[[B]] {group = 2 : i64, strides = array<i64: 2, 2>}
// CHECK-NOT: batch_normalization
func.func @conv_transpose(%x: tensor<1x4x2x2xf32>) -> tensor<1x2x4x4xf32> {
  %w = qopt.constant dense<[[[[1.0, 1.0], [1.0, 1.0]]], [[[2.0, 2.0], [2.0, 2.0]]], [[[3.0, 3.0], [3.0, 3.0]]], [[[4.0, 4.0], [4.0, 4.0]]]]> : tensor<4x1x2x2xf32>
  %n = qopt.none
  %gamma = qopt.constant dense<[4.0, 9.0]> : tensor<2xf32>
  %beta = qopt.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %mean = qopt.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %var = qopt.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %c = qopt.conv_transpose %x, %w, %n {group = 2 : i64, strides = array<i64: 2, 2>} : (tensor<1x4x2x2xf32>, tensor<4x1x2x2xf32>, none) -> tensor<1x2x4x4xf32>
  %y = qopt.batch_normalization %c, %gamma, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// A per-channel constant added to a conv (either operand order) or to a
// ConvTranspose, and a single value, join the bias; then BatchNormalization
// folds too (three times s = 4 / sqrt(3 + 1) = 2: bias [1, 2] * 8).
// CHECK-LABEL: func @bias_add
// CHECK-DAG: %[[B1:.*]] = qopt.constant dense<[1.100000e+01, 2.200000e+01]> : tensor<2xf32>
// CHECK-DAG: %[[B2:.*]] = qopt.constant dense<[6.000000e+00, 7.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[B3:.*]] = qopt.constant dense<[8.000000e+00, 1.600000e+01]> : tensor<2xf32>
// CHECK: %[[C1:.*]] = qopt.conv %arg0, %{{.*}}, %[[B1]]
// CHECK: %[[C2:.*]] = qopt.conv %arg0, %{{.*}}, %[[B2]]
// CHECK: %[[C3:.*]] = qopt.conv_transpose %arg1, %{{.*}}, %[[B3]]
// CHECK-NOT: qopt.add
// CHECK-NOT: batch_normalization
// CHECK: return %[[C1]], %[[C2]], %[[C3]]
func.func @bias_add(%x: tensor<1x2x4x4xf32>, %t: tensor<1x2x2x2xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = qopt.constant dense<[[[[1.0]], [[2.0]]], [[[1.0]], [[4.0 ]]]]> : tensor<2x2x1x1xf32>
  %b = qopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %k = qopt.constant dense<[[[[10.0]], [[20.0]]]]> : tensor<1x2x1x1xf32>
  %c = qopt.conv %x, %w, %b : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %y = qopt.add %k, %c : (tensor<1x2x1x1xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %s = qopt.constant dense<5.0> : tensor<1xf32>
  %c2 = qopt.conv %x, %w, %b : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %y2 = qopt.add %c2, %s : (tensor<1x2x4x4xf32>, tensor<1xf32>) -> tensor<1x2x4x4xf32>
  %wt = qopt.constant dense<1.0> : tensor<2x2x2x2xf32>
  %n = qopt.none
  %c3 = qopt.conv_transpose %t, %wt, %n {strides = array<i64: 2, 2>} : (tensor<1x2x2x2xf32>, tensor<2x2x2x2xf32>, none) -> tensor<1x2x4x4xf32>
  %kt = qopt.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %y3 = qopt.add %c3, %kt : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %p = qopt.constant dense<[4.0, 4.0]> : tensor<2xf32>
  %zero = qopt.constant dense<[0.0, 0.0]> : tensor<2xf32>
  %three = qopt.constant dense<[3.0, 3.0]> : tensor<2xf32>
  %bn = qopt.batch_normalization %y3, %p, %zero, %zero, %three {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %bn2 = qopt.batch_normalization %bn, %p, %zero, %zero, %three {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %bn3 = qopt.batch_normalization %bn2, %p, %zero, %zero, %three {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y, %y2, %bn3 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Left alone: a constant that varies over space, one that broadcasts the
// conv's result to a larger shape, and an Add of a non-constant.
// CHECK-LABEL: func @not_bias
// CHECK-COUNT-3: qopt.add
func.func @not_bias(%x: tensor<1x2x4x4xf32>, %v: tensor<1x2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<2x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = qopt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %n = qopt.none
  %k = qopt.constant dense<1.0> : tensor<1x1x4x4xf32>
  %c = qopt.conv %x, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %y = qopt.add %c, %k : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %kb = qopt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %c2 = qopt.conv %x, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %y2 = qopt.add %c2, %kb : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<2x2x4x4xf32>
  %c3 = qopt.conv %x, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %y3 = qopt.add %c3, %v : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %y, %y2, %y3 : tensor<1x2x4x4xf32>, tensor<2x2x4x4xf32>, tensor<1x2x4x4xf32>
}
