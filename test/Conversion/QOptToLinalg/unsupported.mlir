// RUN: qopt-opt %s --convert-qopt-to-linalg --split-input-file --verify-diagnostics

func.func @antialias(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %n = qopt.none
  %s = qopt.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  // expected-error @+2 {{cannot lower 'qopt.resize': antialias}}
  // expected-error @+1 {{failed to legalize}}
  %0 = qopt.resize %x, %n, %s, %n {mode = "linear", antialias = 1} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----
func.func @float_not(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{element type is not supported by this op}}
  // expected-error @+1 {{failed to legalize}}
  %0 = qopt.not %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----
// Run-time axes need a static count (it fixes the result's rank).
func.func @unsqueeze_axes_of_unknown_count(%x: tensor<3x4xf32>, %ax: tensor<?xi64>) -> tensor<?x?x?xf32> {
  // expected-error @+2 {{axes must be a constant or a 1-D integer tensor of static length}}
  // expected-error @+1 {{failed to legalize}}
  %0 = qopt.unsqueeze %x, %ax : (tensor<3x4xf32>, tensor<?xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// -----
// Run-time scales: one f32 per axis.
func.func @resize_scales_wrong_count(%x: tensor<1x1x2x2xf32>, %s: tensor<3xf32>) -> tensor<?x?x?x?xf32> {
  %n = qopt.none
  // expected-error @+2 {{scales must be a constant or a 1-D f32 tensor of one scale per axis}}
  // expected-error @+1 {{failed to legalize}}
  %0 = qopt.resize %x, %n, %s, %n {mode = "linear"} : (tensor<1x1x2x2xf32>, none, tensor<3xf32>, none) -> tensor<?x?x?x?xf32>
  return %0 : tensor<?x?x?x?xf32>
}

// -----
// Run-time reduction axes need a static count too; so do Split's sizes
// (one per output) and CumSum's axis (one).
func.func @reduce_axes_of_unknown_count(%x: tensor<3x4xf32>, %ax: tensor<?xi64>) -> tensor<?x?xf32> {
  // expected-error @+2 {{axes must be a constant or a 1-D integer tensor of static length}}
  // expected-error @+1 {{failed to legalize}}
  %0 = qopt.reduce_sum %x, %ax : (tensor<3x4xf32>, tensor<?xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----
func.func @split_sizes_of_unknown_count(%x: tensor<6xf32>, %s: tensor<?xi64>) -> (tensor<?xf32>, tensor<?xf32>) {
  // expected-error @+2 {{split sizes must be a constant or a 1-D integer tensor of one size per output}}
  // expected-error @+1 {{failed to legalize}}
  %0:2 = qopt.split %x, %s : (tensor<6xf32>, tensor<?xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return %0#0, %0#1 : tensor<?xf32>, tensor<?xf32>
}

// -----
func.func @cumsum_axis_of_two(%x: tensor<6xf32>, %a: tensor<2xi64>) -> tensor<6xf32> {
  // expected-error @+2 {{axis must be a 0-D or 1-element integer tensor}}
  // expected-error @+1 {{failed to legalize}}
  %0 = qopt.cumsum %x, %a : (tensor<6xf32>, tensor<2xi64>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----
// The integer forms need matching 8- or 16-bit operands.
func.func @conv_mixed_int(%x: tensor<1x2x5x5xi8>, %w: tensor<4x2x3x3xi16>) -> tensor<1x4x3x3xi32> {
  %n = qopt.none
  // expected-error @+2 {{cannot lower 'qopt.conv': only float, i32, and i8/i16 -> i32 convolution are lowered here}}
  // expected-error @+1 {{failed to legalize}}
  %0 = qopt.conv %x, %w, %n : (tensor<1x2x5x5xi8>, tensor<4x2x3x3xi16>, none) -> tensor<1x4x3x3xi32>
  return %0 : tensor<1x4x3x3xi32>
}

// -----
// Neither the kernel == stride GEMM path nor zero insertion takes weights of
// unknown shape.
func.func @conv_transpose_dynamic_weights(%x: tensor<1x3x4x5xf32>, %w: tensor<3x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %n = qopt.none
  // expected-error @+2 {{cannot lower 'qopt.conv_transpose': weights must be float with a static shape}}
  // expected-error @+1 {{failed to legalize}}
  %0 = qopt.conv_transpose %x, %w, %n {strides = array<i64: 2, 2>} : (tensor<1x3x4x5xf32>, tensor<3x2x?x?xf32>, none) -> tensor<1x2x?x?xf32>
  return %0 : tensor<1x2x?x?xf32>
}

// -----
// A constant index outside the axis is an ONNX error, reported at compile time.
func.func @gather_constant_out_of_range(%a: tensor<5x4xf32>) -> tensor<2x4xf32> {
  %i = qopt.constant dense<[1, 5]> : tensor<2xi64>
  // expected-error @+2 {{index 5 is outside [-5, 5) of data's axis 0}}
  // expected-error @+1 {{failed to legalize}}
  %0 = qopt.gather %a, %i {axis = 0 : i64} : (tensor<5x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----
func.func @gather_elements_constant_out_of_range(%a: tensor<3x4xf32>) -> tensor<1x2xf32> {
  %i = qopt.constant dense<[[0, -5]]> : tensor<1x2xi64>
  // expected-error @+2 {{index -5 is outside [-4, 4) of data's axis 1}}
  // expected-error @+1 {{failed to legalize}}
  %0 = qopt.gather_elements %a, %i {axis = 1 : i64} : (tensor<3x4xf32>, tensor<1x2xi64>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}
