// RUN: qopt-opt %s --convert-qopt-to-linalg --canonicalize --split-input-file | FileCheck %s
// Convolution, matmul, pooling and resize.

// CHECK-LABEL: func.func @conv
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// A 2-D convolution with one group is the named op, its accumulator the
// bias broadcast over the output; how a target runs it is its own choice
// (the CPU: im2col + GEMM, test/Codegen/CPU/conv-to-im2col-gemm.mlir).
// CHECK: %[[B:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<4xf32>) outs(%{{.*}} : tensor<1x4x8x8xf32>)
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %arg1 : tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) outs(%[[B]] : tensor<1x4x8x8xf32>)
// CHECK-NOT: linalg.matmul
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
// Both operands batched alike (attention): one 2-D linalg.matmul per batch
// element (the batch dims collapsed) in an scf.forall, so each is a GEMM.
// CHECK-LABEL: func.func @matmul_batched_pair
// CHECK: %[[A:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2], [3]] : tensor<?x4x?x32xf32> into tensor<?x?x32xf32>
// CHECK: %[[B:.*]] = tensor.collapse_shape %arg1 {{\[}}[0, 1], [2], [3]] : tensor<?x4x32x?xf32> into tensor<?x32x?xf32>
// CHECK: scf.forall (%[[I:.*]]) in (%{{.*}}) shared_outs(%[[O:.*]] = %{{.*}})
// CHECK: %[[AS:.*]] = tensor.extract_slice %[[A]][%[[I]], 0, 0] [1, %{{.*}}, 32] [1, 1, 1] : tensor<?x?x32xf32> to tensor<?x32xf32>
// CHECK: %[[BS:.*]] = tensor.extract_slice %[[B]][%[[I]], 0, 0] [1, 32, %{{.*}}] [1, 1, 1] : tensor<?x32x?xf32> to tensor<32x?xf32>
// CHECK: %[[OS:.*]] = tensor.extract_slice %[[O]][%[[I]], 0, 0]
// CHECK: %[[P:.*]] = linalg.matmul ins(%[[AS]], %[[BS]] : tensor<?x32xf32>, tensor<32x?xf32>) outs(%[[OS]] : tensor<?x?xf32>)
// CHECK: tensor.parallel_insert_slice %[[P]] into %[[O]][%[[I]], 0, 0]
// CHECK: tensor.reshape {{.*}} -> tensor<?x4x?x?xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @matmul_batched_pair(%a: tensor<?x4x?x32xf32>, %b: tensor<?x4x32x?xf32>) -> tensor<?x4x?x?xf32> {
  %0 = qopt.matmul %a, %b : (tensor<?x4x?x32xf32>, tensor<?x4x32x?xf32>) -> tensor<?x4x?x?xf32>
  return %0 : tensor<?x4x?x?xf32>
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
// Nearest upscaling by integer factors whose source index is o floordiv s
// (half_pixel + round_prefer_floor, the default; asymmetric + floor with
// different factors per axis) reads through an affine map.
// CHECK-DAG: #[[UP2:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 floordiv 2, d3 floordiv 2)>
// CHECK-DAG: #[[UP34:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 floordiv 3, d3 floordiv 4)>
// CHECK-LABEL: func.func @resize_nearest
// CHECK: linalg.generic {indexing_maps = [#[[UP2]], #{{.*}}], {{.*}} ins(%arg0 : tensor<1x1x2x2xf32>)
// CHECK-NOT: math.floor
// CHECK-NOT: tensor.extract
// CHECK: return
func.func @resize_nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %n = qopt.none
  %s = qopt.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  %0 = qopt.resize %x, %n, %s, %n {mode = "nearest"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}
// CHECK-LABEL: func.func @resize_nearest_asymmetric
// CHECK: linalg.generic {indexing_maps = [#[[UP34]], #{{.*}}], {{.*}} ins(%arg0 : tensor<?x2x2x2xf32>)
func.func @resize_nearest_asymmetric(%x: tensor<?x2x2x2xf32>) -> tensor<?x2x6x8xf32> {
  %n = qopt.none
  %s = qopt.constant dense<[1.0, 1.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = qopt.resize %x, %n, %s, %n {mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"} : (tensor<?x2x2x2xf32>, none, tensor<4xf32>, none) -> tensor<?x2x6x8xf32>
  return %0 : tensor<?x2x6x8xf32>
}

// -----
// Gathers through a float source coordinate: asymmetric rounding with factor
// 3 (r / s = 2/3 rounds up), a fractional factor, and sizes that are an
// integer multiple while the scale is not.
// CHECK-LABEL: func.func @resize_nearest_gather
// CHECK-COUNT-3: tensor.extract %arg
func.func @resize_nearest_gather(%x: tensor<1x1x2x2xf32>, %y: tensor<1x1x4x4xf32>) -> (tensor<1x1x6x6xf32>, tensor<1x1x6x6xf32>, tensor<1x1x8x8xf32>) {
  %n = qopt.none
  %s3 = qopt.constant dense<[1.0, 1.0, 3.0, 3.0]> : tensor<4xf32>
  %s15 = qopt.constant dense<[1.0, 1.0, 1.5, 1.5]> : tensor<4xf32>
  %s21 = qopt.constant dense<[1.0, 1.0, 2.1, 2.1]> : tensor<4xf32>
  %0 = qopt.resize %x, %n, %s3, %n {mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "round_prefer_floor"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x6x6xf32>
  %1 = qopt.resize %y, %n, %s15, %n {mode = "nearest"} : (tensor<1x1x4x4xf32>, none, tensor<4xf32>, none) -> tensor<1x1x6x6xf32>
  %2 = qopt.resize %y, %n, %s21, %n {mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"} : (tensor<1x1x4x4xf32>, none, tensor<4xf32>, none) -> tensor<1x1x8x8xf32>
  return %0, %1, %2 : tensor<1x1x6x6xf32>, tensor<1x1x6x6xf32>, tensor<1x1x8x8xf32>
}

// -----

// The integer forms of quantized layers: i8 x i8 accumulates in i32 (the
// named ops sign-extend); a depthwise Conv on i16.
// CHECK-LABEL: func.func @conv_s8
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} ins(%arg0, %arg1 : tensor<1x2x5x5xi8>, tensor<4x2x3x3xi8>) outs(%{{.*}} : tensor<1x4x3x3xi32>)
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

// -----
// ConvTranspose whose kernel equals its stride: each output pixel gets one
// input pixel, so T[M*KH*KW, H*W] = W^T x X and a scatter
// Y[m, h*KH + i, w*KW + j] = T[m, i, j, h, w] + b[m], without zero insertion.
// CHECK-DAG: #[[SCATTER:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4, d1, d3)>
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0)>
// CHECK-LABEL: func.func @conv_transpose_kernel_eq_stride
// CHECK: %[[W2:.*]] = tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<3x2x2x3xf32> into tensor<3x12xf32>
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[W2]] : tensor<3x12xf32>) outs(%{{.*}} : tensor<12x3xf32>) permutation = [1, 0]
// CHECK: %[[X2:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2, 3]] : tensor<1x3x4x5xf32> into tensor<3x20xf32>
// CHECK: %[[T:.*]] = linalg.matmul ins(%[[WT]], %[[X2]] : tensor<12x3xf32>, tensor<3x20xf32>)
// CHECK: %[[T5:.*]] = tensor.expand_shape %[[T]] {{\[}}[0, 1, 2], [3, 4]] output_shape [2, 2, 3, 4, 5]
// CHECK: linalg.generic {indexing_maps = [#[[SCATTER]], #[[BIAS]], #{{.*}}]{{.*}} ins(%[[T5]], %arg2 : tensor<2x2x3x4x5xf32>, tensor<2xf32>) outs(%{{.*}} : tensor<2x4x2x5x3xf32>)
// CHECK: arith.addf
// CHECK: tensor.collapse_shape {{.*}} : tensor<2x4x2x5x3xf32> into tensor<2x8x15xf32>
// CHECK-NOT: tensor.pad
func.func @conv_transpose_kernel_eq_stride(%x: tensor<1x3x4x5xf32>, %w: tensor<3x2x2x3xf32>, %b: tensor<2xf32>) -> tensor<1x2x8x15xf32> {
  %0 = qopt.conv_transpose %x, %w, %b {strides = array<i64: 2, 3>} : (tensor<1x3x4x5xf32>, tensor<3x2x2x3xf32>, tensor<2xf32>) -> tensor<1x2x8x15xf32>
  return %0 : tensor<1x2x8x15xf32>
}

// -----
// With padding (or overlapping windows) ConvTranspose keeps zero insertion
// and a stride-1 convolution.
// CHECK-LABEL: func.func @conv_transpose_padded
// CHECK: %[[Z:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 0, 0] [1, 3, 4, 5] [1, 1, 2, 2]
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} outs(%{{.*}} : tensor<1x2x6x8xf32>)
func.func @conv_transpose_padded(%x: tensor<1x3x4x5xf32>, %w: tensor<3x2x2x2xf32>) -> tensor<1x2x6x8xf32> {
  %n = qopt.none
  %0 = qopt.conv_transpose %x, %w, %n {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x4x5xf32>, tensor<3x2x2x2xf32>, none) -> tensor<1x2x6x8xf32>
  return %0 : tensor<1x2x6x8xf32>
}

// -----

// Gemm with transB reads B [N, K] through the matmul's indexing maps instead
// of materializing B^T; transA still transposes.
// CHECK-DAG: #[[MA:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[MB:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[MC:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @gemm_trans_b
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#[[MA]], #[[MB]], #[[MC]]] ins(%arg0, %arg1 : tensor<2x8xf32>, tensor<3x8xf32>) outs(%{{.*}} : tensor<2x3xf32>)
func.func @gemm_trans_b(%a: tensor<2x8xf32>, %b: tensor<3x8xf32>) -> tensor<2x3xf32> {
  %n = "qopt.none"() : () -> none
  %0 = qopt.gemm %a, %b, %n {transB = 1 : i64} : (tensor<2x8xf32>, tensor<3x8xf32>, none) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----
// Cubic Resize: four taps per resized axis, 4 x 4 reads per output for two
// axes, weights from cubic_coeff_a (-0.75: 1.25 = a + 2, 2.25 = a + 3).
// CHECK-LABEL: func.func @resize_cubic
// CHECK-DAG: arith.constant 1.250000e+00 : f32
// CHECK-DAG: arith.constant 2.250000e+00 : f32
// CHECK: linalg.generic
// CHECK-COUNT-16: tensor.extract %{{.*}} : tensor<1x1x2x2xf32>
// CHECK-NOT: tensor.extract
// CHECK: linalg.yield
func.func @resize_cubic(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %n = qopt.none
  %s = qopt.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  %0 = qopt.resize %x, %n, %s, %n {mode = "cubic"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----
// GridSample, nearest with reflection: one generic over [N, C, Ho, Wo]
// reading the grid's (x, y), the coordinate reflected and clipped, rounded
// half to even, the read guarded (0 outside X) with clamped indices.
// CHECK-LABEL: func.func @grid_sample_nearest
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK: tensor.extract %arg1[%{{.*}}, %{{.*}}, %{{.*}}, %c0] : tensor<1x2x3x2xf32>
// CHECK: tensor.extract %arg1[%{{.*}}, %{{.*}}, %{{.*}}, %c1] : tensor<1x2x3x2xf32>
// CHECK: math.floor
// CHECK: math.roundeven
// CHECK: arith.fptosi
// CHECK: arith.minsi
// CHECK: %[[V:.*]] = tensor.extract %arg0
// CHECK: arith.select %{{.*}}, %[[V]], %{{.*}} : f32
func.func @grid_sample_nearest(%x: tensor<1x1x4x5xf32>, %g: tensor<1x2x3x2xf32>) -> tensor<1x1x2x3xf32> {
  %0 = qopt.grid_sample %x, %g {mode = "nearest", padding_mode = "reflection"} : (tensor<1x1x4x5xf32>, tensor<1x2x3x2xf32>) -> tensor<1x1x2x3xf32>
  return %0 : tensor<1x1x2x3xf32>
}
