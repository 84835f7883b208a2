// RUN: qopt-opt %s -split-input-file -verify-diagnostics

func.func @broadcast_mismatch(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operand shapes are not broadcast-compatible}}
  %0 = qopt.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @result_incompatible(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{result #0 has type 'tensor<3x3xf32>', incompatible with the inferred type 'tensor<2x3xf32>'}}
  %0 = qopt.relu %a : (tensor<2x3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x5x3x3xf32>) {
  %n = qopt.none
  // expected-error @+1 {{input has 3 channels but weight expects 5 x group 1}}
  %0 = qopt.conv %x, %w, %n : (tensor<1x3x8x8xf32>, tensor<4x5x3x3xf32>, none) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_window_too_big(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  %n = qopt.none
  // expected-error @+1 {{window of size 3 does not fit input dimension 2}}
  %0 = qopt.conv %x, %w, %n : (tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>, none) -> tensor<*xf32>
  return
}

// -----

func.func @conv_bad_auto_pad(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  %n = qopt.none
  // expected-error @+1 {{unknown auto_pad "SAME"}}
  %0 = qopt.conv %x, %w, %n {auto_pad = "SAME"} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, none) -> tensor<*xf32>
  return
}

// -----

func.func @reshape_two_infer(%x: tensor<2x3xf32>) {
  %s = qopt.constant dense<[-1, -1]> : tensor<2xi64>
  // expected-error @+1 {{shape has more than one -1}}
  %0 = qopt.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  %s = qopt.constant dense<[4, 2]> : tensor<2xi64>
  // expected-error @+1 {{cannot reshape 'tensor<2x3xf32>' into [4, 2]}}
  %0 = qopt.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{perm is not a permutation}}
  %0 = qopt.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{inputs differ in dimension 1: 3 vs 4}}
  %0 = qopt.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @slice_step_zero(%x: tensor<8xf32>) {
  %s = qopt.constant dense<0> : tensor<1xi64>
  %z = qopt.constant dense<0> : tensor<1xi64>
  %n = qopt.none
  // expected-error @+1 {{slice step must not be 0}}
  %0 = qopt.slice %x, %s, %s, %n, %z : (tensor<8xf32>, tensor<1xi64>, tensor<1xi64>, none, tensor<1xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @squeeze_non_one(%x: tensor<2x3xf32>) {
  %a = qopt.constant dense<1> : tensor<1xi64>
  // expected-error @+1 {{cannot squeeze dimension 1 of size 3}}
  %0 = qopt.squeeze %x, %a : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @gemm_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) {
  %n = qopt.none
  // expected-error @+1 {{A and B must be 2-D}}
  %0 = qopt.gemm %a, %b, %n : (tensor<2x3x4xf32>, tensor<4x5xf32>, none) -> tensor<*xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{contraction dimensions differ: 3 vs 4}}
  %0 = qopt.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = qopt.softmax %a {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gelu_mode(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{approximate must be "none" or "tanh", got "erf"}}
  %0 = qopt.gelu %a {approximate = "erf"} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @split_sum(%x: tensor<6xf32>) {
  %s = qopt.constant dense<[2, 3]> : tensor<2xi64>
  // expected-error @+1 {{split sizes sum to 5, dimension is 6}}
  %0:2 = qopt.split %x, %s : (tensor<6xf32>, tensor<2xi64>) -> (tensor<*xf32>, tensor<*xf32>)
  return
}

// -----

func.func @qdq_axis_scale(%x: tensor<4x6xf32>) {
  %s = qopt.constant dense<0.1> : tensor<5xf32>
  %n = qopt.none
  // expected-error @+1 {{scale has 5 entries but axis 1 has size 6}}
  %0 = qopt.quantize_linear %x, %s, %n : (tensor<4x6xf32>, tensor<5xf32>, none) -> tensor<4x6xui8>
  return
}

// -----

func.func @qdq_block(%x: tensor<4x6xi8>) {
  %s = qopt.constant dense<0.1> : tensor<4x2xf32>
  %n = qopt.none
  // expected-error @+1 {{blocked scale dimension 1 is 2, expected 3}}
  %0 = qopt.dequantize_linear %x, %s, %n {axis = 1 : i64, block_size = 2 : i64} : (tensor<4x6xi8>, tensor<4x2xf32>, none) -> tensor<4x6xf32>
  return
}

// -----

func.func @quantize_expressed(%x: tensor<4xf16>) {
  // expected-error @+1 {{result expressed type 'f32' differs from input type 'f16'}}
  %0 = qopt.quantize %x : tensor<4xf16> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @quantize_float_result(%x: tensor<4xf32>) {
  // expected-error @+1 {{result #0 must be tensor of quantized type values}}
  %0 = qopt.quantize %x : tensor<4xf32> -> tensor<4xi8>
  return
}

// -----

func.func @per_axis_count(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{per-axis type has 2 scales but dimension 0 has size 4}}
  %0 = qopt.quantize %x : tensor<4x6xf32> -> tensor<4x6x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
  return
}

// -----

func.func @per_axis_dim(%x: tensor<4xf32>) {
  // expected-error @+1 {{quantized dimension 1 is out of range for rank 1}}
  %0 = qopt.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return
}

// -----

func.func @sub_channel_block(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{block size 4 on dimension 1 does not tile size 6 into 2 blocks}}
  %0 = qopt.quantize %x : tensor<4x6xf32> -> tensor<4x6x!quant.uniform<i8:f32:{1:4}, {{1.0, 2.0}}>>
  return
}

// -----

func.func @dequantize_type(%x: tensor<4x!quant.uniform<i8:f32, 0.5>>) {
  // expected-error @+1 {{result type 'f16' differs from the expressed type 'f32'}}
  %0 = qopt.dequantize %x : tensor<4x!quant.uniform<i8:f32, 0.5>> -> tensor<4xf16>
  return
}

// -----

func.func @requantize_shape(%x: tensor<4x!quant.uniform<i8:f32, 0.5>>) {
  // expected-error @+1 {{input and result shapes differ}}
  %0 = qopt.requantize %x : tensor<4x!quant.uniform<i8:f32, 0.5>> -> tensor<5x!quant.uniform<i8:f32, 0.25>>
  return
}

// -----

func.func @observer_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{min 2.000000e+00 exceeds max 1.000000e+00}}
  %0 = qopt.observer %x {id = "a", min = 2.0 : f64, max = 1.0 : f64} : tensor<4xf32>
  return
}

// -----

func.func @observer_hist(%x: tensor<4xf32>) {
  // expected-error @+1 {{histogram needs hist_min and hist_max}}
  %0 = qopt.observer %x {id = "a", histogram = array<i64: 1, 2>} : tensor<4xf32>
  return
}

// -----

func.func @constant_type() {
  // expected-error @+1 {{failed to verify that all of {value, output} have same type}}
  %0 = "qopt.constant"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<3xf32>
  return
}

// -----

func.func @observer_channels(%x: tensor<1x2x3x3xf32>) {
  // expected-error @+1 {{has 3 channel ranges for 'tensor<1x2x3x3xf32>' along axis 1}}
  %0 = qopt.observer %x {id = "a", channel_min = array<f64: -1.0, 0.0, 0.0>, channel_max = array<f64: 1.0, 3.0, 1.0>} : tensor<1x2x3x3xf32>
  return
}

// -----

func.func @observer_channel_axis(%x: tensor<1x2x3x3xf32>) {
  // expected-error @+1 {{has 2 channel ranges for 'tensor<1x2x3x3xf32>' along axis -1}}
  %0 = qopt.observer %x {id = "a", channel_axis = -1 : i64, channel_min = array<f64: -1.0, 0.0>, channel_max = array<f64: 1.0, 3.0>} : tensor<1x2x3x3xf32>
  return
}

// -----

func.func @observer_channel_axis_range(%x: tensor<1x2x3x3xf32>) {
  // expected-error @+1 {{has 2 channel ranges for 'tensor<1x2x3x3xf32>' along axis 4}}
  %0 = qopt.observer %x {id = "a", channel_axis = 4 : i64, channel_min = array<f64: -1.0, 0.0>, channel_max = array<f64: 1.0, 3.0>} : tensor<1x2x3x3xf32>
  return
}

// -----

func.func @observer_channel_order(%x: tensor<1x2x3x3xf32>) {
  // expected-error @+1 {{channel 1 min exceeds max}}
  %0 = qopt.observer %x {id = "a", channel_min = array<f64: -1.0, 4.0>, channel_max = array<f64: 1.0, 3.0>} : tensor<1x2x3x3xf32>
  return
}

// -----

func.func @conv_transpose_channels(%x: tensor<1x3x4x5xf32>, %w: tensor<4x2x2x2xf32>) {
  %n = qopt.none
  // expected-error @+1 {{input has 3 channels, weight has 4}}
  %0 = qopt.conv_transpose %x, %w, %n {strides = array<i64: 2, 2>} : (tensor<1x3x4x5xf32>, tensor<4x2x2x2xf32>, none) -> tensor<1x2x8x10xf32>
  return
}

// -----

// 172 = 4 * 43: no Hadamard matrix of order 43 (nor of 172) is built in.
func.func @hadamard_order(%x: tensor<2x172xf32>) {
  // expected-error @+1 {{last dimension 172 is not m * 2^k for a supported Hadamard order m (1, 12, 20, 28)}}
  %0 = qopt.hadamard %x : (tensor<2x172xf32>) -> tensor<2x172xf32>
  return
}

// -----

func.func @rms_axis(%x: tensor<2x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = qopt.rms_normalization %x, %g {axis = 2 : i64} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}
