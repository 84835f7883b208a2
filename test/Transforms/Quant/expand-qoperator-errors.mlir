// RUN: qopt-opt %s --split-input-file --verify-diagnostics --qopt-expand-qoperator

func.func @zero_point_size(%a: tensor<3x4xui8>, %az: tensor<2xui8>) -> tensor<3x2xi32> {
  %b = qopt.constant dense<1> : tensor<4x2xi8>
  %n = qopt.none
  // expected-error @+1 {{zero point of type 'tensor<2xui8>' does not fit an operand of type 'tensor<3x4xui8>'}}
  %y = qopt.matmul_integer %a, %b, %az, %n : (tensor<3x4xui8>, tensor<4x2xi8>, tensor<2xui8>, none) -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @float_bias(%x: tensor<1x2x4x4xui8>, %s: tensor<f32>, %z: tensor<ui8>, %b: tensor<2xf32>) -> tensor<1x2x4x4xui8> {
  %w = qopt.constant dense<1> : tensor<2x2x1x1xi8>
  %wz = qopt.constant dense<0> : tensor<i8>
  // expected-error @+1 {{bias must be i32, got 'tensor<2xf32>'}}
  %y = qopt.qlinear_conv %x, %s, %z, %w, %s, %wz, %s, %z, %b : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>, tensor<2x2x1x1xi8>, tensor<f32>, tensor<i8>, tensor<f32>, tensor<ui8>, tensor<2xf32>) -> tensor<1x2x4x4xui8>
  return %y : tensor<1x2x4x4xui8>
}
