// RUN: qopt-opt %s --qopt-matmul-microkernel | FileCheck %s

// CHECK: func.func private @qopt_matmul_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
// CHECK-LABEL: func.func @f32
// CHECK: %[[A:.*]] = memref.cast %arg0 : memref<4x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: call @qopt_matmul_f32(%[[A]],
// CHECK-NOT: linalg.matmul
func.func @f32(%a: memref<4x8xf32>, %b: memref<8x3xf32>, %c: memref<4x3xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  return
}

// Other element types and tensors stay linalg.matmul.
// CHECK-LABEL: func.func @i32
// CHECK: linalg.matmul
func.func @i32(%a: memref<4x8xi32>, %b: memref<8x3xi32>, %c: memref<4x3xi32>) {
  linalg.matmul ins(%a, %b : memref<4x8xi32>, memref<8x3xi32>) outs(%c : memref<4x3xi32>)
  return
}

// CHECK-LABEL: func.func @depthwise
// CHECK: call @qopt_dwconv2d_f32(%{{.*}}, %{{.*}}, %{{.*}}, %c2_i64{{.*}}, %c2_i64{{.*}}, %c1_i64{{.*}}, %c1_i64{{.*}}) : (memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
// CHECK-NOT: linalg.depthwise
func.func @depthwise(%x: memref<1x4x9x9xf32>, %w: memref<4x3x3xf32>, %y: memref<1x4x4x4xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x9x9xf32>, memref<4x3x3xf32>) outs(%y : memref<1x4x4x4xf32>)
  return
}
