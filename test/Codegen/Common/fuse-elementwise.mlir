// RUN: qopt-opt %s --split-input-file --qopt-fuse-elementwise | FileCheck %s

// An elementwise chain fuses into one generic; the matmul stays a named op
// even with reshapes around it.
// CHECK-LABEL: func.func @chain
// CHECK: linalg.matmul
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
func.func @chain(%a: tensor<4x8xf32>, %b: tensor<8x6xf32>, %c: tensor<4x6xf32>) -> tensor<4x2x3xf32> {
  %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x6xf32>) outs(%c : tensor<4x6xf32>) -> tensor<4x6xf32>
  %e = tensor.expand_shape %m [[0], [1, 2]] output_shape [4, 2, 3] : tensor<4x6xf32> into tensor<4x2x3xf32>
  %init = tensor.empty() : tensor<4x2x3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%e : tensor<4x2x3xf32>) outs(%init : tensor<4x2x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %y = arith.maximumf %x, %z : f32
    linalg.yield %y : f32
  } -> tensor<4x2x3xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%r : tensor<4x2x3xf32>) outs(%init : tensor<4x2x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.exp %x : f32
    linalg.yield %y : f32
  } -> tensor<4x2x3xf32>
  return %s : tensor<4x2x3xf32>
}

// -----

// A ConvTranspose whose kernel equals its stride: GEMM, scatter (+ bias) into
// [M, H, KH, W, KW], reshapes to [1, M, OH, OW], then an activation. The
// reshapes between the two generics fold into them (their loops expanded),
// so the activation fuses into the scatter and the [1, 24, 320, 320]
// intermediate is never written; the matmul and the reshape of its result
// stay.
// CHECK-LABEL: func.func @scatter_then_relu
// CHECK: %[[M:.*]] = linalg.matmul
// CHECK: %[[T:.*]] = tensor.expand_shape %[[M]] {{\[}}[0, 1, 2], [3, 4]]
// CHECK: %[[T1:.*]] = tensor.expand_shape %[[T]] {{\[}}[0, 1], [2], [3], [4], [5]]
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[T1]], %{{.*}} : tensor<1x24x2x2x160x160xf32>, tensor<1x24xf32>) outs(%{{.*}} : tensor<1x24x160x2x160x2xf32>)
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0], [1], [2, 3], [4, 5]] : tensor<1x24x160x2x160x2xf32> into tensor<1x24x320x320xf32>
// CHECK: return %[[R]]
func.func @scatter_then_relu(%x: tensor<24x25600xf32>, %wt: tensor<96x24xf32>, %b: tensor<24xf32>) -> tensor<1x24x320x320xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<96x25600xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<96x25600xf32>) -> tensor<96x25600xf32>
  %m = linalg.matmul ins(%wt, %x : tensor<96x24xf32>, tensor<24x25600xf32>) outs(%f : tensor<96x25600xf32>) -> tensor<96x25600xf32>
  %t5 = tensor.expand_shape %m [[0, 1, 2], [3, 4]] output_shape [24, 2, 2, 160, 160] : tensor<96x25600xf32> into tensor<24x2x2x160x160xf32>
  %e5 = tensor.empty() : tensor<24x160x2x160x2xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4, d1, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%t5, %b : tensor<24x2x2x160x160xf32>, tensor<24xf32>) outs(%e5 : tensor<24x160x2x160x2xf32>) {
  ^bb0(%in: f32, %bb: f32, %out: f32):
    %a = arith.addf %in, %bb : f32
    linalg.yield %a : f32
  } -> tensor<24x160x2x160x2xf32>
  %c3 = tensor.collapse_shape %s [[0], [1, 2], [3, 4]] : tensor<24x160x2x160x2xf32> into tensor<24x320x320xf32>
  %x4 = tensor.expand_shape %c3 [[0, 1], [2], [3]] output_shape [1, 24, 320, 320] : tensor<24x320x320xf32> into tensor<1x24x320x320xf32>
  %e4 = tensor.empty() : tensor<1x24x320x320xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x4 : tensor<1x24x320x320xf32>) outs(%e4 : tensor<1x24x320x320xf32>) {
  ^bb0(%in: f32, %out: f32):
    %mx = arith.maximumf %in, %z : f32
    linalg.yield %mx : f32
  } -> tensor<1x24x320x320xf32>
  return %r : tensor<1x24x320x320xf32>
}

// -----

// Left apart: a generic whose result reaches a matmul through a reshape (the
// matmul stays named, the generic keeps its shape), and a generic with two
// users.
// CHECK-LABEL: func.func @kept
// CHECK: %[[A:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x2x3xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[A]] {{\[}}[0], [1, 2]]
// CHECK: linalg.matmul ins(%[[C]], %{{.*}} : tensor<4x6xf32>, tensor<6x5xf32>)
// CHECK: %[[E:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x6xf32>)
// CHECK: tensor.expand_shape %[[E]]
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x2x3xf32>)
// CHECK: return
func.func @kept(%a: tensor<4x2x3xf32>, %w: tensor<6x5xf32>, %acc: tensor<4x5xf32>) -> (tensor<4x5xf32>, tensor<4x6xf32>, tensor<4x2x3xf32>) {
  %i = tensor.empty() : tensor<4x2x3xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%a : tensor<4x2x3xf32>) outs(%i : tensor<4x2x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.exp %x : f32
    linalg.yield %y : f32
  } -> tensor<4x2x3xf32>
  %c = tensor.collapse_shape %g [[0], [1, 2]] : tensor<4x2x3xf32> into tensor<4x6xf32>
  %m = linalg.matmul ins(%c, %w : tensor<4x6xf32>, tensor<6x5xf32>) outs(%acc : tensor<4x5xf32>) -> tensor<4x5xf32>
  %c2 = tensor.collapse_shape %a [[0], [1, 2]] : tensor<4x2x3xf32> into tensor<4x6xf32>
  %i2 = tensor.empty() : tensor<4x6xf32>
  %e = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%c2 : tensor<4x6xf32>) outs(%i2 : tensor<4x6xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.sqrt %x : f32
    linalg.yield %y : f32
  } -> tensor<4x6xf32>
  %x2 = tensor.expand_shape %e [[0], [1, 2]] output_shape [4, 2, 3] : tensor<4x6xf32> into tensor<4x2x3xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x2 : tensor<4x2x3xf32>) outs(%i : tensor<4x2x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.log %x : f32
    linalg.yield %y : f32
  } -> tensor<4x2x3xf32>
  return %m, %e, %n : tensor<4x5xf32>, tensor<4x6xf32>, tensor<4x2x3xf32>
}
