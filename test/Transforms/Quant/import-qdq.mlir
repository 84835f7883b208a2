// RUN: qopt-opt %s --split-input-file --qopt-import-qdq | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-import-qdq --qopt-quantize-ops --canonicalize | FileCheck %s --check-prefix=INT

// A QDQ model (as ONNX Runtime's quantizer writes it): activations through
// QuantizeLinear → DequantizeLinear, weights stored as int8 with per-channel
// scales, the bias as int32 with scale sx * sw. The pairs become qopt
// quantize/dequantize; the weights keep their stored integers and scales.
// CHECK-LABEL: func.func @qdq_conv
// CHECK-DAG: %[[W:.*]] = qopt.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}-5.000000e-01]]], {{\[\[\[}}2.500000e-01]], {{\[\[}}0.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: qopt.constant dense<[5.000000e-01, -2.500000e-01]> : tensor<2xf32>
// CHECK: %[[Q:.*]] = qopt.quantize %arg0 : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!quant.uniform<u8:f32, 5.000000e-01:10>>
// CHECK: qopt.dequantize %[[Q]]
// CHECK: qopt.quantize %[[W]] : tensor<2x2x1x1xf32> -> tensor<2x2x1x1x!quant.uniform<i8:f32:0, {2.500000e-01,1.250000e-01}>>
// CHECK-NOT: _linear
// INT-LABEL: func.func @qdq_conv
// INT-DAG: qopt.constant dense<[4, -4]> : tensor<2xi32>
// INT: qopt.conv {{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 2.500000e-01:3>>
// INT-NOT: qopt.quantize %{{.*}} : tensor<1x2x4x4xf32>
func.func @qdq_conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %s = qopt.constant dense<0.5> : tensor<f32>
  %z = qopt.constant dense<10> : tensor<ui8>
  %q = qopt.quantize_linear %x, %s, %z : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xui8>
  %d = qopt.dequantize_linear %q, %s, %z : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xf32>
  %wq = qopt.constant dense<[[[[4]], [[-2]]], [[[2]], [[0]]]]> : tensor<2x2x1x1xi8>
  %ws = qopt.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %wz = qopt.constant dense<0> : tensor<2xi8>
  %w = qopt.dequantize_linear %wq, %ws, %wz {axis = 0 : i64} : (tensor<2x2x1x1xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x2x1x1xf32>
  %bq = qopt.constant dense<[4, -4]> : tensor<2xi32>
  %bs = qopt.constant dense<[0.125, 0.0625]> : tensor<2xf32>
  %bz = qopt.constant dense<0> : tensor<2xi32>
  %b = qopt.dequantize_linear %bq, %bs, %bz {axis = 0 : i64} : (tensor<2xi32>, tensor<2xf32>, tensor<2xi32>) -> tensor<2xf32>
  %c = qopt.conv %d, %w, %b : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %ys = qopt.constant dense<0.25> : tensor<f32>
  %yz = qopt.constant dense<3> : tensor<ui8>
  %yq = qopt.quantize_linear %c, %ys, %yz : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xui8>
  %y = qopt.dequantize_linear %yq, %ys, %yz : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// Scales that are run-time values stay ONNX ops (and later fail to lower
// with a diagnostic naming the node).
// CHECK-LABEL: func.func @dynamic_scale
// CHECK: qopt.quantize_linear
// CHECK: qopt.dequantize_linear
func.func @dynamic_scale(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xf32> {
  %n = qopt.none
  %q = qopt.quantize_linear %x, %s, %n : (tensor<4xf32>, tensor<f32>, none) -> tensor<4xui8>
  %d = qopt.dequantize_linear %q, %s, %n : (tensor<4xui8>, tensor<f32>, none) -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// A blocked (opset 21) DequantizeLinear of constant u8 weights [K = 32, N =
// 2], blocks of 16 along K (axis 0): a sub-channel type with the same
// scales and zero points, the weights dequantized per block: rows 0-15
// (10 - 8) * 0.5 and (10 - 4) * 1, rows 16-31 (10 - 2) * 0.25 and (10 - 6) * 2.
// CHECK-LABEL: func.func @blocked
// CHECK: %[[W:.*]] = qopt.constant dense<{{\[\[}}1.000000e+00, 6.000000e+00], [1.000000e+00, 6.000000e+00]
// CHECK-SAME: [1.000000e+00, 6.000000e+00], [2.000000e+00, 8.000000e+00]
// CHECK: qopt.quantize %[[W]] : tensor<32x2xf32> -> tensor<32x2x!quant.uniform<u8:f32:{0:16, 1:1}, {{\{\{}}5.000000e-01:8, 1.000000e+00:4}, {2.500000e-01:2, 2.000000e+00:6}}>>
// CHECK: qopt.dequantize
// The weight-only layer keeps its float activations (no integer form):
// INT-LABEL: func.func @blocked
// INT: qopt.matmul %arg0, %{{.*}} : (tensor<3x32xf32>, tensor<32x2xf32>)
func.func @blocked(%x: tensor<3x32xf32>) -> tensor<3x2xf32> {
  %wq = qopt.constant dense<10> : tensor<32x2xui8>
  %ws = qopt.constant dense<[[0.5, 1.0], [0.25, 2.0]]> : tensor<2x2xf32>
  %wz = qopt.constant dense<[[8, 4], [2, 6]]> : tensor<2x2xui8>
  %w = qopt.dequantize_linear %wq, %ws, %wz {axis = 0 : i64, block_size = 16 : i64} : (tensor<32x2xui8>, tensor<2x2xf32>, tensor<2x2xui8>) -> tensor<32x2xf32>
  %y = qopt.matmul %x, %w : (tensor<3x32xf32>, tensor<32x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A block size that does not divide its axis (30 by 16) cannot be a
// sub-channel type: the DequantizeLinear stays (qopt-lower-quantize-linear
// then refuses blocked quantization with a diagnostic).
// CHECK-LABEL: func.func @blocked_partial
// CHECK: qopt.dequantize_linear
func.func @blocked_partial(%x: tensor<3x30xf32>) -> tensor<3x2xf32> {
  %wq = qopt.constant dense<10> : tensor<30x2xui8>
  %ws = qopt.constant dense<[[0.5, 1.0], [0.25, 2.0]]> : tensor<2x2xf32>
  %w = qopt.dequantize_linear %wq, %ws, %wq {axis = 0 : i64, block_size = 16 : i64} : (tensor<30x2xui8>, tensor<2x2xf32>, tensor<30x2xui8>) -> tensor<30x2xf32>
  %y = qopt.matmul %x, %w : (tensor<3x30xf32>, tensor<30x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
