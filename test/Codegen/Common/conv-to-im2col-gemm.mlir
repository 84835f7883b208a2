// RUN: qopt-opt %s --convert-qopt-to-linalg --qopt-conv-to-im2col-gemm --canonicalize --split-input-file | FileCheck %s --implicit-check-not=linalg.conv_2d_nchw_fchw
// RUN: qopt-opt %s --convert-qopt-to-linalg --qopt-conv-to-im2col-gemm=band-bytes=16777216 --canonicalize --split-input-file | FileCheck %s --check-prefix=BIG
// RUN: not qopt-opt %s --convert-qopt-to-linalg --qopt-conv-to-im2col-gemm=band-bytes=0 --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// 2-D convolutions (linalg.conv_2d_nchw_fchw from convert-qopt-to-linalg) as
// im2col + linalg.matmul, which the CPU's GEMM microkernel runs.

// CHECK-LABEL: func.func @conv
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[W:.*]] = tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<4x3x3x3xf32> into tensor<4x27xf32>
// The accumulator [F, N, OH, OW] starts from the bias.
// CHECK: linalg.generic {{.*}} ins(%arg2 : tensor<4xf32>) outs(%{{.*}} : tensor<4x1x8x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%padded : tensor<1x3x10x10xf32>) outs(%{{.*}} : tensor<3x3x3x1x8x8xf32>)
// CHECK: %[[COL:.*]] = tensor.collapse_shape {{.*}} into tensor<27x64xf32>
// CHECK: linalg.matmul ins(%[[W]], %[[COL]] : tensor<4x27xf32>, tensor<27x64xf32>)
// CHECK: tensor.expand_shape {{.*}} into tensor<1x4x8x8xf32>
// BAD: qopt-conv-to-im2col-gemm: band-bytes must be positive, got 0
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %0 = qopt.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----
// The integer form: im2col in i8 and a mixed-type linalg.matmul into i32.
// CHECK-LABEL: func.func @conv_s8
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2x5x5xi8>) outs(%{{.*}} : tensor<2x3x3x1x3x3xi8>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x18xi8>, tensor<18x9xi8>) outs(%{{.*}} : tensor<4x9xi32>)
func.func @conv_s8(%x: tensor<1x2x5x5xi8>, %w: tensor<4x2x3x3xi8>, %b: tensor<4xi32>) -> tensor<1x4x3x3xi32> {
  %y = qopt.conv %x, %w, %b : (tensor<1x2x5x5xi8>, tensor<4x2x3x3xi8>, tensor<4xi32>) -> tensor<1x4x3x3xi32>
  return %y : tensor<1x4x3x3xi32>
}

// -----
// A 1x1, stride-1 convolution of one image reads its input as the im2col
// matrix: no copy; no bias: the accumulator is a zero fill.
// CHECK-LABEL: func.func @pointwise
// CHECK: linalg.fill
// CHECK-NOT: linalg.generic
// CHECK: %[[X:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2, 3]] : tensor<1x8x6x6xf32> into tensor<8x36xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %[[X]] : tensor<16x8xf32>, tensor<8x36xf32>)
func.func @pointwise(%x: tensor<1x8x6x6xf32>, %w: tensor<16x8x1x1xf32>) -> tensor<1x16x6x6xf32> {
  %n = qopt.none
  %0 = qopt.conv %x, %w, %n : (tensor<1x8x6x6xf32>, tensor<16x8x1x1xf32>, none) -> tensor<1x16x6x6xf32>
  return %0 : tensor<1x16x6x6xf32>
}

// -----
// A single image whose im2col matrix exceeds 2 MB (144 x 16384 floats) is
// convolved in bands of output rows: the largest divisor of OH (16 rows here)
// whose im2col band fits, each band's GEMM writing a column slice of Y.
// With band-bytes=16 MiB the whole matrix (9.4 MB) fits: one im2col.
// BIG-LABEL: func.func @conv_bands
// BIG-NOT: scf.for
// BIG: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x144xf32>, tensor<144x16384xf32>)
// CHECK-LABEL: func.func @conv_bands
// CHECK: %[[W:.*]] = tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<8x16x3x3xf32> into tensor<8x144xf32>
// CHECK: scf.for %[[R:.*]] = %c0 to %c128 step %c16 iter_args(%[[Y:.*]] = %{{.*}}) -> (tensor<8x16384xf32>)
// CHECK: tensor.extract_slice %padded[0, 0, %[[R]], 0] [1, 16, 18, 130] [1, 1, 1, 1]
// CHECK: %[[COL:.*]] = tensor.collapse_shape {{.*}} : tensor<16x3x3x1x16x128xf32> into tensor<144x2048xf32>
// CHECK: %[[OFF:.*]] = arith.muli %[[R]], %c128
// CHECK: %[[S:.*]] = tensor.extract_slice %[[Y]][0, %[[OFF]]] [8, 2048] [1, 1]
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[W]], %[[COL]] : tensor<8x144xf32>, tensor<144x2048xf32>) outs(%[[S]] : tensor<8x2048xf32>)
// CHECK: tensor.insert_slice %[[MM]] into %[[Y]][0, %[[OFF]]] [8, 2048] [1, 1]
func.func @conv_bands(%x: tensor<1x16x128x128xf32>, %w: tensor<8x16x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x128x128xf32> {
  %0 = qopt.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x128x128xf32>, tensor<8x16x3x3xf32>, tensor<8xf32>) -> tensor<1x8x128x128xf32>
  return %0 : tensor<1x8x128x128xf32>
}

// -----
// Below 2 MB (and with a batch, or dynamic spatial dims) there is one im2col.
// CHECK-LABEL: func.func @conv_no_bands
// CHECK-NOT: scf.for
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x144xf32>, tensor<144x8192xf32>)
// The batch goes back in front: [F, N, OH, OW] -> [N, F, OH, OW].
// CHECK: linalg.transpose ins(%{{.*}} : tensor<8x2x64x64xf32>) outs(%{{.*}} : tensor<2x8x64x64xf32>) permutation = [1, 0, 2, 3]
func.func @conv_no_bands(%x: tensor<2x16x64x64xf32>, %w: tensor<8x16x3x3xf32>) -> tensor<2x8x64x64xf32> {
  %n = qopt.none
  %0 = qopt.conv %x, %w, %n {pads = array<i64: 1, 1, 1, 1>} : (tensor<2x16x64x64xf32>, tensor<8x16x3x3xf32>, none) -> tensor<2x8x64x64xf32>
  return %0 : tensor<2x8x64x64xf32>
}

// -----
// Another init (not a bias broadcast or a zero fill): the accumulator is that
// init, transposed to [F, N, OH, OW].
// CHECK-LABEL: func.func @other_init
// CHECK: %[[ACC:.*]] = linalg.transpose ins(%arg2 : tensor<2x4x3x3xf32>) outs(%{{.*}} : tensor<4x2x3x3xf32>) permutation = [1, 0, 2, 3]
// CHECK: tensor.collapse_shape %[[ACC]] {{\[}}[0], [1, 2, 3]] : tensor<4x2x3x3xf32> into tensor<4x18xf32>
// CHECK: linalg.matmul
func.func @other_init(%x: tensor<2x2x5x5xf32>, %w: tensor<4x2x3x3xf32>, %init: tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<2x2x5x5xf32>, tensor<4x2x3x3xf32>) outs(%init : tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32>
  return %0 : tensor<2x4x3x3xf32>
}
