// RUN: qopt-opt %s --split-input-file --qopt-expose-observers | FileCheck %s

// Observers disappear; the observed tensors become extra results named
// qopt.observe:<id>, after the model's own results.
// No observer inside control flow: no hook, no qopt.region_observers.
// CHECK-NOT: qopt.region_observers
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<4xf32> {qopt.name = "y"}, tensor<4xf32> {qopt.name = "qopt.observe:input:x"}, tensor<4xf32> {qopt.name = "qopt.observe:relu"})
// CHECK-NOT: qopt.observer
// CHECK: %[[R:.*]] = qopt.relu %arg0
// CHECK: return %[[R]], %arg0, %[[R]]
// CHECK-NOT: qopt_observe_f32
func.func @main(%x: tensor<4xf32> {qopt.name = "x"}) -> (tensor<4xf32> {qopt.name = "y"}) {
  %o = qopt.observer %x {id = "input:x"} : tensor<4xf32>
  %r = qopt.relu %o : (tensor<4xf32>) -> tensor<4xf32>
  %o2 = qopt.observer %r {id = "relu"} : tensor<4xf32>
  return %o2 : tensor<4xf32>
}

// -----

// An observer inside control flow (here an scf.for body, as a Scan or a
// recurrence imports) becomes a call passing the value and its index in the
// module's qopt.region_observers to a private function per observed type,
// which hands it to the runtime's hook as an unranked tensor (the hook is
// declared once, reading its argument only). Function-level observers still
// become results.
// CHECK-LABEL: module attributes {qopt.region_observers = ["body", "body2"]}
// CHECK-LABEL: func.func @loop
// CHECK-SAME: -> (tensor<4xf32> {qopt.name = "y"}, tensor<4xf32> {qopt.name = "qopt.observe:input:x"})
// CHECK: scf.for {{.*}} iter_args(%[[S:.*]] = %arg0)
// CHECK:   %[[I0:.*]] = arith.constant 0 : i64
// CHECK:   call @qopt_observe_f32_0(%[[I0]], %[[S]]) : (i64, tensor<4xf32>) -> ()
// CHECK:   %[[R:.*]] = qopt.relu %[[S]]
// CHECK:   %[[I1:.*]] = arith.constant 1 : i64
// CHECK:   call @qopt_observe_f32_0(%[[I1]], %[[R]]) : (i64, tensor<4xf32>) -> ()
// CHECK-NOT: qopt.observer
// CHECK: func.func private @qopt_observe_f32(i64, tensor<*xf32> {bufferization.access = "read"})
// CHECK: func.func private @qopt_observe_f32_0(%[[I:.*]]: i64, %[[T:.*]]: tensor<4xf32>)
// CHECK:   %[[U:.*]] = tensor.cast %[[T]] : tensor<4xf32> to tensor<*xf32>
// CHECK:   call @qopt_observe_f32(%[[I]], %[[U]]) : (i64, tensor<*xf32>) -> ()
// CHECK-NOT: func.func private @qopt_observe_f32
module {
func.func @loop(%x: tensor<4xf32> {qopt.name = "x"}) -> (tensor<4xf32> {qopt.name = "y"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %o = qopt.observer %x {id = "input:x"} : tensor<4xf32>
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%s = %o) -> (tensor<4xf32>) {
    %b = qopt.observer %s {id = "body"} : tensor<4xf32>
    %t = qopt.relu %b : (tensor<4xf32>) -> tensor<4xf32>
    %b2 = qopt.observer %t {id = "body2"} : tensor<4xf32>
    scf.yield %b2 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
}
