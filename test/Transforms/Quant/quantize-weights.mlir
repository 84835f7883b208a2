// RUN: qopt-opt %s --split-input-file --qopt-quantize-weights="group-size=32 clip-search=false" -verify-diagnostics | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-quantize-weights="group-size=32 bits=8 symmetric=true" -verify-diagnostics | FileCheck %s --check-prefix=SYM8
// RUN: not qopt-opt %s --split-input-file --qopt-quantize-weights="bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not qopt-opt %s --split-input-file --qopt-quantize-weights="group-size=48" 2>&1 | FileCheck %s --check-prefix=GROUP
// BITS: error: qopt-quantize-weights: bits must be 2 to 8, got 9
// GROUP: error: qopt-quantize-weights: group-size must be a power of two of at least 16, got 48

// A MatMul weight [K = 32, N = 2] in one group per column. Asymmetric 4 bits
// without clip search: column 0 spans [0, 3.1] (scale 3.1 / 15, zero point
// 0), column 1 [-0.5, 1.0] (scale 0.1, zero point round(0.5 / 0.1) = 5).
// Blocks of 32 along K (dim 0), one column per scale (dim 1).
// W' holds the quantized values: 0.1 rounds to 0 (code 0.48 -> 0), 0.2 to
// one step (0.97 -> 1).
// CHECK-LABEL: func.func @matmul
// CHECK: %[[W:.*]] = qopt.constant dense<{{\[\[}}0.000000e+00, -5.000000e-01], [0.000000e+00, -5.000000e-01], [0.206666663, -5.000000e-01]
// CHECK: %[[Q:.*]] = qopt.quantize %[[W]] : tensor<32x2xf32> -> tensor<32x2x!quant.uniform<u4:f32:{0:32, 1:1}, {{\{\{}}0.206666663, 1.000000e-01:5}}>>
// CHECK: %[[D:.*]] = qopt.dequantize %[[Q]]
// CHECK: qopt.matmul %arg0, %[[D]]
// Symmetric 8 bits with the clip search: signed storage, zero points 0;
// column 0 keeps max |w| / 127 = 3.1 / 127, column 1 clips 1.0 to 0.98
// (0.98 / 127), which rounds its 31 values of -0.5 closer.
// SYM8-LABEL: func.func @matmul
// SYM8: tensor<32x2x!quant.uniform<i8:f32:{0:32, 1:1}, {{\{\{}}0.0244094487, 0.00771653559}}>>
func.func @matmul(%x: tensor<4x32xf32>) -> tensor<4x2xf32> {
  %w = qopt.constant dense<[[0.0000, -0.5000], [0.1000, -0.5000], [0.2000, -0.5000], [0.3000, -0.5000], [0.4000, -0.5000], [0.5000, -0.5000], [0.6000, -0.5000], [0.7000, 1.0000], [0.8000, -0.5000], [0.9000, -0.5000], [1.0000, -0.5000], [1.1000, -0.5000], [1.2000, -0.5000], [1.3000, -0.5000], [1.4000, -0.5000], [1.5000, -0.5000], [1.6000, -0.5000], [1.7000, -0.5000], [1.8000, -0.5000], [1.9000, -0.5000], [2.0000, -0.5000], [2.1000, -0.5000], [2.2000, -0.5000], [2.3000, -0.5000], [2.4000, -0.5000], [2.5000, -0.5000], [2.6000, -0.5000], [2.7000, -0.5000], [2.8000, -0.5000], [2.9000, -0.5000], [3.0000, -0.5000], [3.1000, -0.5000]]> : tensor<32x2xf32>
  %y = qopt.matmul %x, %w : (tensor<4x32xf32>, tensor<32x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Gemm with transB (weight [N, K]) and a bias: blocks along dim 1.
// CHECK-LABEL: func.func @gemm
// Row 1 spans [-1, 0.25]: scale 1.25 / 15, zero point 12 (MLIR prints u4
// zero points sign-extended: -4).
// CHECK: qopt.quantize %{{.*}} : tensor<3x32xf32> -> tensor<3x32x!quant.uniform<u4:f32:{0:1, 1:32}, {{\{\{}}0.13333334:-8}, {0.0833333358:-4}, {0.132706672:-8}}>>
// CHECK: qopt.gemm %arg0, %{{.*}}, %{{.*}} {transB = 1 : i64}
func.func @gemm(%x: tensor<4x32xf32>) -> tensor<4x3xf32> {
  %w = qopt.constant dense<[[-1.0000, -0.9355, -0.8710, -0.8065, -0.7419, -0.6774, -0.6129, -0.5484, -0.4839, -0.4194, -0.3548, -0.2903, -0.2258, -0.1613, -0.0968, -0.0323, 0.0323, 0.0968, 0.1613, 0.2258, 0.2903, 0.3548, 0.4194, 0.4839, 0.5484, 0.6129, 0.6774, 0.7419, 0.8065, 0.8710, 0.9355, 1.0000], [0.2500, 0.2500, 0.2500, -1.0000, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500], [0.0000, 0.8415, 0.9093, 0.1411, -0.7568, -0.9589, -0.2794, 0.6570, 0.9894, 0.4121, -0.5440, -1.0000, -0.5366, 0.4202, 0.9906, 0.6503, -0.2879, -0.9614, -0.7510, 0.1499, 0.9129, 0.8367, -0.0089, -0.8462, -0.9056, -0.1324, 0.7626, 0.9564, 0.2709, -0.6636, -0.9880, -0.4040]]> : tensor<3x32xf32>
  %b = qopt.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %y = qopt.gemm %x, %w, %b {transB = 1 : i64} : (tensor<4x32xf32>, tensor<3x32xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// Layers that stay float, each linear one with a remark: K not a multiple
// of the group, a Gemm with alpha != 1, an activation weight; and a Conv.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: qopt.quantize
// CHECK: return
func.func @kept(%x: tensor<4x40xf32>, %img: tensor<1x2x4x4xf32>, %x32: tensor<4x32xf32>, %act: tensor<32x2xf32>) -> (tensor<4x2xf32>, tensor<1x2x4x4xf32>, tensor<4x2xf32>, tensor<4x2xf32>) {
  %w = qopt.constant dense<0.5> : tensor<40x2xf32>
  // expected-remark @+1 {{weight-only quantization: kept float: K = 40 is not a multiple of the group size 32}}
  %y = qopt.matmul %x, %w : (tensor<4x40xf32>, tensor<40x2xf32>) -> tensor<4x2xf32>
  %k = qopt.constant dense<0.5> : tensor<2x2x1x1xf32>
  %n = qopt.none
  // (A Conv stays float without a remark: it is no candidate.)
  %c = qopt.conv %img, %k, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %g = qopt.constant dense<0.5> : tensor<32x2xf32>
  // expected-remark @+1 {{weight-only quantization: kept float: a Gemm with alpha != 1}}
  %z = qopt.gemm %x32, %g, %n {alpha = 2.0 : f32} : (tensor<4x32xf32>, tensor<32x2xf32>, none) -> tensor<4x2xf32>
  // expected-remark @+1 {{weight-only quantization: kept float: the weight is not a static 2-D f32 constant (or a Gemm has transA)}}
  %v = qopt.matmul %x32, %act : (tensor<4x32xf32>, tensor<32x2xf32>) -> tensor<4x2xf32>
  return %y, %c, %z, %v : tensor<4x2xf32>, tensor<1x2x4x4xf32>, tensor<4x2xf32>, tensor<4x2xf32>
}
