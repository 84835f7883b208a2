// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-per-token-activations))' | FileCheck %s
// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-per-token-activations{keep-float=matmul}))' | FileCheck %s --check-prefix=KEEP

// The input's per-row scale max|x| / 127 (floored), the codes round(x / s)
// as i8 with scale 1 into the layer, its output times s; the layer's
// observer goes, the output observer stays after the rescale.
// CHECK-LABEL: func.func @linear
// CHECK-NOT: id = "in"
// CHECK: %[[AX:.*]] = qopt.constant dense<2> : tensor<1xi64>
// CHECK-NOT: id = "in"
// CHECK: %[[A:.*]] = qopt.abs %arg0
// CHECK: %[[M:.*]] = qopt.reduce_max %[[A]], %[[AX]] : (tensor<?x?x4xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
// CHECK: %[[TINY:.*]] = qopt.constant dense<1.000000e-30> : tensor<f32>
// CHECK: %[[F:.*]] = qopt.max %[[M]], %[[TINY]]
// CHECK: %[[INV:.*]] = qopt.constant dense<0.00787401571> : tensor<f32>
// CHECK: %[[S:.*]] = qopt.mul %[[F]], %[[INV]] : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
// CHECK: %[[D:.*]] = qopt.div %arg0, %[[S]]
// CHECK: %[[R:.*]] = qopt.round %[[D]]
// CHECK: %[[Q:.*]] = qopt.quantize %[[R]] : tensor<?x?x4xf32> -> tensor<?x?x4x!quant.uniform<i8<-127:127>:f32, 1.000000e+00>>
// CHECK: %[[DQ:.*]] = qopt.dequantize %[[Q]]
// CHECK: %[[Y:.*]] = qopt.matmul %[[DQ]], %{{.*}} {qopt.per_token}
// CHECK: %[[YS:.*]] = qopt.mul %[[Y]], %[[S]]
// CHECK: qopt.observer %[[YS]] {id = "out",
// CHECK-NOT: id = "in"
// CHECK: return
// KEEP-LABEL: func.func @linear
// KEEP-NOT: qopt.per_token
// KEEP: qopt.observer %arg0 {id = "in",
// KEEP-NOT: qopt.per_token
// KEEP: return
func.func @linear(%x: tensor<?x?x4xf32>) -> tensor<?x?x3xf32> {
  %w = qopt.constant dense<1.0> : tensor<4x3xf32>
  %o = qopt.observer %x {id = "in", min = -1.0 : f64, max = 1.0 : f64} : tensor<?x?x4xf32>
  %y = qopt.matmul %o, %w : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %p = qopt.observer %y {id = "out", min = -1.0 : f64, max = 1.0 : f64} : tensor<?x?x3xf32>
  %r = qopt.relu %p : (tensor<?x?x3xf32>) -> tensor<?x?x3xf32>
  return %r : tensor<?x?x3xf32>
}

// -----
// A Gemm without C is converted (its transposed weight read as [K, N]); the
// input's observer stays for its other user, the float Relu.
// CHECK-LABEL: func.func @gemm_shared
// CHECK: %[[O:.*]] = qopt.observer %arg0 {id = "in",
// CHECK: qopt.gemm %{{.*}}, %{{.*}}, %{{.*}} {qopt.per_token, transB = 1 : i64}
// CHECK: qopt.relu %[[O]]
func.func @gemm_shared(%x: tensor<2x4xf32>) -> (tensor<2x3xf32>, tensor<2x4xf32>) {
  %w = qopt.constant dense<1.0> : tensor<3x4xf32>
  %n = qopt.none
  %o = qopt.observer %x {id = "in", min = -1.0 : f64, max = 1.0 : f64} : tensor<2x4xf32>
  %g = qopt.gemm %o, %w, %n {transB = 1 : i64} : (tensor<2x4xf32>, tensor<3x4xf32>, none) -> tensor<2x3xf32>
  %r = qopt.relu %o : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %g, %r : tensor<2x3xf32>, tensor<2x4xf32>
}

// -----
// Left per tensor: a Gemm with a bias (s would scale the bias too), a
// MatMul of two activations; an observer with another user stays.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: qopt.per_token
// CHECK: return
func.func @kept(%x: tensor<2x4xf32>, %b: tensor<4x4xf32>) -> (tensor<2x3xf32>, tensor<2x4xf32>) {
  %w = qopt.constant dense<1.0> : tensor<3x4xf32>
  %c = qopt.constant dense<1.0> : tensor<3xf32>
  %o = qopt.observer %x {id = "in", min = -1.0 : f64, max = 1.0 : f64} : tensor<2x4xf32>
  %g = qopt.gemm %o, %w, %c {transB = 1 : i64} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %ob = qopt.observer %b {id = "b", min = -1.0 : f64, max = 1.0 : f64} : tensor<4x4xf32>
  %m = qopt.matmul %o, %ob : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  return %g, %m : tensor<2x3xf32>, tensor<2x4xf32>
}
