// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-awq{alpha=1 group-size=2}))' | FileCheck %s
// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-awq{alpha=1}))' | FileCheck %s --check-prefix=GROUP
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-awq{group-size=2}))' 2>&1 | FileCheck %s --check-prefix=SEARCH
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-awq{alpha=2}))' 2>&1 | FileCheck %s --check-prefix=RANGE
// SEARCH: error: qopt-awq: the alpha search needs sampled rows of 'x'
// RANGE: error: qopt-awq: alpha must be in [0, 1] (negative: search)
// With groups of 128, K = 2 is no multiple: those layers stay float in
// weight-only quantization, so AWQ leaves their inputs alone.
// GROUP-NOT: qopt.awq_alpha
// AWQ with alpha = 1 and no sampled rows: the channel ranges stand in for
// the magnitudes, |x| reaches 1 and 4, so s = (1, 4) / sqrt(1 * 4) =
// (0.5, 2): the weight rows are multiplied by s, X divided by it.

// Into an RMSNorm: its Scale divided by s; the statistics those of X / s.
// CHECK-LABEL: func.func @rms_producer
// CHECK: %[[G:.*]] = qopt.constant dense<[2.000000e+00, 5.000000e-01]>
// CHECK: %[[N:.*]] = qopt.rms_normalization %arg0, %[[G]]
// CHECK: %[[O:.*]] = qopt.observer %[[N]] {channel_axis = -1 : i64, channel_max = array<f64: 2.000000e+00, 2.000000e+00>, channel_min = array<f64: -2.000000e+00, -2.000000e+00>, id = "x", qopt.awq_alpha = 1.000000e+00 : f64}
// CHECK: %[[W:.*]] = qopt.constant dense<{{\[}}[5.000000e-01, 1.000000e+00, 0.000000e+00], [2.000000e+00, -4.000000e+00, 1.000000e+00]]>
// CHECK: qopt.matmul %[[O]], %[[W]]
func.func @rms_producer(%x: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %g = qopt.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %w = qopt.constant dense<[[1.0, 2.0, 0.0], [1.0, -2.0, 0.5]]> : tensor<2x3xf32>
  %n = qopt.rms_normalization %x, %g : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %o = qopt.observer %n {id = "x", channel_axis = -1 : i64, channel_min = array<f64: -1.0, -4.0>, channel_max = array<f64: 1.0, 4.0>} : tensor<?x2xf32>
  %y = qopt.matmul %o, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// A graph input: a Mul by 1/s = (2, 0.5) in front of the observer.
// CHECK-LABEL: func.func @input
// CHECK: %[[INV:.*]] = qopt.constant dense<[2.000000e+00, 5.000000e-01]>
// CHECK: %[[M:.*]] = qopt.mul %arg0, %[[INV]]
// CHECK: qopt.observer %[[M]]
func.func @input(%x: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %w = qopt.constant dense<[[1.0, 2.0, 0.0], [1.0, -2.0, 0.5]]> : tensor<2x3xf32>
  %o = qopt.observer %x {id = "x", channel_axis = -1 : i64, channel_min = array<f64: -1.0, -4.0>, channel_max = array<f64: 1.0, 4.0>} : tensor<?x2xf32>
  %y = qopt.matmul %o, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// A consumer that is not a linear layer with a constant weight: left alone.
// CHECK-LABEL: func.func @other_consumer
// CHECK-NOT: qopt.awq_alpha
// CHECK: return
func.func @other_consumer(%x: tensor<?x2xf32>) -> (tensor<?x3xf32>, tensor<?x2xf32>) {
  %w = qopt.constant dense<[[1.0, 2.0, 0.0], [1.0, -2.0, 0.5]]> : tensor<2x3xf32>
  %o = qopt.observer %x {id = "x", channel_axis = -1 : i64, channel_min = array<f64: -1.0, -4.0>, channel_max = array<f64: 1.0, 4.0>} : tensor<?x2xf32>
  %y = qopt.matmul %o, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %r = qopt.relu %o : (tensor<?x2xf32>) -> tensor<?x2xf32>
  return %y, %r : tensor<?x3xf32>, tensor<?x2xf32>
}
