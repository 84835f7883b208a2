// RUN: qopt-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]]
func.func @identities(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %one = qopt.constant dense<1.0> : tensor<f32>
  %zero = qopt.constant dense<0.0> : tensor<3xf32>
  %0 = qopt.mul %x, %one : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = qopt.add %zero, %x : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = qopt.div %x, %one : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %3 = qopt.transpose %x {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = qopt.cast %x {to = f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A broadcasting x*1 changes the type: not an identity.
// CHECK-LABEL: func @broadcast_not_identity
// CHECK: qopt.mul
func.func @broadcast_not_identity(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  %one = qopt.constant dense<1.0> : tensor<2x3xf32>
  %0 = qopt.mul %x, %one : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @transpose_transpose
// CHECK: qopt.transpose %{{.*}} {perm = array<i64: 2, 0, 1>}
// CHECK-NOT: qopt.transpose
func.func @transpose_transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = qopt.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = qopt.transpose %0 {perm = array<i64: 1, 2, 0>} : (tensor<3x4x2xf32>) -> tensor<4x2x3xf32>
  return %1 : tensor<4x2x3xf32>
}

// -----

// Exporter shape math: Shape -> Gather -> Unsqueeze -> Concat folds to a constant.
// CHECK-LABEL: func @shape_chain
// CHECK: %[[C:.*]] = qopt.constant dense<[3, -1]> : tensor<2xi64>
// CHECK: return %[[C]]
func.func @shape_chain(%x: tensor<1x3x48x?xf32>) -> tensor<2xi64> {
  %s = qopt.shape %x : (tensor<1x3x48x?xf32>) -> tensor<4xi64>
  %i = qopt.constant dense<1> : tensor<i64>
  %g = qopt.gather %s, %i : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %a = qopt.constant dense<0> : tensor<1xi64>
  %u = qopt.unsqueeze %g, %a : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %m = qopt.constant dense<-1> : tensor<1xi64>
  %c = qopt.concat %u, %m {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  return %c : tensor<2xi64>
}

// -----

// A dynamic dim keeps Shape unfolded.
// CHECK-LABEL: func @shape_dynamic
// CHECK: qopt.shape
func.func @shape_dynamic(%x: tensor<?x3xf32>) -> tensor<2xi64> {
  %s = qopt.shape %x : (tensor<?x3xf32>) -> tensor<2xi64>
  return %s : tensor<2xi64>
}

// -----

// CHECK-LABEL: func @int_math
// [5,6]+2, [5,6]-2, [5,6]*2, [5,6]/[10,12] sliced: 7, 3, 12, 0.
// CHECK: %[[C:.*]] = qopt.constant dense<[7, 3, 12, 0]> : tensor<4xi64>
// CHECK: return %[[C]]
func.func @int_math() -> tensor<4xi64> {
  %a = qopt.constant dense<[5, 6]> : tensor<2xi64>
  %b = qopt.constant dense<2> : tensor<i64>
  %add = qopt.add %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %sub = qopt.sub %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %mul = qopt.mul %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %div = qopt.div %a, %mul : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %s0 = qopt.constant dense<0> : tensor<1xi64>
  %s1 = qopt.constant dense<1> : tensor<1xi64>
  %s2 = qopt.constant dense<2> : tensor<1xi64>
  %n = qopt.none
  %x = qopt.slice %add, %s0, %s1, %n, %n : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<1xi64>
  %y = qopt.slice %sub, %s0, %s1, %n, %n : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<1xi64>
  %z = qopt.slice %mul, %s1, %s2, %n, %n : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<1xi64>
  %w = qopt.slice %div, %s0, %s1, %n, %n : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<1xi64>
  %r = qopt.concat %x, %y, %z, %w {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  return %r : tensor<4xi64>
}

// -----

// Integer division by zero is not folded.
// CHECK-LABEL: func @div_by_zero
// CHECK: qopt.div
func.func @div_by_zero() -> tensor<i64> {
  %a = qopt.constant dense<5> : tensor<i64>
  %b = qopt.constant dense<0> : tensor<i64>
  %d = qopt.div %a, %b : (tensor<i64>, tensor<i64>) -> tensor<i64>
  return %d : tensor<i64>
}

// -----

// CHECK-LABEL: func @requantize_same
// CHECK-NEXT: return %arg0
func.func @requantize_same(%x: tensor<4x!quant.uniform<i8:f32, 0.5>>) -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  %0 = qopt.requantize %x : tensor<4x!quant.uniform<i8:f32, 0.5>> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

// -----

// CHECK-LABEL: func @cast_const
// CHECK: qopt.constant dense<[1, 2]> : tensor<2xi64>
func.func @cast_const() -> tensor<2xi64> {
  %a = qopt.constant dense<[1, 2]> : tensor<2xi32>
  %c = qopt.cast %a {to = i64} : (tensor<2xi32>) -> tensor<2xi64>
  return %c : tensor<2xi64>
}
