// RUN: qopt-opt %s --qopt-expose-observers | FileCheck %s

// Observers disappear; the observed tensors become extra results named
// qopt.observe:<id>, after the model's own results.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<4xf32> {qopt.name = "y"}, tensor<4xf32> {qopt.name = "qopt.observe:input:x"}, tensor<4xf32> {qopt.name = "qopt.observe:relu"})
// CHECK-NOT: qopt.observer
// CHECK: %[[R:.*]] = qopt.relu %arg0
// CHECK: return %[[R]], %arg0, %[[R]]
func.func @main(%x: tensor<4xf32> {qopt.name = "x"}) -> (tensor<4xf32> {qopt.name = "y"}) {
  %o = qopt.observer %x {id = "input:x"} : tensor<4xf32>
  %r = qopt.relu %o : (tensor<4xf32>) -> tensor<4xf32>
  %o2 = qopt.observer %r {id = "relu"} : tensor<4xf32>
  return %o2 : tensor<4xf32>
}
