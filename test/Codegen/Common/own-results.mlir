// RUN: qopt-opt %s --qopt-own-results | FileCheck %s
// Returned buffers that the function does not own are copied; fresh
// allocations are returned as they are, once.

// CHECK-LABEL: func.func @returns_argument
// CHECK: %[[D:.*]] = memref.dim %arg0
// CHECK: %[[A:.*]] = memref.alloc(%[[D]]) : memref<?xf32>
// CHECK: memref.copy %arg0, %[[A]]
// CHECK: return %[[A]]
func.func @returns_argument(%a: memref<?xf32>) -> memref<?xf32> {
  return %a : memref<?xf32>
}

// CHECK-LABEL: func.func @returns_alloc_twice
// CHECK: %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[B:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %[[A]], %[[B]]
// CHECK: return %[[A]], %[[B]]
func.func @returns_alloc_twice() -> (memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  return %a, %a : memref<4xf32>, memref<4xf32>
}
