// RUN: qopt-opt %s --split-input-file --qopt-quantize-ops | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-quantize-ops="per-tensor-weights" | FileCheck %s --check-prefix=PT
// RUN: qopt-opt %s --split-input-file --qopt-quantize-ops="keep-float=conv1" | FileCheck %s --check-prefix=KEEP

!qx = !quant.uniform<u8:f32, 0.0078431372549019607:128>
!qy = !quant.uniform<u8:f32, 0.015686274509803921>

// Conv + bias + Relu between quantize/dequantize pairs becomes one conv on
// quantized tensors. Weights: symmetric per output channel in [-127, 127]
// (max |w| / 127). Bias: round(b / (sx * sw[c])), e.g. 0.5 / (sx / 127) =
// 8096. The Relu is dropped: the output's zero point is already 0. The
// MaxPool runs on the quantized values and the dequantize moves below it.
// CHECK-LABEL: func.func @conv_bias_relu
// CHECK-DAG: %[[B:.*]] = qopt.constant dense<[8096, -8096, 8096]> : tensor<3xi32>
// CHECK-DAG: %[[X:.*]] = qopt.quantize %arg0 : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.0078431372549019607:128>>
// CHECK-DAG: %[[W:.*]] = qopt.quantize %{{.*}} : tensor<3x2x1x1xf32> -> tensor<3x2x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.0078740157480314959,0.003937007874015748,0.015748031496062992}>>
// CHECK: %[[C:.*]] = qopt.conv %[[X]], %[[W]], %[[B]] {{.*}} -> tensor<1x3x4x4x!quant.uniform<u8:f32, 0.015686274509803921>>
// CHECK-NOT: qopt.relu
// CHECK: %[[P:.*]] = qopt.max_pool %[[C]] {{.*}} -> tensor<1x3x2x2x!quant.uniform<u8:f32, 0.015686274509803921>>
// CHECK: %[[D:.*]] = qopt.dequantize %[[P]]
// CHECK: return %[[D]]
// PT-LABEL: func.func @conv_bias_relu
// PT: qopt.quantize %{{.*}} : tensor<3x2x1x1xf32> -> tensor<3x2x1x1x!quant.uniform<i8<-127:127>:f32, 0.015748031496062992>>
// KEEP-LABEL: func.func @conv_bias_relu
// KEEP: qopt.conv %{{.*}} -> tensor<1x3x4x4xf32>
func.func @conv_bias_relu(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x2x2xf32> {
  %w = qopt.constant dense<[[[[1.0]], [[-0.5]]], [[[0.25]], [[0.5]]], [[[-2.0]], [[1.0]]]]> : tensor<3x2x1x1xf32>
  %b = qopt.constant dense<[0.5, -0.25, 1.0]> : tensor<3xf32>
  %q0 = qopt.quantize %x : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!qx>
  %d0 = qopt.dequantize %q0 : tensor<1x2x4x4x!qx> -> tensor<1x2x4x4xf32>
  %c = qopt.conv %d0, %w, %b : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32> loc(fused<"onnx.Conv">["conv1"])
  %r = qopt.relu %c : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %q1 = qopt.quantize %r : tensor<1x3x4x4xf32> -> tensor<1x3x4x4x!qy>
  %d1 = qopt.dequantize %q1 : tensor<1x3x4x4x!qy> -> tensor<1x3x4x4xf32>
  %p = qopt.max_pool %d1 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32>
  return %p : tensor<1x3x2x2xf32>
}

// -----

!qa = !quant.uniform<i8:f32, 0.5>
!qb = !quant.uniform<i8:f32, 0.25>
!qo = !quant.uniform<i8:f32, 0.125>

// Symmetric s8 output: the Relu stays, on quantized values. A Clip keeps
// its bounds, quantized like the output. MatMul of two activations keeps
// both per-tensor types.
// CHECK-LABEL: func.func @matmul_relu_clip
// CHECK: %[[M:.*]] = qopt.matmul %{{.*}}, %{{.*}} : (tensor<2x3x!quant.uniform<i8:f32, 5.000000e-01>>, tensor<3x4x!quant.uniform<i8:f32, 2.500000e-01>>) -> tensor<2x4x!quant.uniform<i8:f32, 1.250000e-01>>
// CHECK: %[[R:.*]] = qopt.relu %[[M]] : (tensor<2x4x!quant.uniform<i8:f32, 1.250000e-01>>) -> tensor<2x4x!quant.uniform<i8:f32, 1.250000e-01>>
// CHECK: %[[HI:.*]] = qopt.quantize %{{.*}} : tensor<f32> -> tensor<!quant.uniform<i8:f32, 1.250000e-01>>
// CHECK: qopt.clip %[[R]], %{{.*}}, %[[HI]]
func.func @matmul_relu_clip(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %qa = qopt.quantize %a : tensor<2x3xf32> -> tensor<2x3x!qa>
  %da = qopt.dequantize %qa : tensor<2x3x!qa> -> tensor<2x3xf32>
  %qb = qopt.quantize %b : tensor<3x4xf32> -> tensor<3x4x!qb>
  %db = qopt.dequantize %qb : tensor<3x4x!qb> -> tensor<3x4xf32>
  %m = qopt.matmul %da, %db : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %r = qopt.relu %m : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %n = qopt.none
  %six = qopt.constant dense<6.0> : tensor<f32>
  %c = qopt.clip %r, %n, %six : (tensor<2x4xf32>, none, tensor<f32>) -> tensor<2x4xf32>
  %qo = qopt.quantize %c : tensor<2x4xf32> -> tensor<2x4x!qo>
  %do = qopt.dequantize %qo : tensor<2x4x!qo> -> tensor<2x4xf32>
  return %do : tensor<2x4xf32>
}

// -----

!qa = !quant.uniform<u8:f32, 0.5:10>
!qo = !quant.uniform<u8:f32, 0.25:3>

// Gemm with transB: weights per row of B (axis 0), bias per column:
// round(1.0 / (0.5 * 2/127)) = 127.
// CHECK-LABEL: func.func @gemm
// CHECK-DAG: qopt.constant dense<[127, -64]> : tensor<2xi32>
// CHECK-DAG: qopt.quantize %{{.*}} : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<i8<-127:127>:f32:0, {0.015748031496062992,0.0078740157480314959}>>
// CHECK: qopt.gemm {{.*}} {transB = 1 : i64} : ({{.*}}) -> tensor<4x2x!quant.uniform<u8:f32, 2.500000e-01:3>>
func.func @gemm(%a: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = qopt.constant dense<[[2.0, -1.0, 0.5], [0.25, 1.0, -0.5]]> : tensor<2x3xf32>
  %c = qopt.constant dense<[1.0, -0.25]> : tensor<2xf32>
  %qa = qopt.quantize %a : tensor<4x3xf32> -> tensor<4x3x!qa>
  %da = qopt.dequantize %qa : tensor<4x3x!qa> -> tensor<4x3xf32>
  %g = qopt.gemm %da, %w, %c {transB = 1 : i64} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %q = qopt.quantize %g : tensor<4x2xf32> -> tensor<4x2x!qo>
  %d = qopt.dequantize %q : tensor<4x2x!qo> -> tensor<4x2xf32>
  return %d : tensor<4x2xf32>
}

// -----

!q1 = !quant.uniform<u8:f32, 0.5:10>
!q2 = !quant.uniform<u8:f32, 0.25:3>

// quantize(dequantize(x)) is x for the same type and a requantize otherwise;
// shape ops and a Concat of one type carry quantized values.
// CHECK-LABEL: func.func @requantize_and_shapes
// CHECK: %[[A:.*]] = qopt.quantize %arg0
// CHECK: %[[R:.*]] = qopt.reshape %[[A]], %{{.*}} -> tensor<6x!quant.uniform<u8:f32, 5.000000e-01:10>>
// CHECK: %[[C:.*]] = qopt.concat %[[R]], %[[R]] {{.*}} -> tensor<12x!quant.uniform<u8:f32, 5.000000e-01:10>>
// CHECK: %[[Q:.*]] = qopt.requantize %[[C]] : tensor<12x!quant.uniform<u8:f32, 5.000000e-01:10>> -> tensor<12x!quant.uniform<u8:f32, 2.500000e-01:3>>
// CHECK: qopt.dequantize %[[Q]]
// CHECK-NOT: qopt.quantize
func.func @requantize_and_shapes(%x: tensor<2x3xf32>) -> tensor<12xf32> {
  %s = qopt.constant dense<6> : tensor<1xi64>
  %q = qopt.quantize %x : tensor<2x3xf32> -> tensor<2x3x!q1>
  %d = qopt.dequantize %q : tensor<2x3x!q1> -> tensor<2x3xf32>
  %r = qopt.reshape %d, %s : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<6xf32>
  %c = qopt.concat %r, %r {axis = 0 : i64} : (tensor<6xf32>, tensor<6xf32>) -> tensor<12xf32>
  %q2 = qopt.quantize %c : tensor<12xf32> -> tensor<12x!q2>
  %d2 = qopt.dequantize %q2 : tensor<12x!q2> -> tensor<12xf32>
  return %d2 : tensor<12xf32>
}

// -----

!qx = !quant.uniform<u8:f32, 0.0078431372549019607:128>
!qy = !quant.uniform<u8:f32, 0.015686274509803921>

// A dead channel (weights ~1e-40, live bias): its scale is floored so that
// the bias still fits i32 with 2x headroom, 0.5 / (sx * 2^30), instead of a
// zero scale whose multiplier underflows and whose bias saturates.
// CHECK-LABEL: func.func @dead_channel
// CHECK-DAG: qopt.constant dense<[0, 1073741824]> : tensor<2xi32>
// CHECK-DAG: !quant.uniform<i8<-127:127>:f32:0, {0.0078740157480314959,5.9371814131736755E-8}>
func.func @dead_channel(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = qopt.constant dense<[[[[1.0]]], [[[1.0e-40]]]]> : tensor<2x1x1x1xf32>
  %b = qopt.constant dense<[0.0, 0.5]> : tensor<2xf32>
  %q0 = qopt.quantize %x : tensor<1x1x2x2xf32> -> tensor<1x1x2x2x!qx>
  %d0 = qopt.dequantize %q0 : tensor<1x1x2x2x!qx> -> tensor<1x1x2x2xf32>
  %c = qopt.conv %d0, %w, %b : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %q1 = qopt.quantize %c : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!qy>
  %d1 = qopt.dequantize %q1 : tensor<1x2x2x2x!qy> -> tensor<1x2x2x2xf32>
  return %d1 : tensor<1x2x2x2xf32>
}

// -----

!qx = !quant.uniform<u8:f32, 0.5:10>

// A Conv whose output is not quantized (only float consumers) still runs on
// quantized input and weights, with an f32 result.
// CHECK-LABEL: func.func @float_output
// CHECK: %[[C:.*]] = qopt.conv %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x1x2x2x!quant.uniform<u8:f32, 5.000000e-01:10>>, tensor<1x1x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.015748031496062992}>>, tensor<1xi32>) -> tensor<1x1x2x2xf32>
// CHECK: qopt.sigmoid %[[C]]
func.func @float_output(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %w = qopt.constant dense<2.0> : tensor<1x1x1x1xf32>
  %b = qopt.constant dense<1.0> : tensor<1xf32>
  %q = qopt.quantize %x : tensor<1x1x2x2xf32> -> tensor<1x1x2x2x!qx>
  %d = qopt.dequantize %q : tensor<1x1x2x2x!qx> -> tensor<1x1x2x2xf32>
  %c = qopt.conv %d, %w, %b : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  %s = qopt.sigmoid %c : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %s : tensor<1x1x2x2xf32>
}

// -----

// A weight already quantized group-wise (a sub-channel type, W4A8) keeps its
// type: the integer MatMul reads it as it is, and a Gemm's constant bias C
// stays float (qopt-lower-quantized adds it to the f32 result). A Gemm whose
// C is not a constant cannot: it stays float on the dequantized operands.
// CHECK-LABEL: func.func @group_wise
// CHECK: %[[W:.*]] = qopt.quantize %{{.*}} -> tensor<32x2x!quant.uniform<u4:f32:{0:32, 1:1}
// CHECK: qopt.matmul %{{.*}}, %[[W]] : (tensor<4x32x!quant.uniform<u8:f32, 5.000000e-01:128>>, tensor<32x2x!quant.uniform<u4
// CHECK: qopt.gemm %{{.*}}, %[[W]], %{{.*}} : (tensor<4x32x!quant.uniform<u8{{.*}}>>, tensor<32x2x!quant.uniform<u4{{.*}}>>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK: qopt.gemm %{{.*}}, %{{.*}}, %arg1 : (tensor<4x32xf32>, tensor<32x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
!qa = !quant.uniform<u8:f32, 0.5:128>
!qw = !quant.uniform<u4:f32:{0:32, 1:1}, {{1.0:8, 0.5:0}}>
func.func @group_wise(%x: tensor<4x32xf32>, %c2: tensor<2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>) {
  %w = qopt.constant dense<1.0> : tensor<32x2xf32>
  %c = qopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %qx = qopt.quantize %x : tensor<4x32xf32> -> tensor<4x32x!qa>
  %dx = qopt.dequantize %qx : tensor<4x32x!qa> -> tensor<4x32xf32>
  %qw = qopt.quantize %w : tensor<32x2xf32> -> tensor<32x2x!qw>
  %dw = qopt.dequantize %qw : tensor<32x2x!qw> -> tensor<32x2xf32>
  %y = qopt.matmul %dx, %dw : (tensor<4x32xf32>, tensor<32x2xf32>) -> tensor<4x2xf32>
  %g = qopt.gemm %dx, %dw, %c : (tensor<4x32xf32>, tensor<32x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %h = qopt.gemm %dx, %dw, %c2 : (tensor<4x32xf32>, tensor<32x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y, %g, %h : tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>
}
