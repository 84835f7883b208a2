// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-smooth{alpha=0.5}))' | FileCheck %s
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-smooth{alpha=-1}))' 2>&1 | FileCheck %s --check-prefix=SEARCH
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-smooth{alpha=2}))' 2>&1 | FileCheck %s --check-prefix=RANGE
// SmoothQuant with a fixed alpha: channel 0 of X reaches |4|, channel 1 |1|,
// and both weight rows reach 1, so s = (4^0.5 / 1^0.5, 1) = (2, 1).
// SEARCH: error: qopt-smooth: the alpha search needs sampled rows of 'ln'
// RANGE: error: qopt-smooth: alpha must be in [0, 1] (negative: search)

// Into a LayerNorm: Scale and B divided by s, every consumer's weight rows
// multiplied by it (one s for both), the statistics those of X / s, the
// histogram dropped.
// CHECK-LABEL: func.func @layer_norm_producer
// CHECK-DAG: %[[G:.*]] = qopt.constant dense<[5.000000e-01, 1.000000e+00]>
// CHECK-DAG: %[[B:.*]] = qopt.constant dense<[1.000000e-01, 4.000000e-01]>
// CHECK: %[[N:.*]] = qopt.layer_normalization %arg0, %[[G]], %[[B]]
// CHECK: %[[O:.*]] = qopt.observer %[[N]] {channel_axis = -1 : i64, channel_max = array<f64: 2.000000e+00, 1.000000e+00>, channel_min = array<f64: -2.000000e+00, -1.000000e+00>, id = "ln", max = 2.000000e+00 : f64, min = -2.000000e+00 : f64, qopt.smooth_alpha = 5.000000e-01 : f64}
// CHECK: %[[W1:.*]] = qopt.constant dense<{{\[}}[2.000000e+00, 1.000000e+00], [1.000000e+00, 1.000000e+00]]>
// CHECK: qopt.matmul %[[O]], %[[W1]]
// CHECK: %[[W2:.*]] = qopt.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [2.500000e-01, 1.000000e+00]]>
// CHECK: qopt.matmul %[[O]], %[[W2]]
func.func @layer_norm_producer(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %g = qopt.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %b = qopt.constant dense<[0.2, 0.4]> : tensor<2xf32>
  %w1 = qopt.constant dense<[[1.0, 0.5], [1.0, 1.0]]> : tensor<2x2xf32>
  %w2 = qopt.constant dense<[[0.5, 0.0], [0.25, 1.0]]> : tensor<2x2xf32>
  %n = qopt.layer_normalization %x, %g, %b : (tensor<?x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %o = qopt.observer %n {id = "ln", min = -4.0 : f64, max = 4.0 : f64, histogram = array<i64: 1, 2>, hist_min = -4.0 : f64, hist_max = 4.0 : f64, channel_axis = -1 : i64, channel_min = array<f64: -4.0, -1.0>, channel_max = array<f64: 4.0, 1.0>} : tensor<?x2xf32>
  %y1 = qopt.matmul %o, %w1 : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %y2 = qopt.matmul %o, %w2 : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y1, %y2 : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----
// Into the output columns of a linear layer (and its constant bias).
// CHECK-LABEL: func.func @linear_producer
// CHECK: %[[WP:.*]] = qopt.constant dense<{{\[}}[5.000000e-01, 1.000000e+00], [-1.000000e+00, 3.000000e+00]]>
// CHECK: %[[P:.*]] = qopt.matmul %arg0, %[[WP]]
// CHECK: %[[BP:.*]] = qopt.constant dense<[2.500000e-01, 1.000000e+00]>
// CHECK: qopt.add %[[P]], %[[BP]]
func.func @linear_producer(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %wp = qopt.constant dense<[[1.0, 1.0], [-2.0, 3.0]]> : tensor<2x2xf32>
  %bp = qopt.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %w = qopt.constant dense<[[1.0, 0.5], [1.0, 1.0]]> : tensor<2x2xf32>
  %p = qopt.matmul %x, %wp : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %a = qopt.add %p, %bp : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %o = qopt.observer %a {id = "ln", min = -4.0 : f64, max = 4.0 : f64, channel_axis = -1 : i64, channel_min = array<f64: -4.0, -1.0>, channel_max = array<f64: 4.0, 1.0>} : tensor<?x2xf32>
  %y = qopt.matmul %o, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----
// Nothing absorbs 1/s (a graph input, also returned): a Mul in front of the
// observer; the other use keeps the unscaled value.
// CHECK-LABEL: func.func @mul_inserted
// CHECK: %[[S:.*]] = qopt.constant dense<[5.000000e-01, 1.000000e+00]>
// CHECK: %[[M:.*]] = qopt.mul %arg0, %[[S]]
// CHECK: %[[O:.*]] = qopt.observer %[[M]]
// CHECK: qopt.matmul %[[O]]
// CHECK: return %{{.*}}, %arg0
func.func @mul_inserted(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %w = qopt.constant dense<[[1.0, 0.5], [1.0, 1.0]]> : tensor<2x2xf32>
  %o = qopt.observer %x {id = "ln", min = -4.0 : f64, max = 4.0 : f64, channel_axis = -1 : i64, channel_min = array<f64: -4.0, -1.0>, channel_max = array<f64: 4.0, 1.0>} : tensor<?x2xf32>
  %y = qopt.matmul %o, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y, %x : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----
// Not smoothed: a consumer that is not a linear layer (the Relu), and an
// observer without channel ranges.
// CHECK-LABEL: func.func @not_smoothed
// CHECK-NOT: qopt.smooth_alpha
// CHECK-NOT: qopt.mul
// CHECK: return
func.func @not_smoothed(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  %w = qopt.constant dense<[[1.0, 0.5], [1.0, 1.0]]> : tensor<2x2xf32>
  %o = qopt.observer %x {id = "ln", min = -4.0 : f64, max = 4.0 : f64, channel_axis = -1 : i64, channel_min = array<f64: -4.0, -1.0>, channel_max = array<f64: 4.0, 1.0>} : tensor<?x2xf32>
  %y = qopt.matmul %o, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %r = qopt.relu %o : (tensor<?x2xf32>) -> tensor<?x2xf32>
  %o2 = qopt.observer %x {id = "ln2", min = -4.0 : f64, max = 4.0 : f64} : tensor<?x2xf32>
  %y2 = qopt.matmul %o2, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y, %r, %y2 : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}

// -----
// An RMS norm producer and a Gemm consumer with transB (its weight stored
// [N, K]): channel 0 of X reaches 4 and its weight column reaches 4 too, so
// s_0 = (4 / 4)^0.5 = 1; channel 1 reaches 9 with weights up to 1: s_1 = 3.
// The norm's scale is divided, the stored [N, K] weight's columns multiplied.
// CHECK-LABEL: func.func @rms_and_gemm
// CHECK: %[[G:.*]] = qopt.constant dense<[2.000000e+00, 1.000000e+00]>
// CHECK: %[[N:.*]] = qopt.rms_normalization %arg0, %[[G]]
// CHECK: %[[O:.*]] = qopt.observer %[[N]] {channel_axis = -1 : i64, channel_max = array<f64: 4.000000e+00, 3.000000e+00>
// CHECK: %[[W:.*]] = qopt.constant dense<{{\[}}[4.000000e+00, 3.000000e+00], [-2.000000e+00, -1.500000e+00]]>
// CHECK: qopt.gemm %[[O]], %[[W]], %{{.*}} {transB = 1 : i64}
func.func @rms_and_gemm(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %g = qopt.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %w = qopt.constant dense<[[4.0, 1.0], [-2.0, -0.5]]> : tensor<2x2xf32>
  %none = qopt.none
  %n = qopt.rms_normalization %x, %g : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %o = qopt.observer %n {id = "ln", min = -9.0 : f64, max = 9.0 : f64, channel_axis = -1 : i64, channel_min = array<f64: -4.0, -9.0>, channel_max = array<f64: 4.0, 9.0>} : tensor<4x2xf32>
  %y = qopt.gemm %o, %w, %none {transB = 1 : i64} : (tensor<4x2xf32>, tensor<2x2xf32>, none) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
