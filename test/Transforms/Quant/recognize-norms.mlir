// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-recognize-norms))' | FileCheck %s
// Decomposed normalizations as exporters write them become one op; gamma and
// beta become its Scale and B.

// RMSNorm as LLaMA exports it: Pow/ReduceMean/Add/Sqrt/Div, then gamma.
// CHECK-LABEL: func.func @rms_div
// CHECK: %[[G:.*]] = qopt.constant dense<[2.000000e+00, 3.000000e+00]>
// CHECK: %[[N:.*]] = qopt.rms_normalization %arg0, %[[G]] {epsilon = 9.99999997E-7 : f32}
// CHECK-NEXT: return %[[N]]
func.func @rms_div(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %two = qopt.constant dense<2.0> : tensor<f32>
  %ax = qopt.constant dense<[-1]> : tensor<1xi64>
  %eps = qopt.constant dense<1.0e-6> : tensor<f32>
  %g = qopt.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %p = qopt.pow %x, %two : (tensor<?x2xf32>, tensor<f32>) -> tensor<?x2xf32>
  %m = qopt.reduce_mean %p, %ax : (tensor<?x2xf32>, tensor<1xi64>) -> tensor<?x1xf32>
  %a = qopt.add %m, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %s = qopt.sqrt %a : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %d = qopt.div %x, %s : (tensor<?x2xf32>, tensor<?x1xf32>) -> tensor<?x2xf32>
  %y = qopt.mul %d, %g : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----
// x * x for the square, Reciprocal of the root, no gamma: Scale is ones, eps
// the default 1e-5 (not printed); the
// input may have other users (the residual stream).
// CHECK-LABEL: func.func @rms_reciprocal
// CHECK-NOT: qopt.sqrt
// CHECK: %[[O:.*]] = qopt.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-NOT: qopt.sqrt
// CHECK: %[[N:.*]] = qopt.rms_normalization %arg0, %[[O]] :
// CHECK-NOT: qopt.sqrt
// CHECK: qopt.add %arg0, %[[N]]
// CHECK-NOT: qopt.sqrt
// CHECK: return
func.func @rms_reciprocal(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %ax = qopt.constant dense<[1]> : tensor<1xi64>
  %eps = qopt.constant dense<1.0e-5> : tensor<f32>
  %p = qopt.mul %x, %x : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %m = qopt.reduce_mean %p, %ax : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  %a = qopt.add %eps, %m : (tensor<f32>, tensor<3x1xf32>) -> tensor<3x1xf32>
  %s = qopt.sqrt %a : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %r = qopt.reciprocal %s : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %d = qopt.mul %x, %r : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %y = qopt.add %x, %d : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----
// Decomposed LayerNorm (opset < 17 exports) with gamma and beta.
// CHECK-LABEL: func.func @layer_norm
// CHECK-DAG: %[[G:.*]] = qopt.constant dense<[5.000000e-01, 2.000000e+00]>
// CHECK-DAG: %[[B:.*]] = qopt.constant dense<[1.000000e+00, -1.000000e+00]>
// CHECK: %[[N:.*]] = qopt.layer_normalization %arg0, %[[G]], %[[B]] :
// CHECK-NEXT: return %[[N]]
func.func @layer_norm(%x: tensor<?x?x2xf32>) -> tensor<?x?x2xf32> {
  %ax = qopt.constant dense<[-1]> : tensor<1xi64>
  %two = qopt.constant dense<2.0> : tensor<f32>
  %eps = qopt.constant dense<1.0e-5> : tensor<f32>
  %g = qopt.constant dense<[0.5, 2.0]> : tensor<2xf32>
  %b = qopt.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %mu = qopt.reduce_mean %x, %ax : (tensor<?x?x2xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %c = qopt.sub %x, %mu : (tensor<?x?x2xf32>, tensor<?x?x1xf32>) -> tensor<?x?x2xf32>
  %p = qopt.pow %c, %two : (tensor<?x?x2xf32>, tensor<f32>) -> tensor<?x?x2xf32>
  %v = qopt.reduce_mean %p, %ax : (tensor<?x?x2xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %a = qopt.add %v, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %s = qopt.sqrt %a : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %d = qopt.div %c, %s : (tensor<?x?x2xf32>, tensor<?x?x1xf32>) -> tensor<?x?x2xf32>
  %y = qopt.mul %d, %g : (tensor<?x?x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %z = qopt.add %y, %b : (tensor<?x?x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  return %z : tensor<?x?x2xf32>
}

// -----
// The LayerNormalization op with a scale Mul and a bias Add after it: both
// fold into it (scales multiply, biases add).
// CHECK-LABEL: func.func @fold_into_op
// CHECK-DAG: %[[G:.*]] = qopt.constant dense<[6.000000e+00, 8.000000e+00]>
// CHECK-DAG: %[[B:.*]] = qopt.constant dense<[1.000000e+00, 2.000000e+00]>
// CHECK: qopt.layer_normalization %arg0, %[[G]], %[[B]]
// CHECK-NOT: qopt.mul
// CHECK-NOT: qopt.add
func.func @fold_into_op(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %g0 = qopt.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %g = qopt.constant dense<[[3.0, 2.0]]> : tensor<1x2xf32>
  %b = qopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %n0 = qopt.none
  %n = qopt.layer_normalization %x, %g0, %n0 : (tensor<4x2xf32>, tensor<2xf32>, none) -> tensor<4x2xf32>
  %y = qopt.mul %g, %n : (tensor<1x2xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  %z = qopt.add %y, %b : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %z : tensor<4x2xf32>
}

// -----
// A constant Mul after a LayerNorm that has a bias scales both:
// (n g + B) c = n (g c) + B c.
// CHECK-LABEL: func.func @scale_after_bias
// CHECK-DAG: %[[G:.*]] = qopt.constant dense<[6.000000e+00, 8.000000e+00]>
// CHECK-DAG: %[[B:.*]] = qopt.constant dense<[3.000000e+00, -4.000000e+00]>
// CHECK: qopt.layer_normalization %arg0, %[[G]], %[[B]]
// CHECK-NOT: qopt.mul
func.func @scale_after_bias(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %g0 = qopt.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %b0 = qopt.constant dense<[1.0, -2.0]> : tensor<2xf32>
  %c = qopt.constant dense<[3.0, 2.0]> : tensor<2xf32>
  %n = qopt.layer_normalization %x, %g0, %b0 : (tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %y = qopt.mul %n, %c : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----
// RMSNorm with x * (1 / sqrt(..)); a following Mul by a gamma that is not a
// constant stays a Mul.
// CHECK-LABEL: func.func @rms_one_over
// CHECK: %[[N:.*]] = qopt.rms_normalization %arg0
// CHECK: qopt.mul %[[N]], %arg1
func.func @rms_one_over(%x: tensor<3x4xf32>, %g: tensor<4xf32>) -> tensor<3x4xf32> {
  %ax = qopt.constant dense<[-1]> : tensor<1xi64>
  %eps = qopt.constant dense<1.0e-5> : tensor<f32>
  %one = qopt.constant dense<1.0> : tensor<f32>
  %p = qopt.mul %x, %x : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %m = qopt.reduce_mean %p, %ax : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  %a = qopt.add %m, %eps : (tensor<3x1xf32>, tensor<f32>) -> tensor<3x1xf32>
  %s = qopt.sqrt %a : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %r = qopt.div %one, %s : (tensor<f32>, tensor<3x1xf32>) -> tensor<3x1xf32>
  %d = qopt.mul %x, %r : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %y = qopt.mul %d, %g : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----
// Not normalizations over the last axis, or intermediates used elsewhere:
// left as they are.
// CHECK-LABEL: func.func @not_matched
// CHECK-NOT: qopt.rms_normalization
// CHECK-NOT: qopt.layer_normalization
// CHECK: qopt.div
// CHECK: qopt.div
// CHECK: return
func.func @not_matched(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x1xf32>, tensor<3x4xf32>) {
  %two = qopt.constant dense<2.0> : tensor<f32>
  %eps = qopt.constant dense<1.0e-5> : tensor<f32>
  %ax0 = qopt.constant dense<[0]> : tensor<1xi64>
  %ax1 = qopt.constant dense<[1]> : tensor<1xi64>
  // Reduced over the first axis.
  %p = qopt.pow %x, %two : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %m = qopt.reduce_mean %p, %ax0 : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<1x4xf32>
  %a = qopt.add %m, %eps : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
  %s = qopt.sqrt %a : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %d = qopt.div %x, %s : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  // The mean of squares is also returned.
  %p2 = qopt.pow %x, %two : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %m2 = qopt.reduce_mean %p2, %ax1 : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  %a2 = qopt.add %m2, %eps : (tensor<3x1xf32>, tensor<f32>) -> tensor<3x1xf32>
  %s2 = qopt.sqrt %a2 : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %d2 = qopt.div %x, %s2 : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %d, %m2, %d2 : tensor<3x4xf32>, tensor<3x1xf32>, tensor<3x4xf32>
}
