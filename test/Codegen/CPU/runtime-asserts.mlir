// RUN: qopt-opt %s --qopt-runtime-asserts --split-input-file | FileCheck %s
// Each cf.assert becomes an scf.if on its negation that passes the message
// (a constant global of its bytes, one per distinct message) to the
// runtime's qopt_rt_assert_failed: a run error, not an abort.

// CHECK-DAG: memref.global "private" constant @qopt_assert_message{{(_[0-9]+)?}} : memref<5xi8> = dense<[105, 100, 120, 32, 49]>
// CHECK-DAG: memref.global "private" constant @qopt_assert_message{{(_[0-9]+)?}} : memref<5xi8> = dense<[105, 100, 120, 32, 50]>
// CHECK-DAG: func.func private @qopt_rt_assert_failed(memref<?xi8, strided<[?], offset: ?>>)
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @two_checks
// CHECK-NOT: cf.assert
// CHECK: %[[T:.*]] = arith.constant true
// CHECK: %[[F:.*]] = arith.xori %arg0, %[[T]] : i1
// CHECK: scf.if %[[F]] {
// CHECK:   %[[G:.*]] = memref.get_global @[[M1:qopt_assert_message[_0-9]*]] : memref<5xi8>
// CHECK:   %[[C:.*]] = memref.cast %[[G]] : memref<5xi8> to memref<?xi8, strided<[?], offset: ?>>
// CHECK:   func.call @qopt_rt_assert_failed(%[[C]])
// CHECK: }
// CHECK: arith.xori %arg1
// CHECK: scf.if
// CHECK:   memref.get_global @[[M2:qopt_assert_message[_0-9]*]] : memref<5xi8>
// A repeated message reuses its global.
// CHECK: arith.xori %arg0
// CHECK: scf.if
// CHECK:   memref.get_global @[[M1]] : memref<5xi8>
// CHECK: return
func.func @two_checks(%a: i1, %b: i1) {
  cf.assert %a, "idx 1"
  cf.assert %b, "idx 2"
  cf.assert %a, "idx 1"
  return
}

// -----
// Without asserts the module is left alone (no declaration).
// CHECK-LABEL: func.func @none
// CHECK-NOT: qopt_rt_assert_failed
func.func @none() {
  return
}
