// RUN: qopt-opt %s --qopt-matmul-microkernel | FileCheck %s
// RUN: qopt-opt %s --qopt-matmul-microkernel=isa=avx512vnni | FileCheck %s --check-prefix=VNNI
// RUN: not qopt-opt %s --qopt-matmul-microkernel=isa=sse9 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: qopt-matmul-microkernel: unknown isa 'sse9' (expected avx512vnni, avxvnni, avx2 or generic)

// CHECK: func.func private @qopt_matmul_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
// CHECK-LABEL: func.func @f32
// CHECK: %[[A:.*]] = memref.cast %arg0 : memref<4x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: call @qopt_matmul_f32(%[[A]],
// CHECK-NOT: linalg.matmul
func.func @f32(%a: memref<4x8xf32>, %b: memref<8x3xf32>, %c: memref<4x3xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  return
}

// A +0.0 fill of C right before an f32 matmul goes: the overwriting kernel
// writes C = 0 + A*B without reading it. Another fill value, -0.0, a fill of
// another buffer or an op in between keep the fill and the accumulating call.
// CHECK-LABEL: func.func @f32_zero_init
// CHECK-NOT: linalg.fill
// CHECK: call @qopt_matmul_f32_overwrite(
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg2
// CHECK: call @qopt_matmul_f32(
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg2
// CHECK: call @qopt_matmul_f32(
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg3
// CHECK: call @qopt_matmul_f32(
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg2
// CHECK: memref.store
// CHECK: call @qopt_matmul_f32(
// CHECK: return
func.func @f32_zero_init(%a: memref<4x8xf32>, %b: memref<8x3xf32>, %c: memref<4x3xf32>, %d: memref<4x3xf32>) {
  %z = arith.constant 0.0 : f32
  %nz = arith.constant -0.0 : f32
  %one = arith.constant 1.0 : f32
  %i = arith.constant 0 : index
  linalg.fill ins(%z : f32) outs(%c : memref<4x3xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  linalg.fill ins(%one : f32) outs(%c : memref<4x3xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  linalg.fill ins(%nz : f32) outs(%c : memref<4x3xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  linalg.fill ins(%z : f32) outs(%d : memref<4x3xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  linalg.fill ins(%z : f32) outs(%c : memref<4x3xf32>)
  memref.store %one, %c[%i, %i] : memref<4x3xf32>
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  return
}

// i8 x i8 -> i32 (the integer form of quantized layers) calls the int8
// kernel of the chosen instruction set (generic by default).
// CHECK-LABEL: func.func @s8
// CHECK: call @qopt_matmul_s8s8_i32_generic(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>) -> ()
// VNNI-LABEL: func.func @s8
// VNNI: call @qopt_matmul_s8s8_i32_avx512vnni(
func.func @s8(%a: memref<5x7xi8>, %b: memref<7x3xi8>, %c: memref<5x3xi32>) {
  linalg.matmul ins(%a, %b : memref<5x7xi8>, memref<7x3xi8>) outs(%c : memref<5x3xi32>)
  return
}

// An unsigned cast is not what the kernel computes: it stays.
// CHECK-LABEL: func.func @u8
// CHECK: linalg.matmul
func.func @u8(%a: memref<5x7xi8>, %b: memref<7x3xi8>, %c: memref<5x3xi32>) {
  linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%a, %b : memref<5x7xi8>, memref<7x3xi8>) outs(%c : memref<5x3xi32>)
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

// CHECK-LABEL: func.func @depthwise_int
// CHECK: call @qopt_dwconv2d_s8_i32({{.*}}) : (memref<?x?x?x?xi8, {{.*}}>, memref<?x?x?xi8, {{.*}}>, memref<?x?x?x?xi32, {{.*}}>, i64, i64, i64, i64) -> ()
// CHECK: call @qopt_dwconv2d_s16_i32({{.*}}) : (memref<?x?x?x?xi16, {{.*}}>, memref<?x?x?xi16, {{.*}}>, memref<?x?x?x?xi32, {{.*}}>, i64, i64, i64, i64) -> ()
// CHECK-NOT: linalg.depthwise
func.func @depthwise_int(%x: memref<1x4x9x9xi8>, %w: memref<4x3x3xi8>, %y: memref<1x4x7x7xi32>,
                         %x16: memref<1x4x9x9xi16>, %w16: memref<4x3x3xi16>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x9x9xi8>, memref<4x3x3xi8>) outs(%y : memref<1x4x7x7xi32>)
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x16, %w16 : memref<1x4x9x9xi16>, memref<4x3x3xi16>) outs(%y : memref<1x4x7x7xi32>)
  return
}

// A matmul reading B transposed (Gemm with transB) calls the kernel with a
// transposed view of B: no copy.
// CHECK-LABEL: func.func @trans_b
// CHECK: %[[T:.*]] = memref.transpose %arg1 (d0, d1) -> (d1, d0) : memref<3x8xi8> to memref<8x3xi8, strided<[1, 8]>>
// CHECK: %[[TC:.*]] = memref.cast %[[T]] : memref<8x3xi8, strided<[1, 8]>> to memref<?x?xi8, strided<[?, ?], offset: ?>>
// CHECK: call @qopt_matmul_s8s8_i32_generic(%{{.*}}, %[[TC]], %{{.*}})
// CHECK-NOT: linalg.matmul
func.func @trans_b(%a: memref<5x8xi8>, %b: memref<3x8xi8>, %c: memref<5x3xi32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<5x8xi8>, memref<3x8xi8>) outs(%c : memref<5x3xi32>)
  return
}

// Other user-defined maps (A transposed) stay linalg.matmul.
// CHECK-LABEL: func.func @trans_a
// CHECK: linalg.matmul indexing_maps
func.func @trans_a(%a: memref<8x5xi8>, %b: memref<8x3xi8>, %c: memref<5x3xi32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<8x5xi8>, memref<8x3xi8>) outs(%c : memref<5x3xi32>)
  return
}
