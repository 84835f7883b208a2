// RUN: qopt-opt %s --convert-qopt-to-linalg --canonicalize --split-input-file | FileCheck %s
// Convolution, matmul, pooling and resize.

// CHECK-LABEL: func.func @conv
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// 2-D float convolution = im2col + linalg.matmul (the GEMM microkernel runs it).
// CHECK: %[[W:.*]] = tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<4x3x3x3xf32> into tensor<4x27xf32>
// CHECK: linalg.generic {{.*}} ins(%padded : tensor<1x3x10x10xf32>) outs(%{{.*}} : tensor<3x3x3x1x8x8xf32>)
// CHECK: %[[COL:.*]] = tensor.collapse_shape {{.*}} into tensor<27x64xf32>
// CHECK: linalg.generic {{.*}} ins(%arg2 : tensor<4xf32>)
// CHECK: linalg.matmul ins(%[[W]], %[[COL]] : tensor<4x27xf32>, tensor<27x64xf32>)
// CHECK: tensor.expand_shape {{.*}} into tensor<1x4x8x8xf32>
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %0 = qopt.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----
// CHECK-LABEL: func.func @depthwise
// CHECK: tensor.collapse_shape %arg1 {{\[}}[0, 1], [2], [3]]
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}}strides = dense<2>
func.func @depthwise(%x: tensor<?x4x?x?xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<?x4x?x?xf32> {
  %n = qopt.none
  %0 = qopt.conv %x, %w, %n {group = 4 : i64, strides = array<i64: 2, 2>} : (tensor<?x4x?x?xf32>, tensor<4x1x3x3xf32>, none) -> tensor<?x4x?x?xf32>
  return %0 : tensor<?x4x?x?xf32>
}

// -----
// CHECK-LABEL: func.func @grouped
// CHECK: tensor.expand_shape %arg0 {{\[}}[0], [1, 2], [3], [4]]
// CHECK: linalg.generic
// CHECK-SAME: "reduction", "reduction", "reduction"
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x6x8x8xf32>
func.func @grouped(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x1x1xf32>) -> tensor<1x6x8x8xf32> {
  %n = qopt.none
  %0 = qopt.conv %x, %w, %n {group = 2 : i64} : (tensor<1x4x8x8xf32>, tensor<6x2x1x1xf32>, none) -> tensor<1x6x8x8xf32>
  return %0 : tensor<1x6x8x8xf32>
}

// -----
// CHECK-LABEL: func.func @matmul_batch_folded
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<2x5x8xf32> into tensor<10x8xf32>
// CHECK: linalg.matmul
// CHECK: tensor.expand_shape {{.*}} into tensor<2x5x3xf32>
func.func @matmul_batch_folded(%a: tensor<2x5x8xf32>, %b: tensor<8x3xf32>) -> tensor<2x5x3xf32> {
  %0 = qopt.matmul %a, %b : (tensor<2x5x8xf32>, tensor<8x3xf32>) -> tensor<2x5x3xf32>
  return %0 : tensor<2x5x3xf32>
}

// -----
// CHECK-LABEL: func.func @maxpool
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
func.func @maxpool(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32> {
  %0 = qopt.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----
// Excluded padding: the divisor is a pooled tensor of ones.
// CHECK-LABEL: func.func @avgpool_pads
// CHECK: linalg.pooling_nchw_sum
// CHECK: linalg.pooling_nchw_sum {{.*}} tensor<1x1x6x6xf32>
// CHECK: arith.divf
func.func @avgpool_pads(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %0 = qopt.average_pool %x {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----
// CHECK-LABEL: func.func @resize_nearest
// CHECK: linalg.generic
// CHECK: math.floor
// CHECK: tensor.extract %arg0
func.func @resize_nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %n = qopt.none
  %s = qopt.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  %0 = qopt.resize %x, %n, %s, %n {mode = "nearest"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// The integer forms of quantized layers: i8 x i8 accumulates in i32 through
// im2col (in i8) and a mixed-type linalg.matmul; a depthwise Conv on i16.
// CHECK-LABEL: func.func @conv_s8
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2x5x5xi8>) outs(%{{.*}} : tensor<2x3x3x1x3x3xi8>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x18xi8>, tensor<18x9xi8>) outs(%{{.*}} : tensor<4x9xi32>)
// CHECK-LABEL: func.func @depthwise_s16
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x5x5xi16>, tensor<2x3x3xi16>) outs(%{{.*}} : tensor<1x2x3x3xi32>)
func.func @conv_s8(%x: tensor<1x2x5x5xi8>, %w: tensor<4x2x3x3xi8>, %b: tensor<4xi32>) -> tensor<1x4x3x3xi32> {
  %y = qopt.conv %x, %w, %b : (tensor<1x2x5x5xi8>, tensor<4x2x3x3xi8>, tensor<4xi32>) -> tensor<1x4x3x3xi32>
  return %y : tensor<1x4x3x3xi32>
}
func.func @depthwise_s16(%x: tensor<1x2x5x5xi16>, %w: tensor<2x1x3x3xi16>) -> tensor<1x2x3x3xi32> {
  %none = qopt.none
  %y = qopt.conv %x, %w, %none {group = 2 : i64} : (tensor<1x2x5x5xi16>, tensor<2x1x3x3xi16>, none) -> tensor<1x2x3x3xi32>
  return %y : tensor<1x2x3x3xi32>
}
