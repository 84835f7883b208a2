// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-split-floordiv-dims),canonicalize)' --split-input-file | FileCheck %s

// A nearest x2 upscale fused with an add: both loops read as floordiv 2 are
// split, the full-size operand and the init are expanded, the floordiv read
// becomes a plain index, and the result is collapsed back.
// CHECK-DAG: #[[SMALL:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3)>
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @upsample_add
// CHECK: %[[X:.*]] = tensor.expand_shape %arg1 {{\[}}[0], [1, 2], [3, 4]] output_shape [3, 4, 2, 5, 2]
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3x4x2x5x2xf32>
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [#[[SMALL]], #[[FULL]], #[[FULL]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%arg0, %[[X]] : tensor<3x4x5xf32>, tensor<3x4x2x5x2xf32>) outs(%[[E]] : tensor<3x4x2x5x2xf32>)
// CHECK: arith.addf
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0], [1, 2], [3, 4]] : tensor<3x4x2x5x2xf32> into tensor<3x8x10xf32>
// CHECK: return %[[C]]
func.func @upsample_add(%s: tensor<3x4x5xf32>, %x: tensor<3x8x10xf32>) -> tensor<3x8x10xf32> {
  %e = tensor.empty() : tensor<3x8x10xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b floordiv 2, c floordiv 2)>,
                                        affine_map<(a, b, c) -> (a, b, c)>,
                                        affine_map<(a, b, c) -> (a, b, c)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s, %x : tensor<3x4x5xf32>, tensor<3x8x10xf32>) outs(%e : tensor<3x8x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<3x8x10xf32>
  return %0 : tensor<3x8x10xf32>
}

// -----
// Different factors on different loops; an init that is not empty is
// expanded too.
// CHECK-LABEL: func.func @factors
// CHECK: tensor.expand_shape %arg1 {{\[}}[0, 1], [2, 3]] output_shape [2, 3, 2, 4] : tensor<6x8xf32> into tensor<2x3x2x4xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<2x2xf32>)
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0, 1], [2, 3]] : tensor<2x3x2x4xf32> into tensor<6x8xf32>
func.func @factors(%s: tensor<2x2xf32>, %init: tensor<6x8xf32>) -> tensor<6x8xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a floordiv 3, b floordiv 4)>,
                                        affine_map<(a, b) -> (a, b)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<2x2xf32>) outs(%init : tensor<6x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<6x8xf32>
  return %0 : tensor<6x8xf32>
}

// -----
// Left alone: an extent not divisible by the factor, the same loop read with
// two factors, a linalg.index of the loop, a reduction.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: tensor.expand_shape
// CHECK-NOT: tensor.collapse_shape
// CHECK: return
func.func @left_alone(%s: tensor<4xf32>, %t: tensor<3xf32>, %m: tensor<4x3xf32>) -> (tensor<7xf32>, tensor<6xf32>, tensor<8xf32>, tensor<8xf32>) {
  %e7 = tensor.empty() : tensor<7xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(a) -> (a floordiv 2)>, affine_map<(a) -> (a)>], iterator_types = ["parallel"]}
      ins(%s : tensor<4xf32>) outs(%e7 : tensor<7xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<7xf32>
  %e6 = tensor.empty() : tensor<6xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(a) -> (a floordiv 2)>, affine_map<(a) -> (a floordiv 3)>, affine_map<(a) -> (a)>], iterator_types = ["parallel"]}
      ins(%t, %t : tensor<3xf32>, tensor<3xf32>) outs(%e6 : tensor<6xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<6xf32>
  %e8 = tensor.empty() : tensor<8xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(a) -> (a floordiv 2)>, affine_map<(a) -> (a)>], iterator_types = ["parallel"]}
      ins(%s : tensor<4xf32>) outs(%e8 : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %r = arith.addf %a, %f : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<8xf32>
  %acc = linalg.fill ins(%z : f32) outs(%e0 : tensor<8xf32>) -> tensor<8xf32>
  %3 = linalg.generic {indexing_maps = [affine_map<(a, r) -> (a floordiv 2, r)>, affine_map<(a, r) -> (a)>], iterator_types = ["parallel", "reduction"]}
      ins(%m : tensor<4x3xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %0, %1, %2, %3 : tensor<7xf32>, tensor<6xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----
// Loop 0 is read with two factors and stays; loop 1 is still split.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0 floordiv 2, d1)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d0 floordiv 3, d1)>
// CHECK-LABEL: func.func @one_of_two
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #{{.*}}], {{.*}} ins(%arg0, %arg1 : tensor<3x2xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<6x2x2xf32>)
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0], [1, 2]] : tensor<6x2x2xf32> into tensor<6x4xf32>
func.func @one_of_two(%s: tensor<3x2xf32>, %t: tensor<2x2xf32>) -> tensor<6x4xf32> {
  %e = tensor.empty() : tensor<6x4xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a floordiv 2, b floordiv 2)>,
                                        affine_map<(a, b) -> (a floordiv 3, b floordiv 2)>,
                                        affine_map<(a, b) -> (a, b)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%s, %t : tensor<3x2xf32>, tensor<2x2xf32>) outs(%e : tensor<6x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}
