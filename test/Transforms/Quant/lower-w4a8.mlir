// RUN: qopt-opt %s --split-input-file --qopt-lower-quantized -verify-diagnostics | FileCheck %s
// qopt-lower-quantized on a MatMul/Gemm of an 8-bit per-tensor activation
// and a weight quantized group-wise (a sub-channel type, W4A8): one
// qopt.matmul_nbits on the activation's codes as i8. With x = sx (q - zx)
// and q - zx = qs - zs (qs = q - 128 for u8 input): the weight scales take
// sx, and -sx * zs * sum_k W[n, k] becomes the bias.

// u8 input, scale 0.5, zero point 130 (zs = 2); the weight of
// lower-weight-only.mlir: column 0 codes k % 16 with scale 1 and zero point
// 8 (sum_k W = 2 * (0 + ... + 15 - 16 * 8) = -16), column 1 codes
// 15 - k % 16, scale 0.5, zero point 0 (sum_k W = 120). Scales become
// [0.5, 0.25]; bias -0.5 * 2 * [-16, 120] = [16, -120].
// CHECK-LABEL: func.func @u8_float_result
// CHECK: qopt.cast {{.*}} -> tensor<4x32xui8>
// CHECK: %[[C128:.*]] = qopt.constant dense<128> : tensor<i32>
// CHECK: qopt.sub %{{.*}}, %[[C128]]
// CHECK: %[[W:.*]] = qopt.cast {{.*}} -> tensor<4x32xi8>
// CHECK: %[[BIAS:.*]] = qopt.constant dense<[1.600000e+01, -1.200000e+02]> : tensor<2xf32>
// CHECK: %[[B:.*]] = qopt.constant dense<{{\[\[\[}}16, 50, 84, 118, 152, 186, 220, 254, 16, 50, 84, 118, 152, 186, 220, 254]], {{\[\[}}239, 205, 171, 137, 103, 69, 35, 1, 239, 205, 171, 137, 103, 69, 35, 1]]]> : tensor<2x1x16xui8>
// CHECK: %[[S:.*]] = qopt.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK: %[[N:.*]] = qopt.none
// CHECK: %[[Z:.*]] = qopt.constant dense<[8, 0]> : tensor<2xui8>
// CHECK: %[[Y:.*]] = qopt.matmul_nbits %[[W]], %[[B]], %[[S]], %[[Z]], %[[N]], %[[BIAS]] {K = 32 : i64, N = 2 : i64, block_size = 32 : i64} : (tensor<4x32xi8>, tensor<2x1x16xui8>, tensor<2xf32>, tensor<2xui8>, none, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK-NOT: qopt.quantize
// CHECK: return %[[Y]]
!qa = !quant.uniform<u8:f32, 0.5:130>
!w = !quant.uniform<u4:f32:{0:32, 1:1}, {{1.0:8, 0.5:0}}>
func.func @u8_float_result(%x: tensor<4x32xf32>) -> tensor<4x2xf32> {
  %w = qopt.constant dense<[[-8.0, 7.5], [-7.0, 7.0], [-6.0, 6.5], [-5.0, 6.0], [-4.0, 5.5], [-3.0, 5.0], [-2.0, 4.5], [-1.0, 4.0], [0.0, 3.5], [1.0, 3.0], [2.0, 2.5], [3.0, 2.0], [4.0, 1.5], [5.0, 1.0], [6.0, 0.5], [7.0, 0.0], [-8.0, 7.5], [-7.0, 7.0], [-6.0, 6.5], [-5.0, 6.0], [-4.0, 5.5], [-3.0, 5.0], [-2.0, 4.5], [-1.0, 4.0], [0.0, 3.5], [1.0, 3.0], [2.0, 2.5], [3.0, 2.0], [4.0, 1.5], [5.0, 1.0], [6.0, 0.5], [7.0, 0.0]]> : tensor<32x2xf32>
  %qx = qopt.quantize %x : tensor<4x32xf32> -> tensor<4x32x!qa>
  %qw = qopt.quantize %w : tensor<32x2xf32> -> tensor<32x2x!w>
  %y = qopt.matmul %qx, %qw : (tensor<4x32x!qa>, tensor<32x2x!w>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// s8 input with scale 1 (per-token codes): no bias, scales unchanged; a
// quantized result is requantized from the f32 result (divide by 0.25,
// round, add zero point 3, clip to u8). Gemm with transB: weight [N, K].
// CHECK-LABEL: func.func @s8_quantized_result
// CHECK: %[[S:.*]] = qopt.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK: %[[N:.*]] = qopt.none
// CHECK: %[[Y:.*]] = qopt.matmul_nbits %{{.*}}, %{{.*}}, %[[S]], %{{.*}}, %[[N]], %[[N]] {K = 32 : i64, N = 2 : i64, block_size = 32 : i64} : (tensor<4x32xi8>, tensor<2x1x16xui8>, tensor<2xf32>, tensor<2xui8>, none, none) -> tensor<4x2xf32>
// CHECK: %[[SY:.*]] = qopt.constant dense<2.500000e-01> : tensor<f32>
// CHECK: %[[D:.*]] = qopt.div %[[Y]], %[[SY]]
// CHECK: %[[R:.*]] = qopt.round %[[D]]
// CHECK: %[[ZY:.*]] = qopt.constant dense<3.000000e+00> : tensor<f32>
// CHECK: qopt.add %[[R]], %[[ZY]]
// CHECK: qopt.clip
// CHECK: qopt.cast {{.*}} -> tensor<4x2xui8>
!qs = !quant.uniform<i8:f32, 1.0>
!qy = !quant.uniform<u8:f32, 0.25:3>
!wt = !quant.uniform<u4:f32:{0:1, 1:32}, {{1.0:8}, {0.5:0}}>
func.func @s8_quantized_result(%x: tensor<4x32xf32>) -> tensor<4x2xf32> {
  %w = qopt.constant dense<[[-8.0, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, -8.0, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [7.5, 7.0, 6.5, 6.0, 5.5, 5.0, 4.5, 4.0, 3.5, 3.0, 2.5, 2.0, 1.5, 1.0, 0.5, 0.0, 7.5, 7.0, 6.5, 6.0, 5.5, 5.0, 4.5, 4.0, 3.5, 3.0, 2.5, 2.0, 1.5, 1.0, 0.5, 0.0]]> : tensor<2x32xf32>
  %qx = qopt.quantize %x : tensor<4x32xf32> -> tensor<4x32x!qs>
  %qw = qopt.quantize %w : tensor<2x32xf32> -> tensor<2x32x!wt>
  %none = qopt.none
  %y = qopt.gemm %qx, %qw, %none {transB = 1 : i64} : (tensor<4x32x!qs>, tensor<2x32x!wt>, none) -> tensor<4x2x!qy>
  %d = qopt.dequantize %y : tensor<4x2x!qy> -> tensor<4x2xf32>
  return %d : tensor<4x2xf32>
}

// -----

// A per-channel input has no single scale to fold into the weight scales.
!qc = !quant.uniform<u8:f32:0, {0.5:128, 0.25:128}>
!w2 = !quant.uniform<u4:f32:{0:32, 1:1}, {{1.0:8, 0.5:0}}>
func.func @per_channel_input(%x: tensor<2x32xf32>) -> tensor<2x2xf32> {
  %qx = qopt.quantize %x : tensor<2x32xf32> -> tensor<2x32x!qc>
  %c = qopt.constant dense<1.0> : tensor<32x2xf32>
  %qw = qopt.quantize %c : tensor<32x2xf32> -> tensor<32x2x!w2>
  // expected-error @+1 {{a group-wise quantized weight needs a per-tensor 8-bit input}}
  %y = qopt.matmul %qx, %qw : (tensor<2x32x!qc>, tensor<32x2x!w2>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// A Gemm with a constant bias C (kept float by qopt-quantize-ops for a
// group-wise weight) and the u8 input of @u8_float_result: C joins the
// zero-point shift, [16, -120] + [1, 2] = [17, -118].
// CHECK-LABEL: func.func @gemm_bias
// CHECK: %[[BIAS:.*]] = qopt.constant dense<[1.700000e+01, -1.180000e+02]> : tensor<2xf32>
// CHECK: qopt.matmul_nbits %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[BIAS]] {{.*}} : (tensor<4x32xi8>, {{.*}}) -> tensor<4x2xf32>
// CHECK-NOT: qopt.gemm
!qg = !quant.uniform<u8:f32, 0.5:130>
!wg = !quant.uniform<u4:f32:{0:32, 1:1}, {{1.0:8, 0.5:0}}>
func.func @gemm_bias(%x: tensor<4x32xf32>) -> tensor<4x2xf32> {
  %w = qopt.constant dense<[[-8.0, 7.5], [-7.0, 7.0], [-6.0, 6.5], [-5.0, 6.0], [-4.0, 5.5], [-3.0, 5.0], [-2.0, 4.5], [-1.0, 4.0], [0.0, 3.5], [1.0, 3.0], [2.0, 2.5], [3.0, 2.0], [4.0, 1.5], [5.0, 1.0], [6.0, 0.5], [7.0, 0.0], [-8.0, 7.5], [-7.0, 7.0], [-6.0, 6.5], [-5.0, 6.0], [-4.0, 5.5], [-3.0, 5.0], [-2.0, 4.5], [-1.0, 4.0], [0.0, 3.5], [1.0, 3.0], [2.0, 2.5], [3.0, 2.0], [4.0, 1.5], [5.0, 1.0], [6.0, 0.5], [7.0, 0.0]]> : tensor<32x2xf32>
  %c = qopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %qx = qopt.quantize %x : tensor<4x32xf32> -> tensor<4x32x!qg>
  %qw = qopt.quantize %w : tensor<32x2xf32> -> tensor<32x2x!wg>
  %y = qopt.gemm %qx, %qw, %c : (tensor<4x32x!qg>, tensor<32x2x!wg>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
