// qopt-gpu-transpose-constant-b: a GEMM whose B is a constant [K, N] global
// reads a transposed [N, K] copy through the transposed maps (the layout the
// tensor-core kernel stages with 16-byte loads); i8 always, f32 with
// `floats`; one copy per global; the old global goes when nothing else
// reads it. Splats, host GEMMs and transposed ones are left alone.
// RUN: qopt-opt %s --qopt-gpu-transpose-constant-b | FileCheck %s
// RUN: qopt-opt %s --qopt-gpu-transpose-constant-b=floats=true | FileCheck %s --check-prefix=FLOATS

// CHECK-NOT: memref.global "private" constant @gone :
// CHECK-DAG: memref.global "private" constant @gone_nk : memref<2x2xi8>
// CHECK-DAG: memref.global "private" constant @w : memref<2x3xi8>
// CHECK-DAG: memref.global "private" constant @w_nk : memref<3x2xi8> = dense_resource<w_nk> {alignment = 64 : i64}
// CHECK-DAG: memref.global "private" constant @kept : memref<2x3xi8>
// CHECK-DAG: memref.global "private" constant @kept_nk : memref<3x2xi8>
// CHECK-DAG: memref.global "private" constant @f : memref<2x3xf32>
// CHECK-DAG: memref.global "private" constant @splat : memref<2x3xi8> = dense<1>
memref.global "private" constant @w : memref<2x3xi8> = dense<[[1, 2, 3], [4, 5, 6]]>
memref.global "private" constant @gone : memref<2x2xi8> = dense<[[1, 2], [3, 4]]>
memref.global "private" constant @kept : memref<2x3xi8> = dense<[[1, 2, 3], [4, 5, 6]]>
memref.global "private" constant @f : memref<2x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]>
memref.global "private" constant @splat : memref<2x3xi8> = dense<1>

// Two GEMMs on @w: one copy (@w stays: a host GEMM below reads it); @gone's
// only reader is a GEMM, so it goes.
// CHECK-LABEL: func.func @gemms
// CHECK: memref.get_global @gone_nk
// CHECK: %[[T:.*]] = memref.get_global @w_nk : memref<3x2xi8>
// CHECK: linalg.matmul indexing_maps = [#map, #map1, #map2] ins(%arg0, %[[T]] : memref<4x2xi8>, memref<3x2xi8>) outs(%arg1 : memref<4x3xi32>)
// CHECK: memref.get_global @w_nk
// CHECK: linalg.matmul indexing_maps = [#map, #map1, #map2]
func.func @gemms(%a: memref<4x2xi8>, %c: memref<4x3xi32>, %c2: memref<4x2xi32>) {
  %g = memref.get_global @gone : memref<2x2xi8>
  linalg.matmul ins(%a, %g : memref<4x2xi8>, memref<2x2xi8>) outs(%c2 : memref<4x2xi32>)
  %w = memref.get_global @w : memref<2x3xi8>
  linalg.matmul ins(%a, %w : memref<4x2xi8>, memref<2x3xi8>) outs(%c : memref<4x3xi32>)
  %w2 = memref.get_global @w : memref<2x3xi8>
  linalg.matmul ins(%a, %w2 : memref<4x2xi8>, memref<2x3xi8>) outs(%c : memref<4x3xi32>)
  return
}

// @kept is also read otherwise: it stays beside its copy.
// CHECK-LABEL: func.func @reads_kept
// CHECK: memref.get_global @kept_nk
// CHECK: memref.load
func.func @reads_kept(%a: memref<4x2xi8>, %c: memref<4x3xi32>) -> i8 {
  %w = memref.get_global @kept : memref<2x3xi8>
  linalg.matmul ins(%a, %w : memref<4x2xi8>, memref<2x3xi8>) outs(%c : memref<4x3xi32>)
  %i = arith.constant 0 : index
  %k = memref.get_global @kept : memref<2x3xi8>
  %v = memref.load %k[%i, %i] : memref<2x3xi8>
  return %v : i8
}

// f32 only with `floats`; a splat and a host GEMM never.
// CHECK-LABEL: func.func @left
// CHECK: memref.get_global @f : memref<2x3xf32>
// CHECK: memref.get_global @splat
// CHECK: memref.get_global @w :
// CHECK-NEXT: linalg.matmul {qopt.host}
// FLOATS-LABEL: func.func @left
// FLOATS: memref.get_global @f_nk : memref<3x2xf32>
func.func @left(%af: memref<4x2xf32>, %cf: memref<4x3xf32>, %a: memref<4x2xi8>, %c: memref<4x3xi32>) {
  %f = memref.get_global @f : memref<2x3xf32>
  linalg.matmul ins(%af, %f : memref<4x2xf32>, memref<2x3xf32>) outs(%cf : memref<4x3xf32>)
  %s = memref.get_global @splat : memref<2x3xi8>
  linalg.matmul ins(%a, %s : memref<4x2xi8>, memref<2x3xi8>) outs(%c : memref<4x3xi32>)
  %w = memref.get_global @w : memref<2x3xi8>
  linalg.matmul {qopt.host} ins(%a, %w : memref<4x2xi8>, memref<2x3xi8>) outs(%c : memref<4x3xi32>)
  return
}

// The transposed bytes (the resource's first 4 bytes are its alignment, 64).
// CHECK: w_nk: "0x40000000010402050306"
