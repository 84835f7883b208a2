// RUN: qopt-opt %s | qopt-opt | FileCheck %s
// RUN: qopt-opt --mlir-print-op-generic %s | qopt-opt | FileCheck %s
// Round trip: every op family parses, verifies, prints and parses again.

// CHECK-LABEL: func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x1xi1>) -> tensor<2x3xf32> {
  // CHECK: qopt.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = qopt.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = qopt.mul %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qopt.less {{.*}} -> tensor<2x3xi1>
  %2 = qopt.less %1, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qopt.where
  %3 = qopt.where %c, %1, %a : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: qopt.max {{.*}} : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = qopt.max %3, %b, %a : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // Default-valued attributes (beta = 0.5) are elided.
  // CHECK: qopt.hard_sigmoid %{{.*}} {alpha = 0.166666672 : f32} :
  %5 = qopt.hard_sigmoid %4 {alpha = 0.166666672 : f32, beta = 0.5 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: qopt.gelu %{{.*}} {approximate = "tanh"}
  %6 = qopt.gelu %5 {approximate = "tanh"} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %n = qopt.none
  %lo = qopt.constant dense<0.0> : tensor<f32>
  // CHECK: qopt.clip %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>, none) -> tensor<2x3xf32>
  %7 = qopt.clip %6, %lo, %n : (tensor<2x3xf32>, tensor<f32>, none) -> tensor<2x3xf32>
  %8 = qopt.softmax %7 {axis = -1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: qopt.cast %{{.*}} {to = f16}
  %9 = qopt.cast %8 {to = f16} : (tensor<2x3xf32>) -> tensor<2x3xf16>
  return %8 : tensor<2x3xf32>
}

// CHECK-LABEL: func @shapes
func.func @shapes(%x: tensor<?x4x6xf32>) -> tensor<?x24xf32> {
  %s = qopt.constant dense<[0, -1]> : tensor<2xi64>
  // CHECK: qopt.reshape {{.*}} -> tensor<?x24xf32>
  %0 = qopt.reshape %x, %s : (tensor<?x4x6xf32>, tensor<2xi64>) -> tensor<?x24xf32>
  // CHECK: qopt.transpose %{{.*}} {perm = array<i64: 1, 0>}
  %1 = qopt.transpose %0 {perm = array<i64: 1, 0>} : (tensor<?x24xf32>) -> tensor<24x?xf32>
  %2 = qopt.concat %0, %0 {axis = 1 : i64} : (tensor<?x24xf32>, tensor<?x24xf32>) -> tensor<?x48xf32>
  %st = qopt.constant dense<1> : tensor<1xi64>
  %en = qopt.constant dense<5> : tensor<1xi64>
  %ax = qopt.constant dense<1> : tensor<1xi64>
  %n = qopt.none
  // CHECK: qopt.slice {{.*}} -> tensor<?x4xf32>
  %3 = qopt.slice %2, %st, %en, %ax, %n : (tensor<?x48xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<?x4xf32>
  %4 = qopt.unsqueeze %3, %ax : (tensor<?x4xf32>, tensor<1xi64>) -> tensor<?x1x4xf32>
  %5 = qopt.squeeze %4, %ax : (tensor<?x1x4xf32>, tensor<1xi64>) -> tensor<?x4xf32>
  %6 = qopt.shape %x {start = 1 : i64} : (tensor<?x4x6xf32>) -> tensor<2xi64>
  %idx = qopt.constant dense<[0, 2]> : tensor<2xi64>
  %7 = qopt.gather %x, %idx {axis = 2 : i64} : (tensor<?x4x6xf32>, tensor<2xi64>) -> tensor<?x4x2xf32>
  %sp = qopt.constant dense<[1, 3]> : tensor<2xi64>
  // CHECK: qopt.split {{.*}} -> (tensor<?x1x6xf32>, tensor<?x3x6xf32>)
  %8:2 = qopt.split %x, %sp {axis = 1 : i64} : (tensor<?x4x6xf32>, tensor<2xi64>) -> (tensor<?x1x6xf32>, tensor<?x3x6xf32>)
  %9 = qopt.flatten %x {axis = 1 : i64} : (tensor<?x4x6xf32>) -> tensor<?x24xf32>
  %cs = qopt.constant_of_shape %6 {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<4x6xi64>
  %pads = qopt.constant dense<[0, 1, 0, 1]> : tensor<4xi64>
  %10 = qopt.pad %3, %pads, %n, %n {mode = "reflect"} : (tensor<?x4xf32>, tensor<4xi64>, none, none) -> tensor<?x6xf32>
  %r0 = qopt.constant dense<0> : tensor<i64>
  %r1 = qopt.constant dense<5> : tensor<i64>
  %r2 = qopt.constant dense<2> : tensor<i64>
  // CHECK: qopt.range {{.*}} -> tensor<3xi64>
  %11 = qopt.range %r0, %r1, %r2 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  return %0 : tensor<?x24xf32>
}

// CHECK-LABEL: func @nn
func.func @nn(%x: tensor<1x8x32x32xf32>, %w: tensor<16x4x3x3xf32>, %b: tensor<16xf32>) -> tensor<1x16x16x16xf32> {
  // CHECK: qopt.conv {{.*}} {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} {{.*}} -> tensor<1x16x16x16xf32>
  %0 = qopt.conv %x, %w, %b {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x32x32xf32>, tensor<16x4x3x3xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  %1 = qopt.batch_normalization %0, %b, %b, %b, %b {epsilon = 1.0e-3 : f32} : (tensor<1x16x16x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  // CHECK: qopt.max_pool {{.*}} -> tensor<1x16x8x8xf32>
  %2 = qopt.max_pool %1 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x16x16x16xf32>) -> tensor<1x16x8x8xf32>
  // CHECK: qopt.average_pool {{.*}} -> tensor<1x16x3x3xf32>
  %3 = qopt.average_pool %2 {ceil_mode = 1 : i64, kernel_shape = array<i64: 3, 3>, strides = array<i64: 3, 3>} : (tensor<1x16x8x8xf32>) -> tensor<1x16x3x3xf32>
  %4 = qopt.global_average_pool %3 : (tensor<1x16x3x3xf32>) -> tensor<1x16x1x1xf32>
  %wt = qopt.constant dense<1.0> : tensor<16x4x2x2xf32>
  %n = qopt.none
  // CHECK: qopt.conv_transpose {{.*}} -> tensor<1x8x16x16xf32>
  %5 = qopt.conv_transpose %2, %wt, %n {group = 2 : i64, strides = array<i64: 2, 2>} : (tensor<1x16x8x8xf32>, tensor<16x4x2x2xf32>, none) -> tensor<1x8x16x16xf32>
  %sc = qopt.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  // CHECK: qopt.resize {{.*}} -> tensor<1x8x32x32xf32>
  %6 = qopt.resize %5, %n, %sc, %n {mode = "linear"} : (tensor<1x8x16x16xf32>, none, tensor<4xf32>, none) -> tensor<1x8x32x32xf32>
  %ax = qopt.constant dense<[2, 3]> : tensor<2xi64>
  %7 = qopt.reduce_mean %6, %ax {keepdims = 0 : i64} : (tensor<1x8x32x32xf32>, tensor<2xi64>) -> tensor<1x8xf32>
  %8 = qopt.argmax %6 {axis = 1 : i64, keepdims = 0 : i64} : (tensor<1x8x32x32xf32>) -> tensor<1x32x32xi64>
  return %0 : tensor<1x16x16x16xf32>
}

// CHECK-LABEL: func @matmuls
func.func @matmuls(%a: tensor<2x?x8x16xf32>, %b: tensor<16x4xf32>, %v: tensor<16xf32>) -> tensor<2x?x8x4xf32> {
  %0 = qopt.matmul %a, %b : (tensor<2x?x8x16xf32>, tensor<16x4xf32>) -> tensor<2x?x8x4xf32>
  // CHECK: qopt.matmul {{.*}} -> tensor<2x?x8xf32>
  %1 = qopt.matmul %a, %v : (tensor<2x?x8x16xf32>, tensor<16xf32>) -> tensor<2x?x8xf32>
  %m = qopt.constant dense<1.0> : tensor<16x5xf32>
  %c = qopt.constant dense<1.0> : tensor<4xf32>
  // CHECK: qopt.gemm {{.*}} {transA = 1 : i64} {{.*}} -> tensor<5x4xf32>
  %2 = qopt.gemm %m, %b, %c {transA = 1 : i64} : (tensor<16x5xf32>, tensor<16x4xf32>, tensor<4xf32>) -> tensor<5x4xf32>
  %s = qopt.constant dense<1.0> : tensor<16xf32>
  %n = qopt.none
  %3 = qopt.layer_normalization %a, %s, %n {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x?x8x16xf32>, tensor<16xf32>, none) -> tensor<2x?x8x16xf32>
  return %0 : tensor<2x?x8x4xf32>
}

// CHECK-LABEL: func @onnx_quant
func.func @onnx_quant(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xi8>) -> tensor<1x6x6x6xui8> {
  %s = qopt.constant dense<0.1> : tensor<f32>
  %z = qopt.constant dense<128> : tensor<ui8>
  %ws = qopt.constant dense<0.05> : tensor<6xf32>
  %wz = qopt.constant dense<0> : tensor<6xi8>
  // CHECK: qopt.quantize_linear {{.*}} -> tensor<1x4x8x8xui8>
  %q = qopt.quantize_linear %x, %s, %z : (tensor<1x4x8x8xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x4x8x8xui8>
  %n = qopt.none
  // CHECK: qopt.qlinear_conv {{.*}} -> tensor<1x6x6x6xui8>
  %y = qopt.qlinear_conv %q, %s, %z, %w, %ws, %wz, %s, %z, %n : (tensor<1x4x8x8xui8>, tensor<f32>, tensor<ui8>, tensor<6x4x3x3xi8>, tensor<6xf32>, tensor<6xi8>, tensor<f32>, tensor<ui8>, none) -> tensor<1x6x6x6xui8>
  // CHECK: qopt.dequantize_linear {{.*}} {axis = 0 : i64} {{.*}} -> tensor<6x4x3x3xf32>
  %d = qopt.dequantize_linear %w, %ws, %wz {axis = 0 : i64} : (tensor<6x4x3x3xi8>, tensor<6xf32>, tensor<6xi8>) -> tensor<6x4x3x3xf32>
  // CHECK: qopt.conv_integer {{.*}} -> tensor<1x6x6x6xi32>
  %ci = qopt.conv_integer %q, %w, %z, %n : (tensor<1x4x8x8xui8>, tensor<6x4x3x3xi8>, tensor<ui8>, none) -> tensor<1x6x6x6xi32>
  // CHECK: qopt.dynamic_quantize_linear {{.*}} -> (tensor<1x4x8x8xui8>, tensor<f32>, tensor<ui8>)
  %dq:3 = qopt.dynamic_quantize_linear %x : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xui8>, tensor<f32>, tensor<ui8>)
  %bs = qopt.constant dense<0.1> : tensor<6x2x3x3xf32>
  // Blocked (opset 21) scales: axis 1 in blocks of 2.
  %bd = qopt.dequantize_linear %w, %bs, %n {axis = 1 : i64, block_size = 2 : i64} : (tensor<6x4x3x3xi8>, tensor<6x2x3x3xf32>, none) -> tensor<6x4x3x3xf32>
  return %y : tensor<1x6x6x6xui8>
}

// CHECK-LABEL: func @quant_types
func.func @quant_types(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  // CHECK: qopt.quantize %{{.*}} : tensor<4x6xf32> -> tensor<4x6x!quant.uniform<i8:f32, 5.000000e-01:-3>>
  %0 = qopt.quantize %x : tensor<4x6xf32> -> tensor<4x6x!quant.uniform<i8:f32, 0.5:-3>>
  %1 = qopt.requantize %0 : tensor<4x6x!quant.uniform<i8:f32, 0.5:-3>> -> tensor<4x6x!quant.uniform<i8:f32, 0.25>>
  %2 = qopt.dequantize %1 : tensor<4x6x!quant.uniform<i8:f32, 0.25>> -> tensor<4x6xf32>
  // Per-axis along dim 0.
  // CHECK: !quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01,3.000000e-01,4.000000e-01}>
  %3 = qopt.quantize %x : tensor<4x6xf32> -> tensor<4x6x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>>
  // Sub-channel: dim 1 in blocks of 3.
  // CHECK: !quant.uniform<i8:f32:{1:3}
  %4 = qopt.quantize %x : tensor<4x6xf32> -> tensor<4x6x!quant.uniform<i8:f32:{1:3}, {{1.0, 2.0}}>>
  // CHECK: qopt.observer %{{.*}} {id = "x", max = 3.000000e+00 : f64, min = -1.000000e+00 : f64}
  %5 = qopt.observer %2 {id = "x", min = -1.0 : f64, max = 3.0 : f64} : tensor<4x6xf32>
  %6 = qopt.observer %5 {id = "h", histogram = array<i64: 1, 4, 2>, hist_min = -1.0 : f64, hist_max = 3.0 : f64} : tensor<4x6xf32>
  // Channel ranges along the last axis (the 6 features).
  // CHECK: qopt.observer %{{.*}} {channel_axis = -1 : i64, channel_max = array<f64: 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 2.000000e+00>
  %7 = qopt.observer %6 {id = "f", channel_axis = -1 : i64, channel_min = array<f64: 0.0, 0.0, 0.0, 0.0, 0.0, -1.0>, channel_max = array<f64: 1.0, 1.0, 1.0, 1.0, 1.0, 2.0>} : tensor<4x6xf32>
  return %7 : tensor<4x6xf32>
}
