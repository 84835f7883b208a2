// RUN: qopt-opt %s --split-input-file --qopt-lower-quantized | FileCheck %s

!qx = !quant.uniform<u8:f32, 0.5:130>
!qw = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>
!qy = !quant.uniform<u8:f32, 2.0:3>

// quantize: cast(clip(round(x / s) + z, 0, 255)) to ui8. Weights are folded
// to integers now: 1.0 / 0.25 = 4, -0.5 / 0.125 = -4, 0.3 / 0.125 = 2.4 -> 2.
// The conv runs on s8 values xs = x - 128 (zero point 130 - 128 = 2) and the
// s8 weights; sum w (x - 130) = sum w xs - 2 sum w, so the bias [10, -10]
// becomes [10 - 2 * 0, -10 - 2 * 2]. The epilogue multiplies by
// M = sx * sw / sy per channel (0.0625, 0.03125), rounds, adds zy,
// saturates and casts to the storage type.
// CHECK-LABEL: func.func @conv
// CHECK: %[[D:.*]] = qopt.div %arg0, %{{.*}} : (tensor<1x2x3x3xf32>, tensor<f32>)
// CHECK: %[[R:.*]] = qopt.round %[[D]]
// CHECK: %[[A:.*]] = qopt.add %[[R]], %{{.*}}
// CHECK: %[[C:.*]] = qopt.clip %[[A]], %{{.*}}, %{{.*}}
// CHECK: %[[X:.*]] = qopt.cast %[[C]] {to = ui8{{.*}}} : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xui8>
// CHECK: %[[W:.*]] = qopt.constant dense<{{\[\[\[\[}}4]], {{\[\[}}-4]]], {{\[\[\[}}2]], {{\[\[}}0]]]]> : tensor<2x2x1x1xi8>
// CHECK: %[[X32:.*]] = qopt.cast %[[X]] {to = i32{{.*}}} : (tensor<1x2x3x3xui8>) -> tensor<1x2x3x3xi32>
// CHECK: %[[K128:.*]] = qopt.constant dense<128> : tensor<i32>
// CHECK: %[[XM:.*]] = qopt.sub %[[X32]], %[[K128]]
// CHECK: %[[XS:.*]] = qopt.cast %[[XM]] {to = i8{{.*}}} : (tensor<1x2x3x3xi32>) -> tensor<1x2x3x3xi8>
// CHECK: %[[B:.*]] = qopt.constant dense<[10, -14]> : tensor<2xi32>
// CHECK-NOT: qopt.pad
// CHECK: %[[ACC:.*]] = qopt.conv %[[XS]], %[[W]], %[[B]] {{.*}}: (tensor<1x2x3x3xi8>, tensor<2x2x1x1xi8>, tensor<2xi32>) -> tensor<1x2x3x3xi32>
// CHECK: %[[F:.*]] = qopt.cast %[[ACC]] {to = f32{{.*}}}
// CHECK: %[[M:.*]] = qopt.mul %[[F]], %{{.*}} : (tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32>)
// CHECK: %[[MR:.*]] = qopt.round %[[M]]
// CHECK: %[[MZ:.*]] = qopt.add %[[MR]]
// CHECK: %[[MC:.*]] = qopt.clip %[[MZ]]
// CHECK: %[[Y:.*]] = qopt.cast %[[MC]] {to = ui8{{.*}}}
// CHECK: %[[P:.*]] = qopt.max_pool %[[Y]] {{.*}} -> tensor<1x2x2x2xui8>
// CHECK: %[[PF:.*]] = qopt.cast %[[P]] {to = f32{{.*}}}
// CHECK: %[[PZ:.*]] = qopt.sub %[[PF]]
// CHECK: %[[OUT:.*]] = qopt.mul %[[PZ]]
// CHECK: return %[[OUT]]
func.func @conv(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = qopt.constant dense<[[[[1.0]], [[-1.0]]], [[[0.3]], [[0.0]]]]> : tensor<2x2x1x1xf32>
  %b = qopt.constant dense<[10, -10]> : tensor<2xi32>
  %qx = qopt.quantize %x : tensor<1x2x3x3xf32> -> tensor<1x2x3x3x!qx>
  %qw = qopt.quantize %w : tensor<2x2x1x1xf32> -> tensor<2x2x1x1x!qw>
  %c = qopt.conv %qx, %qw, %b : (tensor<1x2x3x3x!qx>, tensor<2x2x1x1x!qw>, tensor<2xi32>) -> tensor<1x2x3x3x!qy>
  %p = qopt.max_pool %c {kernel_shape = array<i64: 2, 2>} : (tensor<1x2x3x3x!qy>) -> tensor<1x2x2x2x!qy>
  %d = qopt.dequantize %p : tensor<1x2x2x2x!qy> -> tensor<1x2x2x2xf32>
  return %d : tensor<1x2x2x2xf32>
}

// -----

!qx = !quant.uniform<i8:f32, 0.5:-3>
!qw = !quant.uniform<i8<-127:127>:f32:0, {0.25}>
!qy = !quant.uniform<u8:f32, 2.0:3>

// A padded Conv on s8 input (zero point -3, used as it is): the padding
// becomes an explicit qopt.pad with -3, the value that stands for 0.0, and
// the Conv pads nothing. No bias: it becomes 3 * sum w = 3 * (4 + 4 - 4 + 0).
// CHECK-LABEL: func.func @padded_s8
// CHECK: %[[PADS:.*]] = qopt.constant dense<[0, 0, 1, 0, 0, 0, 1, 2]> : tensor<8xi64>
// CHECK: %[[PV:.*]] = qopt.constant dense<-3> : tensor<i8>
// CHECK: %[[XP:.*]] = qopt.pad %{{.*}}, %[[PADS]], %[[PV]], %{{.*}} : (tensor<1x1x3x3xi8>, tensor<8xi64>, tensor<i8>, none) -> tensor<1x1x5x5xi8>
// CHECK: %[[ACC:.*]] = qopt.conv %[[XP]], %{{.*}}, %{{.*}} {kernel_shape = array<i64: 2, 2>} : (tensor<1x1x5x5xi8>, tensor<1x1x2x2xi8>, tensor<1xi32>) -> tensor<1x1x4x4xi32>
func.func @padded_s8(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32> {
  %w = qopt.constant dense<[[[[1.0, 1.0], [-1.0, 0.0]]]]> : tensor<1x1x2x2xf32>
  %qx = qopt.quantize %x : tensor<1x1x3x3xf32> -> tensor<1x1x3x3x!qx>
  %qw = qopt.quantize %w : tensor<1x1x2x2xf32> -> tensor<1x1x2x2x!qw>
  %none = qopt.none
  %c = qopt.conv %qx, %qw, %none {kernel_shape = array<i64: 2, 2>, pads = array<i64: 1, 0, 1, 2>} : (tensor<1x1x3x3x!qx>, tensor<1x1x2x2x!qw>, none) -> tensor<1x1x4x4x!qy>
  %d = qopt.dequantize %c : tensor<1x1x4x4x!qy> -> tensor<1x1x4x4xf32>
  return %d : tensor<1x1x4x4xf32>
}

// -----

!qs = !quant.uniform<i8:f32, 0.5>
!qt = !quant.uniform<i8:f32, 0.25>

// Relu on s8 values is max(q, 0) (a Clip with the zero point as lower
// bound); requantize goes through float.
// CHECK-LABEL: func.func @relu_requantize
// CHECK: %[[Q:.*]] = qopt.cast %{{.*}} {to = i8{{.*}}} : (tensor<4xf32>) -> tensor<4xi8>
// CHECK: %[[ZP:.*]] = qopt.constant dense<0> : tensor<i8>
// CHECK: %[[R:.*]] = qopt.clip %[[Q]], %[[ZP]], %{{.*}} : (tensor<4xi8>, tensor<i8>, none) -> tensor<4xi8>
// CHECK: %[[F:.*]] = qopt.cast %[[R]] {to = f32{{.*}}}
// CHECK: %[[S:.*]] = qopt.mul %[[F]]
// CHECK: qopt.div %[[S]]
// CHECK-NOT: quant.uniform
func.func @relu_requantize(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = qopt.quantize %x : tensor<4xf32> -> tensor<4x!qs>
  %r = qopt.relu %q : (tensor<4x!qs>) -> tensor<4x!qs>
  %t = qopt.requantize %r : tensor<4x!qs> -> tensor<4x!qt>
  %d = qopt.dequantize %t : tensor<4x!qt> -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

!qa = !quant.uniform<u8:f32, 0.5:10>
!qw = !quant.uniform<i8<-127:127>:f32:1, {0.25, 0.125}>

// An integer MatMul with an f32 result: acc * sx * sw per column, no
// rounding. (2 columns: 0.5 * 0.25 and 0.5 * 0.125.) It runs on s8 values
// (zero point 10 - 128 = -118); the weight codes [[4, 4], [-4, 2]] have
// column sums [0, 6], so 118 * [0, 6] is added to the accumulator.
// CHECK-LABEL: func.func @float_result
// CHECK: %[[MM:.*]] = qopt.matmul {{.*}} : (tensor<2x2xi8>, tensor<2x2xi8>) -> tensor<2x2xi32>
// CHECK: %[[COMP:.*]] = qopt.constant dense<{{\[\[}}0, 708]]> : tensor<1x2xi32>
// CHECK: %[[ACC:.*]] = qopt.add %[[MM]], %[[COMP]]
// CHECK: %[[F:.*]] = qopt.cast %[[ACC]] {to = f32{{.*}}}
// CHECK: %[[M:.*]] = qopt.constant dense<{{\[\[}}1.250000e-01, 6.250000e-02]]> : tensor<1x2xf32>
// CHECK: %[[Y:.*]] = qopt.mul %[[F]], %[[M]]
// CHECK-NOT: qopt.round
// CHECK: return %[[Y]]
func.func @float_result(%a: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = qopt.constant dense<[[1.0, 0.5], [-1.0, 0.25]]> : tensor<2x2xf32>
  %qa = qopt.quantize %a : tensor<2x2xf32> -> tensor<2x2x!qa>
  %qw = qopt.quantize %w : tensor<2x2xf32> -> tensor<2x2x!qw>
  %m = qopt.matmul %qa, %qw : (tensor<2x2x!qa>, tensor<2x2x!qw>) -> tensor<2x2xf32>
  return %m : tensor<2x2xf32>
}
