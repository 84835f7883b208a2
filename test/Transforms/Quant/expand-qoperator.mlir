// RUN: qopt-opt %s --split-input-file --qopt-expand-qoperator | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-expand-qoperator --canonicalize --qopt-import-qdq --qopt-quantize-ops --canonicalize | FileCheck %s --check-prefix=INT

// QOperator format (ONNX Runtime's QuantFormat.QOperator): the input is
// quantized once, QLinearConv runs on u8 values with int8 per-channel
// weights and an int32 bias of scale x_scale * w_scale, and the output is
// dequantized. QLinearConv becomes DequantizeLinear → Conv → QuantizeLinear;
// the pairs then form the same integer graph as the QDQ model in
// import-qdq.mlir (same scales, same stored weights and bias).
// CHECK-LABEL: func.func @qlinear_conv
// CHECK: %[[X:.*]] = qopt.dequantize_linear %{{.*}} : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xf32>
// CHECK: %[[W:.*]] = qopt.dequantize_linear %{{.*}} {axis = 0 : i64} : (tensor<2x2x1x1xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x2x1x1xf32>
// CHECK: %[[BS:.*]] = qopt.constant dense<[1.250000e-01, 6.250000e-02]> : tensor<2xf32>
// CHECK: %[[B:.*]] = qopt.dequantize_linear %{{.*}}, %[[BS]], %{{.*}} {axis = 0 : i64} : (tensor<2xi32>, tensor<2xf32>, none) -> tensor<2xf32>
// CHECK: %[[Y:.*]] = qopt.conv %[[X]], %[[W]], %[[B]] : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
// CHECK: qopt.quantize_linear %[[Y]], %{{.*}}, %{{.*}} : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xui8>
// CHECK-NOT: qopt.qlinear_conv
// INT-LABEL: func.func @qlinear_conv
// INT-DAG: %[[B:.*]] = qopt.constant dense<[4, -4]> : tensor<2xi32>
// INT-DAG: %[[X:.*]] = qopt.quantize %arg0 : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!quant.uniform<u8:f32, 5.000000e-01:10>>
// INT-DAG: %[[W:.*]] = qopt.quantize %{{.*}} : tensor<2x2x1x1xf32> -> tensor<2x2x1x1x!quant.uniform<i8:f32:0, {2.500000e-01,1.250000e-01}>>
// INT: %[[Y:.*]] = qopt.conv %[[X]], %[[W]], %[[B]] {{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 2.500000e-01:3>>
// INT: %[[P:.*]] = qopt.max_pool %[[Y]] {{.*}} -> tensor<1x2x2x2x!quant.uniform<u8:f32, 2.500000e-01:3>>
// INT: qopt.dequantize %[[P]]
// INT-NOT: _linear
func.func @qlinear_conv(%in: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %xs = qopt.constant dense<0.5> : tensor<f32>
  %xz = qopt.constant dense<10> : tensor<ui8>
  %x = qopt.quantize_linear %in, %xs, %xz : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xui8>
  %w = qopt.constant dense<[[[[4]], [[-2]]], [[[2]], [[0]]]]> : tensor<2x2x1x1xi8>
  %ws = qopt.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %wz = qopt.constant dense<0> : tensor<2xi8>
  %ys = qopt.constant dense<0.25> : tensor<f32>
  %yz = qopt.constant dense<3> : tensor<ui8>
  %b = qopt.constant dense<[4, -4]> : tensor<2xi32>
  %y = qopt.qlinear_conv %x, %xs, %xz, %w, %ws, %wz, %ys, %yz, %b : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>, tensor<2x2x1x1xi8>, tensor<2xf32>, tensor<2xi8>, tensor<f32>, tensor<ui8>, tensor<2xi32>) -> tensor<1x2x4x4xui8>
  // MaxPool on the u8 tensor between two QOperator ops: the dequantization
  // moves above it, so it too runs on quantized values.
  %p = qopt.max_pool %y {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xui8>) -> tensor<1x2x2x2xui8>
  %out = qopt.dequantize_linear %p, %ys, %yz : (tensor<1x2x2x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x2x2x2xf32>
  return %out : tensor<1x2x2x2xf32>
}

// -----

// QLinearMatMul with per-column b scales: b's pair is per axis 1 (the
// last), a's and y's per tensor.
// CHECK-LABEL: func.func @qlinear_matmul
// CHECK: %[[A:.*]] = qopt.dequantize_linear %{{.*}} : (tensor<3x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<3x4xf32>
// CHECK: %[[B:.*]] = qopt.dequantize_linear %{{.*}} : (tensor<4x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<4x2xf32>
// CHECK: %[[Y:.*]] = qopt.matmul %[[A]], %[[B]] : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
// CHECK: qopt.quantize_linear %[[Y]]
// INT-LABEL: func.func @qlinear_matmul
// INT: qopt.matmul {{.*}} tensor<4x2x!quant.uniform<i8:f32:1, {2.500000e-01,1.250000e-01}>>) -> tensor<3x2x!quant.uniform<u8:f32, 2.000000e+00:7>>
func.func @qlinear_matmul(%in: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %as = qopt.constant dense<0.5> : tensor<f32>
  %az = qopt.constant dense<128> : tensor<ui8>
  %a = qopt.quantize_linear %in, %as, %az : (tensor<3x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<3x4xui8>
  %b = qopt.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %bs = qopt.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %bz = qopt.constant dense<0> : tensor<2xi8>
  %ys = qopt.constant dense<2.0> : tensor<f32>
  %yz = qopt.constant dense<7> : tensor<ui8>
  %y = qopt.qlinear_matmul %a, %as, %az, %b, %bs, %bz, %ys, %yz : (tensor<3x4xui8>, tensor<f32>, tensor<ui8>, tensor<4x2xi8>, tensor<2xf32>, tensor<2xi8>, tensor<f32>, tensor<ui8>) -> tensor<3x2xui8>
  %out = qopt.dequantize_linear %y, %ys, %yz : (tensor<3x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<3x2xf32>
  return %out : tensor<3x2xf32>
}

// -----

// MatMulInteger: i32 operands q - zero_point (a per row, b per column), an
// exact i32 matmul. Constant weights are shifted at compile time.
// CHECK-LABEL: func.func @matmul_integer
// CHECK-DAG: %[[AI:.*]] = qopt.cast %arg0 {to = i32} : (tensor<3x4xui8>) -> tensor<3x4xi32>
// CHECK-DAG: %[[AZ:.*]] = qopt.reshape %arg1, %{{.*}} : (tensor<3xui8>, tensor<2xi64>) -> tensor<3x1xui8>
// CHECK-DAG: %[[AZI:.*]] = qopt.cast %[[AZ]] {to = i32} : (tensor<3x1xui8>) -> tensor<3x1xi32>
// CHECK: %[[A:.*]] = qopt.sub %[[AI]], %[[AZI]] : (tensor<3x4xi32>, tensor<3x1xi32>) -> tensor<3x4xi32>
// CHECK: %[[B:.*]] = qopt.constant dense<{{\[\[}}0, 3], [2, 5], [4, 7], [6, 9]]> : tensor<4x2xi32>
// CHECK: qopt.matmul %[[A]], %[[B]] : (tensor<3x4xi32>, tensor<4x2xi32>) -> tensor<3x2xi32>
func.func @matmul_integer(%a: tensor<3x4xui8>, %az: tensor<3xui8>) -> tensor<3x2xi32> {
  %b = qopt.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %bz = qopt.constant dense<[1, -1]> : tensor<2xi8>
  %y = qopt.matmul_integer %a, %b, %az, %bz : (tensor<3x4xui8>, tensor<4x2xi8>, tensor<3xui8>, tensor<2xi8>) -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

// ConvInteger: w_zero_point per output channel (weights 1 - [0, 1, 2]),
// x_zero_point a run-time scalar.
// CHECK-LABEL: func.func @conv_integer
// CHECK: %[[X:.*]] = qopt.sub %{{.*}}, %{{.*}} : (tensor<1x2x4x4xi32>, tensor<i32>) -> tensor<1x2x4x4xi32>
// CHECK: %[[W:.*]] = qopt.constant dense<{{\[\[\[\[}}1, 1, 1], {{.*}} {{\[\[\[}}0, 0, 0], {{.*}} {{\[\[\[}}-1, -1, -1], {{.*}} : tensor<3x2x3x3xi32>
// CHECK: qopt.conv %[[X]], %[[W]], %{{.*}} : (tensor<1x2x4x4xi32>, tensor<3x2x3x3xi32>, none) -> tensor<1x3x2x2xi32>
func.func @conv_integer(%x: tensor<1x2x4x4xui8>, %xz: tensor<ui8>) -> tensor<1x3x2x2xi32> {
  %w = qopt.constant dense<1> : tensor<3x2x3x3xui8>
  %wz = qopt.constant dense<[0, 1, 2]> : tensor<3xui8>
  %y = qopt.conv_integer %x, %w, %xz, %wz : (tensor<1x2x4x4xui8>, tensor<3x2x3x3xui8>, tensor<ui8>, tensor<3xui8>) -> tensor<1x3x2x2xi32>
  return %y : tensor<1x3x2x2xi32>
}

// -----

// DynamicQuantizeLinear: range widened to contain 0, scale (max - min) / 255,
// zero point saturate(round(-min / scale)), a guarded divisor for an
// all-zero input.
// CHECK-LABEL: func.func @dynamic
// CHECK-DAG: %[[ZERO:.*]] = qopt.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[MAX:.*]] = qopt.reduce_max %arg0, %{{.*}} {keepdims = 0 : i64}
// CHECK-DAG: %[[MIN:.*]] = qopt.reduce_min %arg0, %{{.*}} {keepdims = 0 : i64}
// CHECK-DAG: %[[HI:.*]] = qopt.max %[[MAX]], %[[ZERO]]
// CHECK-DAG: %[[LO:.*]] = qopt.min %[[MIN]], %[[ZERO]]
// CHECK: %[[RANGE:.*]] = qopt.sub %[[HI]], %[[LO]]
// CHECK: %[[SCALE:.*]] = qopt.div %[[RANGE]], %{{.*}}
// CHECK: %[[DIV:.*]] = qopt.max %[[SCALE]], %{{.*}}
// CHECK: qopt.div %[[LO]], %[[DIV]]
// CHECK: qopt.div %arg0, %[[DIV]] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
// CHECK: %[[Y:.*]] = qopt.cast %{{.*}} {to = ui8} : (tensor<2x3xf32>) -> tensor<2x3xui8>
// CHECK: %[[ZP:.*]] = qopt.cast %{{.*}} {to = ui8} : (tensor<f32>) -> tensor<ui8>
// CHECK: return %[[Y]], %[[SCALE]], %[[ZP]]
func.func @dynamic(%x: tensor<2x3xf32>) -> (tensor<2x3xui8>, tensor<f32>, tensor<ui8>) {
  %y, %s, %z = qopt.dynamic_quantize_linear %x : (tensor<2x3xf32>) -> (tensor<2x3xui8>, tensor<f32>, tensor<ui8>)
  return %y, %s, %z : tensor<2x3xui8>, tensor<f32>, tensor<ui8>
}
