// RUN: qopt-opt %s --split-input-file --qopt-lower-quantized -verify-diagnostics | FileCheck %s
// qopt-lower-quantized turns a float MatMul/Gemm with a sub-channel quantized
// constant weight into qopt.matmul_nbits, packed as qopt/Quant/NBitsPacking.h
// (ONNX Runtime's MatMulNBits): rows are output channels, two codes per
// byte, the even element in the low nibble.

// MatMul [K = 32, N = 2], u4, one block per column: column 0 has scale 1 and
// zero point 8, so w = k % 16 - 8 is code k % 16; column 1 scale 0.5, zero
// point 0, w = (15 - k % 16) / 2 is code 15 - k % 16.
// Row 0 bytes: 0x10 0x32 0x54 0x76 0x98 0xBA 0xDC 0xFE (twice);
// row 1: 0xEF 0xCD 0xAB 0x89 0x67 0x45 0x23 0x01 (twice).
// Zero points, one block per row: [8, 0] (not all the default 8).
// CHECK-LABEL: func.func @matmul
// CHECK: %[[B:.*]] = qopt.constant dense<{{\[\[\[}}16, 50, 84, 118, 152, 186, 220, 254, 16, 50, 84, 118, 152, 186, 220, 254]], {{\[\[}}239, 205, 171, 137, 103, 69, 35, 1, 239, 205, 171, 137, 103, 69, 35, 1]]]> : tensor<2x1x16xui8>
// CHECK: %[[S:.*]] = qopt.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK: %[[N:.*]] = qopt.none
// CHECK: %[[Z:.*]] = qopt.constant dense<[8, 0]> : tensor<2xui8>
// CHECK: qopt.matmul_nbits %arg0, %[[B]], %[[S]], %[[Z]], %[[N]], %[[N]] {K = 32 : i64, N = 2 : i64, block_size = 32 : i64} : (tensor<4x32xf32>, tensor<2x1x16xui8>, tensor<2xf32>, tensor<2xui8>, none, none) -> tensor<4x2xf32>
// CHECK-NOT: qopt.quantize
// CHECK: return
!w = !quant.uniform<u4:f32:{0:32, 1:1}, {{1.0:8, 0.5:0}}>
func.func @matmul(%x: tensor<4x32xf32>) -> tensor<4x2xf32> {
  %w = qopt.constant dense<[[-8.0, 7.5], [-7.0, 7.0], [-6.0, 6.5], [-5.0, 6.0], [-4.0, 5.5], [-3.0, 5.0], [-2.0, 4.5], [-1.0, 4.0], [0.0, 3.5], [1.0, 3.0], [2.0, 2.5], [3.0, 2.0], [4.0, 1.5], [5.0, 1.0], [6.0, 0.5], [7.0, 0.0], [-8.0, 7.5], [-7.0, 7.0], [-6.0, 6.5], [-5.0, 6.0], [-4.0, 5.5], [-3.0, 5.0], [-2.0, 4.5], [-1.0, 4.0], [0.0, 3.5], [1.0, 3.0], [2.0, 2.5], [3.0, 2.0], [4.0, 1.5], [5.0, 1.0], [6.0, 0.5], [7.0, 0.0]]> : tensor<32x2xf32>
  %q = qopt.quantize %w : tensor<32x2xf32> -> tensor<32x2x!w>
  %d = qopt.dequantize %q : tensor<32x2x!w> -> tensor<32x2xf32>
  %y = qopt.matmul %x, %d : (tensor<4x32xf32>, tensor<32x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Gemm with transB ([N, K]) and a bias, symmetric i4 (codes -8..7 stored
// offset by 8, so every zero point is the default 8 and none is passed):
// row 0 w = (k % 16 - 8) / 4 is stored code k % 16, row 1 (7 - k % 16) / 4 is
// stored 15 - k % 16: the same bytes as above.
// CHECK-LABEL: func.func @gemm
// CHECK: %[[B:.*]] = qopt.constant dense<{{\[\[\[}}16, 50, 84, 118, 152, 186, 220, 254, 16, 50, 84, 118, 152, 186, 220, 254]], {{\[\[}}239, 205, 171, 137, 103, 69, 35, 1, 239, 205, 171, 137, 103, 69, 35, 1]]]> : tensor<2x1x16xui8>
// CHECK: %[[N:.*]] = qopt.none
// CHECK: qopt.matmul_nbits %arg0, %[[B]], %{{.*}}, %[[N]], %[[N]], %arg1 {K = 32 : i64, N = 2 : i64, block_size = 32 : i64}
!s = !quant.uniform<i4:f32:{0:1, 1:32}, {{0.25}, {0.25}}>
func.func @gemm(%x: tensor<4x32xf32>, %bias: tensor<2xf32>) -> tensor<4x2xf32> {
  %w = qopt.constant dense<[[-2.0, -1.8, -1.5, -1.2, -1.0, -0.8, -0.5, -0.2, 0.0, 0.2, 0.5, 0.8, 1.0, 1.2, 1.5, 1.8, -2.0, -1.8, -1.5, -1.2, -1.0, -0.8, -0.5, -0.2, 0.0, 0.2, 0.5, 0.8, 1.0, 1.2, 1.5, 1.8], [1.8, 1.5, 1.2, 1.0, 0.8, 0.5, 0.2, 0.0, -0.2, -0.5, -0.8, -1.0, -1.2, -1.5, -1.8, -2.0, 1.8, 1.5, 1.2, 1.0, 0.8, 0.5, 0.2, 0.0, -0.2, -0.5, -0.8, -1.0, -1.2, -1.5, -1.8, -2.0]]> : tensor<2x32xf32>
  %q = qopt.quantize %w : tensor<2x32xf32> -> tensor<2x32x!s>
  %d = qopt.dequantize %q : tensor<2x32x!s> -> tensor<2x32xf32>
  %y = qopt.gemm %x, %d, %bias {transB = 1 : i64} : (tensor<4x32xf32>, tensor<2x32xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Blocks across output channels are not a MatMulNBits layout.
!w = !quant.uniform<u4:f32:{0:32, 1:2}, {{1.0:8}}>
func.func @blocks_along_n(%x: tensor<4x32xf32>) -> tensor<4x2xf32> {
  %w = qopt.constant dense<1.0> : tensor<32x2xf32>
  %q = qopt.quantize %w : tensor<32x2xf32> -> tensor<32x2x!w>
  %d = qopt.dequantize %q : tensor<32x2x!w> -> tensor<32x2xf32>
  // expected-error @+1 {{cannot lower a sub-channel quantized weight: blocks must run along K only (one block per output channel)}}
  %y = qopt.matmul %x, %d : (tensor<4x32xf32>, tensor<32x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A sub-channel quantized tensor anywhere else is refused, not mis-lowered.
!w = !quant.uniform<u4:f32:{0:32, 1:1}, {{1.0:8, 1.0:8}}>
func.func @elsewhere(%x: tensor<32x2xf32>) -> tensor<32x2xf32> {
  // expected-error @+1 {{sub-channel types are lowered only as the weight of a MatMul/Gemm (float, or with a per-tensor 8-bit input) or the table of a Gather}}
  %q = qopt.quantize %x : tensor<32x2xf32> -> tensor<32x2x!w>
  %d = qopt.dequantize %q : tensor<32x2x!w> -> tensor<32x2xf32>
  return %d : tensor<32x2xf32>
}

// -----

// Two blocks of K with distinct scales and zero points (the parameter
// tensors are [blocks, N] for a MatMul): the packed scales run output
// channel by output channel, block by block, [1.0, 2.0, 0.5, 0.25]; the
// zero points (8, 3) and (0, 15) pack into one byte per row, block 0 in the
// low nibble: 0x38, 0xF0. Block 1's codes are k % 16 in both columns.
// CHECK-LABEL: func.func @two_blocks
// CHECK: %[[B:.*]] = qopt.constant dense<{{\[\[\[}}16, 50, 84, 118, 152, 186, 220, 254, 16, 50, 84, 118, 152, 186, 220, 254], [16, 50, 84, 118, 152, 186, 220, 254, 16, 50, 84, 118, 152, 186, 220, 254]], {{\[\[}}239, 205, 171, 137, 103, 69, 35, 1, 239, 205, 171, 137, 103, 69, 35, 1], [16, 50, 84, 118, 152, 186, 220, 254, 16, 50, 84, 118, 152, 186, 220, 254]]]> : tensor<2x2x16xui8>
// CHECK: %[[S:.*]] = qopt.constant dense<[1.000000e+00, 2.000000e+00, 5.000000e-01, 2.500000e-01]> : tensor<4xf32>
// CHECK: %[[Z:.*]] = qopt.constant dense<[56, 240]> : tensor<2xui8>
// CHECK: qopt.matmul_nbits %arg0, %[[B]], %[[S]], %[[Z]]
!w = !quant.uniform<u4:f32:{0:32, 1:1}, {{1.0:8, 0.5:0}, {2.0:3, 0.25:15}}>
func.func @two_blocks(%x: tensor<4x64xf32>) -> tensor<4x2xf32> {
  %w = qopt.constant dense<[[-8.00, 7.50], [-7.00, 7.00], [-6.00, 6.50], [-5.00, 6.00], [-4.00, 5.50], [-3.00, 5.00], [-2.00, 4.50], [-1.00, 4.00], [0.00, 3.50], [1.00, 3.00], [2.00, 2.50], [3.00, 2.00], [4.00, 1.50], [5.00, 1.00], [6.00, 0.50], [7.00, 0.00], [-8.00, 7.50], [-7.00, 7.00], [-6.00, 6.50], [-5.00, 6.00], [-4.00, 5.50], [-3.00, 5.00], [-2.00, 4.50], [-1.00, 4.00], [0.00, 3.50], [1.00, 3.00], [2.00, 2.50], [3.00, 2.00], [4.00, 1.50], [5.00, 1.00], [6.00, 0.50], [7.00, 0.00], [-6.00, -3.75], [-4.00, -3.50], [-2.00, -3.25], [0.00, -3.00], [2.00, -2.75], [4.00, -2.50], [6.00, -2.25], [8.00, -2.00], [10.00, -1.75], [12.00, -1.50], [14.00, -1.25], [16.00, -1.00], [18.00, -0.75], [20.00, -0.50], [22.00, -0.25], [24.00, 0.00], [-6.00, -3.75], [-4.00, -3.50], [-2.00, -3.25], [0.00, -3.00], [2.00, -2.75], [4.00, -2.50], [6.00, -2.25], [8.00, -2.00], [10.00, -1.75], [12.00, -1.50], [14.00, -1.25], [16.00, -1.00], [18.00, -0.75], [20.00, -0.50], [22.00, -0.25], [24.00, 0.00]]> : tensor<64x2xf32>
  %q = qopt.quantize %w : tensor<64x2xf32> -> tensor<64x2x!w>
  %d = qopt.dequantize %q : tensor<64x2x!w> -> tensor<64x2xf32>
  %y = qopt.matmul %x, %d : (tensor<4x64xf32>, tensor<64x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Gemm with transB: parameters [N, blocks]; the packed scales keep that
// order, [0.25, 0.5, 1.0, 2.0]; symmetric codes (k % 16) - 8 stored as k % 16.
// CHECK-LABEL: func.func @two_blocks_transposed
// CHECK: %[[S:.*]] = qopt.constant dense<[2.500000e-01, 5.000000e-01, 1.000000e+00, 2.000000e+00]> : tensor<4xf32>
// CHECK: qopt.matmul_nbits %arg0, %{{.*}}, %[[S]]
!s = !quant.uniform<i4:f32:{0:1, 1:32}, {{0.25, 0.5}, {1.0, 2.0}}>
func.func @two_blocks_transposed(%x: tensor<4x64xf32>) -> tensor<4x2xf32> {
  %w = qopt.constant dense<[[-2.00, -1.75, -1.50, -1.25, -1.00, -0.75, -0.50, -0.25, 0.00, 0.25, 0.50, 0.75, 1.00, 1.25, 1.50, 1.75, -2.00, -1.75, -1.50, -1.25, -1.00, -0.75, -0.50, -0.25, 0.00, 0.25, 0.50, 0.75, 1.00, 1.25, 1.50, 1.75, -4.00, -3.50, -3.00, -2.50, -2.00, -1.50, -1.00, -0.50, 0.00, 0.50, 1.00, 1.50, 2.00, 2.50, 3.00, 3.50, -4.00, -3.50, -3.00, -2.50, -2.00, -1.50, -1.00, -0.50, 0.00, 0.50, 1.00, 1.50, 2.00, 2.50, 3.00, 3.50], [-8.00, -7.00, -6.00, -5.00, -4.00, -3.00, -2.00, -1.00, 0.00, 1.00, 2.00, 3.00, 4.00, 5.00, 6.00, 7.00, -8.00, -7.00, -6.00, -5.00, -4.00, -3.00, -2.00, -1.00, 0.00, 1.00, 2.00, 3.00, 4.00, 5.00, 6.00, 7.00, -16.00, -14.00, -12.00, -10.00, -8.00, -6.00, -4.00, -2.00, 0.00, 2.00, 4.00, 6.00, 8.00, 10.00, 12.00, 14.00, -16.00, -14.00, -12.00, -10.00, -8.00, -6.00, -4.00, -2.00, 0.00, 2.00, 4.00, 6.00, 8.00, 10.00, 12.00, 14.00]]> : tensor<2x64xf32>
  %q = qopt.quantize %w : tensor<2x64xf32> -> tensor<2x64x!s>
  %d = qopt.dequantize %q : tensor<2x64x!s> -> tensor<2x64xf32>
  %n = qopt.none
  %y = qopt.gemm %x, %d, %n {transB = 1 : i64} : (tensor<4x64xf32>, tensor<2x64xf32>, none) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A Gather of a quantized embedding table [4, 32] (one block per row, zero
// points all the default 8): the packed rows [4, 16] and the scales [4, 1]
// gathered with the same indices, then dequantize_nbits of the gathered rows.
// Row r holds (k % 16 - 8) * scale_r: code k % 16, the bytes as above.
// CHECK-LABEL: func.func @embedding
// CHECK: %[[P:.*]] = qopt.constant dense<{{\[\[}}16, 50, 84, 118, 152, 186, 220, 254, 16, 50, 84, 118, 152, 186, 220, 254], [16, 50, {{.*}}]]> : tensor<4x16xui8>
// CHECK: %[[S:.*]] = qopt.constant dense<{{\[\[}}1.000000e+00], [5.000000e-01], [2.500000e-01], [2.000000e+00]]> : tensor<4x1xf32>
// CHECK: %[[PG:.*]] = qopt.gather %[[P]], %arg0 {{.*}}-> tensor<3x16xui8>
// CHECK: %[[SG:.*]] = qopt.gather %[[S]], %arg0 {{.*}}-> tensor<3x1xf32>
// CHECK: %[[N:.*]] = qopt.none
// CHECK: %[[Y:.*]] = qopt.dequantize_nbits %[[PG]], %[[SG]], %[[N]] {D = 32 : i64, block_size = 32 : i64} : (tensor<3x16xui8>, tensor<3x1xf32>, none) -> tensor<3x32xf32>
// CHECK: return %[[Y]]
!e = !quant.uniform<u4:f32:{0:1, 1:32}, {{1.0:8}, {0.5:8}, {0.25:8}, {2.0:8}}>
func.func @embedding(%i: tensor<3xi64>) -> tensor<3x32xf32> {
  %w = qopt.constant dense<[[-8.00, -7.00, -6.00, -5.00, -4.00, -3.00, -2.00, -1.00, 0.00, 1.00, 2.00, 3.00, 4.00, 5.00, 6.00, 7.00, -8.00, -7.00, -6.00, -5.00, -4.00, -3.00, -2.00, -1.00, 0.00, 1.00, 2.00, 3.00, 4.00, 5.00, 6.00, 7.00], [-4.00, -3.50, -3.00, -2.50, -2.00, -1.50, -1.00, -0.50, 0.00, 0.50, 1.00, 1.50, 2.00, 2.50, 3.00, 3.50, -4.00, -3.50, -3.00, -2.50, -2.00, -1.50, -1.00, -0.50, 0.00, 0.50, 1.00, 1.50, 2.00, 2.50, 3.00, 3.50], [-2.00, -1.75, -1.50, -1.25, -1.00, -0.75, -0.50, -0.25, 0.00, 0.25, 0.50, 0.75, 1.00, 1.25, 1.50, 1.75, -2.00, -1.75, -1.50, -1.25, -1.00, -0.75, -0.50, -0.25, 0.00, 0.25, 0.50, 0.75, 1.00, 1.25, 1.50, 1.75], [-16.00, -14.00, -12.00, -10.00, -8.00, -6.00, -4.00, -2.00, 0.00, 2.00, 4.00, 6.00, 8.00, 10.00, 12.00, 14.00, -16.00, -14.00, -12.00, -10.00, -8.00, -6.00, -4.00, -2.00, 0.00, 2.00, 4.00, 6.00, 8.00, 10.00, 12.00, 14.00]]> : tensor<4x32xf32>
  %q = qopt.quantize %w : tensor<4x32xf32> -> tensor<4x32x!e>
  %d = qopt.dequantize %q : tensor<4x32x!e> -> tensor<4x32xf32>
  %g = qopt.gather %d, %i : (tensor<4x32xf32>, tensor<3xi64>) -> tensor<3x32xf32>
  return %g : tensor<3x32xf32>
}

// -----

// Two Gathers of one quantized table (axis -2 is axis 0): the packed
// constants are made once and gathered twice.
// CHECK-LABEL: func.func @shared_table
// CHECK: qopt.constant {{.*}} : tensor<4x16xui8>
// CHECK: qopt.dequantize_nbits
// CHECK-NOT: qopt.constant
// CHECK: qopt.dequantize_nbits
!e = !quant.uniform<u4:f32:{0:1, 1:32}, {{1.0:8}, {0.5:8}, {0.25:8}, {2.0:8}}>
func.func @shared_table(%i: tensor<3xi64>, %j: tensor<2xi64>) -> (tensor<3x32xf32>, tensor<2x32xf32>) {
  %w = qopt.constant dense<1.0> : tensor<4x32xf32>
  %q = qopt.quantize %w : tensor<4x32xf32> -> tensor<4x32x!e>
  %d = qopt.dequantize %q : tensor<4x32x!e> -> tensor<4x32xf32>
  %g = qopt.gather %d, %i : (tensor<4x32xf32>, tensor<3xi64>) -> tensor<3x32xf32>
  %h = qopt.gather %d, %j {axis = -2 : i64} : (tensor<4x32xf32>, tensor<2xi64>) -> tensor<2x32xf32>
  return %g, %h : tensor<3x32xf32>, tensor<2x32xf32>
}
