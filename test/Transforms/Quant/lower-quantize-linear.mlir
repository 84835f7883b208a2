// RUN: qopt-opt %s --split-input-file --verify-diagnostics --qopt-lower-quantize-linear | FileCheck %s

// Run-time scale and zero point (nothing for qopt-import-qdq to fold):
// cast(clip(round(x / scale) + zp, 0, 255)), the division in f32.
// CHECK-LABEL: func.func @quantize_runtime
// CHECK: %[[D:.*]] = qopt.div %arg0, %arg1 : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
// CHECK: %[[R:.*]] = qopt.round %[[D]]
// CHECK: %[[Z:.*]] = qopt.cast %arg2 {to = f32} : (tensor<ui8>) -> tensor<f32>
// CHECK: %[[A:.*]] = qopt.add %[[R]], %[[Z]]
// CHECK-DAG: %[[LO:.*]] = qopt.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[HI:.*]] = qopt.constant dense<2.550000e+02> : tensor<f32>
// CHECK: %[[C:.*]] = qopt.clip %[[A]], %[[LO]], %[[HI]]
// CHECK: qopt.cast %[[C]] {to = ui8} : (tensor<2x3xf32>) -> tensor<2x3xui8>
func.func @quantize_runtime(%x: tensor<2x3xf32>, %s: tensor<f32>, %z: tensor<ui8>) -> tensor<2x3xui8> {
  %q = qopt.quantize_linear %x, %s, %z : (tensor<2x3xf32>, tensor<f32>, tensor<ui8>) -> tensor<2x3xui8>
  return %q : tensor<2x3xui8>
}

// -----

// Signed storage saturates to [-128, 127].
// CHECK-LABEL: func.func @quantize_signed
// CHECK-DAG: qopt.constant dense<-1.280000e+02> : tensor<f32>
// CHECK-DAG: qopt.constant dense<1.270000e+02> : tensor<f32>
// CHECK: qopt.cast %{{.*}} {to = i8}
func.func @quantize_signed(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<i8>) -> tensor<4xi8> {
  %q = qopt.quantize_linear %x, %s, %z : (tensor<4xf32>, tensor<f32>, tensor<i8>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// Per-axis: the scales and zero points of axis 1 broadcast as [C, 1].
// CHECK-LABEL: func.func @dequantize_axis
// CHECK: %[[XI:.*]] = qopt.cast %arg0 {to = i32} : (tensor<2x3x4xi8>) -> tensor<2x3x4xi32>
// CHECK: %[[ZR:.*]] = qopt.reshape %arg2, %{{.*}} : (tensor<3xi8>, tensor<2xi64>) -> tensor<3x1xi8>
// CHECK: %[[ZI:.*]] = qopt.cast %[[ZR]] {to = i32} : (tensor<3x1xi8>) -> tensor<3x1xi32>
// CHECK: %[[S:.*]] = qopt.sub %[[XI]], %[[ZI]] : (tensor<2x3x4xi32>, tensor<3x1xi32>) -> tensor<2x3x4xi32>
// CHECK: %[[F:.*]] = qopt.cast %[[S]] {to = f32}
// CHECK: %[[SR:.*]] = qopt.reshape %arg1, %{{.*}} : (tensor<3xf32>, tensor<2xi64>) -> tensor<3x1xf32>
// CHECK: qopt.mul %[[F]], %[[SR]] : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
func.func @dequantize_axis(%x: tensor<2x3x4xi8>, %s: tensor<3xf32>, %z: tensor<3xi8>) -> tensor<2x3x4xf32> {
  %d = qopt.dequantize_linear %x, %s, %z {axis = 1 : i64} : (tensor<2x3x4xi8>, tensor<3xf32>, tensor<3xi8>) -> tensor<2x3x4xf32>
  return %d : tensor<2x3x4xf32>
}

// -----

// An i32 tensor without a zero point (a bias) is only cast and scaled.
// CHECK-LABEL: func.func @dequantize_i32
// CHECK-NOT: qopt.sub
// CHECK: %[[F:.*]] = qopt.cast %arg0 {to = f32}
// CHECK: qopt.mul %[[F]], %arg1
func.func @dequantize_i32(%x: tensor<5xi32>, %s: tensor<f32>) -> tensor<5xf32> {
  %n = qopt.none
  %d = qopt.dequantize_linear %x, %s, %n : (tensor<5xi32>, tensor<f32>, none) -> tensor<5xf32>
  return %d : tensor<5xf32>
}

// -----

func.func @blocked(%x: tensor<2x4xi8>, %s: tensor<2x2xf32>) -> tensor<2x4xf32> {
  %n = qopt.none
  // expected-error @+1 {{blocked quantization (block_size 2) is unsupported}}
  %d = qopt.dequantize_linear %x, %s, %n {axis = 1 : i64, block_size = 2 : i64} : (tensor<2x4xi8>, tensor<2x2xf32>, none) -> tensor<2x4xf32>
  return %d : tensor<2x4xf32>
}

// -----

func.func @f16_scale(%x: tensor<4xf32>, %s: tensor<f16>, %z: tensor<ui8>) -> tensor<4xui8> {
  // expected-error @+1 {{only f32 scales are supported, got 'tensor<f16>'}}
  %q = qopt.quantize_linear %x, %s, %z : (tensor<4xf32>, tensor<f16>, tensor<ui8>) -> tensor<4xui8>
  return %q : tensor<4xui8>
}
