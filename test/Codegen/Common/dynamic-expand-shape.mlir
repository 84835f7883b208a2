// RUN: qopt-opt %s --qopt-dynamic-expand-shape | FileCheck %s

// CHECK-LABEL: func.func @two_dynamic
// CHECK: %[[S:.*]] = arith.muli %c360, %arg2
// CHECK-NOT: arith.muli
// CHECK: memref.reinterpret_cast %arg0 to offset: [0], sizes: [%arg1, %arg2, 360], strides: [%[[S]], 360, 1]
// CHECK-NOT: memref.expand_shape
func.func @two_dynamic(%m: memref<?x360xf32>, %a: index, %b: index) -> memref<?x?x360xf32> {
  %e = memref.expand_shape %m [[0, 1], [2]] output_shape [%a, %b, 360] : memref<?x360xf32> into memref<?x?x360xf32>
  return %e : memref<?x?x360xf32>
}

// CHECK-LABEL: func.func @one_dynamic
// CHECK: memref.expand_shape
func.func @one_dynamic(%m: memref<?x360xf32>, %a: index) -> memref<?x2x360xf32> {
  %e = memref.expand_shape %m [[0, 1], [2]] output_shape [%a, 2, 360] : memref<?x360xf32> into memref<?x2x360xf32>
  return %e : memref<?x2x360xf32>
}
