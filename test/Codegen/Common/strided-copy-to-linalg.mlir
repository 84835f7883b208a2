// RUN: qopt-opt %s --qopt-strided-copy-to-linalg | FileCheck %s

// A copy into a strided window (as padding and Concat produce) becomes
// linalg.copy, compiled into loops instead of the generic memrefCopy.
// CHECK-LABEL: func.func @into_window
// CHECK: linalg.copy ins(%arg0 : memref<2x3xf32>) outs(%{{.*}} : memref<2x3xf32, strided<[5, 1], offset: 6>>)
// CHECK-NOT: memref.copy
func.func @into_window(%a: memref<2x3xf32>, %b: memref<4x5xf32>) {
  %w = memref.subview %b[1, 1] [2, 3] [1, 1] : memref<4x5xf32> to memref<2x3xf32, strided<[5, 1], offset: 6>>
  memref.copy %a, %w : memref<2x3xf32> to memref<2x3xf32, strided<[5, 1], offset: 6>>
  return
}

// Contiguous copies stay memref.copy (a memcpy), even with an offset.
// CHECK-LABEL: func.func @contiguous
// CHECK: memref.copy %arg0, %arg1
// CHECK: memref.copy %arg0, %{{.*}} : memref<2x5xf32> to memref<2x5xf32, strided<[5, 1], offset: 5>>
// CHECK-NOT: linalg.copy
func.func @contiguous(%a: memref<2x5xf32>, %b: memref<2x5xf32>, %c: memref<4x5xf32>) {
  memref.copy %a, %b : memref<2x5xf32> to memref<2x5xf32>
  %w = memref.subview %c[1, 0] [2, 5] [1, 1] : memref<4x5xf32> to memref<2x5xf32, strided<[5, 1], offset: 5>>
  memref.copy %a, %w : memref<2x5xf32> to memref<2x5xf32, strided<[5, 1], offset: 5>>
  return
}
