// RUN: qopt-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qopt-fuse-gemm-epilogue),canonicalize)" | FileCheck %s

// A 1x1 convolution's bias init, matmul and requantizing epilogue: 32 x 4096
// i32 accumulators (512 KiB) become tiles of 1024 columns (16 rows of 64),
// each with its own [32, 1024] accumulator.
// CHECK-LABEL: func.func @conv1x1
// CHECK-DAG: %[[W:.*]] = arith.constant dense<1> : tensor<32x16xi8>
// CHECK-DAG: %[[OUT:.*]] = tensor.empty() : tensor<1x32x64x64xi8>
// CHECK: %[[R:.*]] = scf.forall (%[[N:.*]]) = (0) to (4096) step (1024) shared_outs(%[[D:.*]] = %[[OUT]])
// CHECK: %[[E:.*]] = tensor.empty() : tensor<32x1x16x64xi32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<32xi32>) outs(%[[E]] : tensor<32x1x16x64xi32>)
// CHECK: %[[ACC:.*]] = tensor.collapse_shape %[[INIT]] {{\[}}[0], [1, 2, 3]] : tensor<32x1x16x64xi32> into tensor<32x1024xi32>
// CHECK: %[[B:.*]] = tensor.extract_slice %arg0[0, %[[N]]] [16, 1024] [1, 1]
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[W]], %[[B]] : tensor<32x16xi8>, tensor<16x1024xi8>) outs(%[[ACC]] : tensor<32x1024xi32>)
// CHECK: %[[ROW:.*]] = arith.divui %[[N]], %c64
// CHECK: %[[X:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2, 3]] output_shape [1, 32, 16, 64]
// CHECK: %[[O:.*]] = tensor.extract_slice %[[D]][0, 0, %[[ROW]], 0] [1, 32, 16, 64] [1, 1, 1, 1]
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[X]], %arg2 : tensor<1x32x16x64xi32>, tensor<32xf32>) outs(%[[O]] : tensor<1x32x16x64xi8>)
// CHECK: tensor.parallel_insert_slice %[[G]] into %[[D]][0, 0, %[[ROW]], 0] [1, 32, 16, 64] [1, 1, 1, 1]
// CHECK: return %[[R]]
func.func @conv1x1(%x: tensor<16x4096xi8>, %bias: tensor<32xi32>, %scale: tensor<32xf32>) -> tensor<1x32x64x64xi8> {
  %w = arith.constant dense<1> : tensor<32x16xi8>
  %e = tensor.empty() : tensor<32x1x64x64xi32>
  %init = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%bias : tensor<32xi32>) outs(%e : tensor<32x1x64x64xi32>) {
  ^bb0(%in: i32, %out: i32):
    linalg.yield %in : i32
  } -> tensor<32x1x64x64xi32>
  %c = tensor.collapse_shape %init [[0], [1, 2, 3]] : tensor<32x1x64x64xi32> into tensor<32x4096xi32>
  %mm = linalg.matmul ins(%w, %x : tensor<32x16xi8>, tensor<16x4096xi8>) outs(%c : tensor<32x4096xi32>) -> tensor<32x4096xi32>
  %r = tensor.expand_shape %mm [[0, 1], [2, 3]] output_shape [1, 32, 64, 64] : tensor<32x4096xi32> into tensor<1x32x64x64xi32>
  %oe = tensor.empty() : tensor<1x32x64x64xi8>
  %o = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%r, %scale : tensor<1x32x64x64xi32>, tensor<32xf32>) outs(%oe : tensor<1x32x64x64xi8>) {
  ^bb0(%in: i32, %s: f32, %out: i8):
    %f = arith.sitofp %in : i32 to f32
    %m = arith.mulf %f, %s : f32
    %q = arith.fptosi %m : f32 to i8
    linalg.yield %q : i8
  } -> tensor<1x32x64x64xi8>
  return %o : tensor<1x32x64x64xi8>
}

// -----

// An int8 matmul with a fill init and a residual add: the epilogue's other
// full-size input is sliced per tile. 16 x 8192 i32 = 512 KiB; a tile of
// 2048 columns takes 128 KiB of accumulator and 16 KiB of B.
// CHECK-LABEL: func.func @fill_residual
// CHECK: scf.forall (%[[N:.*]]) = (0) to (8192) step (2048)
// CHECK: linalg.fill {{.*}} -> tensor<16x2048xi32>
// CHECK: linalg.matmul {{.*}} -> tensor<16x2048xi32>
// CHECK: tensor.extract_slice %arg1[0, %[[N]]] [16, 2048] [1, 1]
// CHECK: linalg.generic
func.func @fill_residual(%x: tensor<8x8192xi8>, %skip: tensor<16x8192xi32>) -> tensor<16x8192xi32> {
  %w = arith.constant dense<3> : tensor<16x8xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<16x8192xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<16x8192xi32>) -> tensor<16x8192xi32>
  %mm = linalg.matmul ins(%w, %x : tensor<16x8xi8>, tensor<8x8192xi8>) outs(%f : tensor<16x8192xi32>) -> tensor<16x8192xi32>
  %oe = tensor.empty() : tensor<16x8192xi32>
  %o = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%mm, %skip : tensor<16x8192xi32>, tensor<16x8192xi32>) outs(%oe : tensor<16x8192xi32>) {
  ^bb0(%a: i32, %b: i32, %out: i32):
    %s = arith.addi %a, %b : i32
    linalg.yield %s : i32
  } -> tensor<16x8192xi32>
  return %o : tensor<16x8192xi32>
}

// -----

// Left alone: an accumulator that fits the tile budget (16 x 1024 i32), a
// non-constant A (repacked per call), an accumulator with a second use, an
// epilogue reading it through a transposing map, and a float matmul (the
// f32 kernel packs A on every call).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: scf.forall
// CHECK-COUNT-5: linalg.matmul
// CHECK-NOT: scf.forall
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @left_alone(%x: tensor<8x1024xi8>, %xb: tensor<8x8192xi8>, %a: tensor<16x8xi8>, %xf: tensor<8x8192xf32>)
    -> (tensor<16x1024xi32>, tensor<16x8192xi32>, tensor<16x8192xi32>, tensor<16x8192xi32>, tensor<8192x16xi32>, tensor<16x8192xf32>) {
  %w = arith.constant dense<3> : tensor<16x8xi8>
  %wf = arith.constant dense<0.5> : tensor<16x8xf32>
  %z = arith.constant 0 : i32
  %zf = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<16x1024xi32>
  %f1 = linalg.fill ins(%z : i32) outs(%e1 : tensor<16x1024xi32>) -> tensor<16x1024xi32>
  %m1 = linalg.matmul ins(%w, %x : tensor<16x8xi8>, tensor<8x1024xi8>) outs(%f1 : tensor<16x1024xi32>) -> tensor<16x1024xi32>
  %o1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%m1 : tensor<16x1024xi32>) outs(%e1 : tensor<16x1024xi32>) {
  ^bb0(%v: i32, %out: i32):
    %r = arith.maxsi %v, %z : i32
    linalg.yield %r : i32
  } -> tensor<16x1024xi32>
  %e = tensor.empty() : tensor<16x8192xi32>
  %f2 = linalg.fill ins(%z : i32) outs(%e : tensor<16x8192xi32>) -> tensor<16x8192xi32>
  %m2 = linalg.matmul ins(%a, %xb : tensor<16x8xi8>, tensor<8x8192xi8>) outs(%f2 : tensor<16x8192xi32>) -> tensor<16x8192xi32>
  %o2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%m2 : tensor<16x8192xi32>) outs(%e : tensor<16x8192xi32>) {
  ^bb0(%v: i32, %out: i32):
    %r = arith.maxsi %v, %z : i32
    linalg.yield %r : i32
  } -> tensor<16x8192xi32>
  %f3 = linalg.fill ins(%z : i32) outs(%e : tensor<16x8192xi32>) -> tensor<16x8192xi32>
  %m3 = linalg.matmul ins(%w, %xb : tensor<16x8xi8>, tensor<8x8192xi8>) outs(%f3 : tensor<16x8192xi32>) -> tensor<16x8192xi32>
  %o3 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%m3 : tensor<16x8192xi32>) outs(%e : tensor<16x8192xi32>) {
  ^bb0(%v: i32, %out: i32):
    %r = arith.maxsi %v, %z : i32
    linalg.yield %r : i32
  } -> tensor<16x8192xi32>
  %f4 = linalg.fill ins(%z : i32) outs(%e : tensor<16x8192xi32>) -> tensor<16x8192xi32>
  %m4 = linalg.matmul ins(%w, %xb : tensor<16x8xi8>, tensor<8x8192xi8>) outs(%f4 : tensor<16x8192xi32>) -> tensor<16x8192xi32>
  %et = tensor.empty() : tensor<8192x16xi32>
  %o4 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, #id], iterator_types = ["parallel", "parallel"]} ins(%m4 : tensor<16x8192xi32>) outs(%et : tensor<8192x16xi32>) {
  ^bb0(%v: i32, %out: i32):
    %r = arith.maxsi %v, %z : i32
    linalg.yield %r : i32
  } -> tensor<8192x16xi32>
  %ef = tensor.empty() : tensor<16x8192xf32>
  %f5 = linalg.fill ins(%zf : f32) outs(%ef : tensor<16x8192xf32>) -> tensor<16x8192xf32>
  %m5 = linalg.matmul ins(%wf, %xf : tensor<16x8xf32>, tensor<8x8192xf32>) outs(%f5 : tensor<16x8192xf32>) -> tensor<16x8192xf32>
  %o5 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%m5 : tensor<16x8192xf32>) outs(%ef : tensor<16x8192xf32>) {
  ^bb0(%v: f32, %out: f32):
    %r = arith.maximumf %v, %zf : f32
    linalg.yield %r : f32
  } -> tensor<16x8192xf32>
  return %o1, %o2, %o3, %m3, %o4, %o5 : tensor<16x1024xi32>, tensor<16x8192xi32>, tensor<16x8192xi32>, tensor<16x8192xi32>, tensor<8192x16xi32>, tensor<16x8192xf32>
}
