// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-pad-in-place))' --split-input-file | FileCheck %s
// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-pad-in-place),one-shot-bufferize{bufferize-function-boundaries},cse,canonicalize)' --split-input-file | FileCheck %s --check-prefix=BUF

#id = affine_map<(a, b, c, d) -> (a, b, c, d)>

// The producer writes into the interior of the padded tensor; only the four
// sides are filled. After bufferization nothing is copied.
// CHECK-LABEL: func.func @producer_in_place
// CHECK: %[[C:.*]] = arith.constant 0.0
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x2x6x7xf32>
// CHECK: %[[S0:.*]] = tensor.extract_slice %[[E]][0, 0, 0, 0] [1, 2, 1, 7]
// CHECK: %[[F0:.*]] = linalg.fill ins(%[[C]] : f32) outs(%[[S0]]
// CHECK: %[[T1:.*]] = tensor.insert_slice %[[F0]] into %[[E]][0, 0, 0, 0] [1, 2, 1, 7]
// CHECK: tensor.extract_slice %[[T1]][0, 0, 5, 0] [1, 2, 1, 7]
// CHECK: %[[T2:.*]] = tensor.insert_slice %{{.*}}[0, 0, 5, 0] [1, 2, 1, 7]
// CHECK: tensor.extract_slice %[[T2]][0, 0, 1, 0] [1, 2, 4, 1]
// CHECK: %[[T3:.*]] = tensor.insert_slice %{{.*}}[0, 0, 1, 0] [1, 2, 4, 1]
// CHECK: tensor.extract_slice %[[T3]][0, 0, 1, 6] [1, 2, 4, 1]
// CHECK: %[[T4:.*]] = tensor.insert_slice %{{.*}}[0, 0, 1, 6] [1, 2, 4, 1]
// CHECK: %[[IN:.*]] = tensor.extract_slice %[[T4]][0, 0, 1, 1] [1, 2, 4, 5]
// CHECK: %[[G:.*]] = linalg.generic {{.*}} outs(%[[IN]] : tensor<1x2x4x5xf32>)
// CHECK: %[[R:.*]] = tensor.insert_slice %[[G]] into %[[T4]][0, 0, 1, 1] [1, 2, 4, 5]
// CHECK-NOT: tensor.pad
// CHECK: return %[[R]]
// BUF-LABEL: func.func @producer_in_place
// BUF: %[[A:.*]] = memref.alloc() {{.*}} : memref<1x2x6x7xf32>
// BUF-COUNT-4: linalg.fill
// BUF: %[[V:.*]] = memref.subview %[[A]][0, 0, 1, 1] [1, 2, 4, 5]
// BUF: linalg.generic {{.*}} outs(%[[V]]
// BUF-NOT: memref.copy
// BUF: return %[[A]]
func.func @producer_in_place(%x: tensor<1x2x4x5xf32>) -> tensor<1x2x6x7xf32> {
  %e = tensor.empty() : tensor<1x2x4x5xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x2x4x5xf32>) outs(%e : tensor<1x2x4x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<1x2x4x5xf32>
  %c = arith.constant 0.0 : f32
  %p = tensor.pad %g low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %c : f32
  } : tensor<1x2x4x5xf32> to tensor<1x2x6x7xf32>
  return %p : tensor<1x2x6x7xf32>
}

// -----
// A source with no producer to redirect (a function argument) is copied into
// the interior; the border is still filled side by side. Padding on one side
// of one dim only gives one fill.
// CHECK-LABEL: func.func @argument
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3x7xi8>
// CHECK: tensor.extract_slice %[[E]][0, 5] [3, 2]
// CHECK: linalg.fill
// CHECK-NOT: linalg.fill
// CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 0] [3, 5]
// BUF-LABEL: func.func @argument
// BUF: linalg.fill
// BUF: memref.copy %arg0
func.func @argument(%x: tensor<3x5xi8>) -> tensor<3x7xi8> {
  %c = arith.constant -3 : i8
  %p = tensor.pad %x low[0, 0] high[0, 2] {
  ^bb0(%i: index, %j: index):
    tensor.yield %c : i8
  } : tensor<3x5xi8> to tensor<3x7xi8>
  return %p : tensor<3x7xi8>
}

// -----
// The producer's result has another use: it keeps its own buffer.
// CHECK-LABEL: func.func @other_use
// CHECK: %[[G:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4xf32>)
// CHECK: tensor.empty() : tensor<6xf32>
// CHECK: tensor.insert_slice %[[G]] into
func.func @other_use(%x: tensor<4xf32>) -> (tensor<6xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(d) -> (d)>, affine_map<(d) -> (d)>], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.negf %a : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %c = arith.constant 1.0 : f32
  %p = tensor.pad %g low[1] high[1] {
  ^bb0(%i: index):
    tensor.yield %c : f32
  } : tensor<4xf32> to tensor<6xf32>
  return %p, %g : tensor<6xf32>, tensor<4xf32>
}

// -----
// A padding value computed after the producer: no redirect (the border cannot
// be built before it), still side by side fills.
// CHECK-LABEL: func.func @late_value
// CHECK: %[[G:.*]] = linalg.generic
// CHECK: %[[V:.*]] = arith.addf
// CHECK: linalg.fill ins(%[[V]] : f32)
// CHECK: tensor.insert_slice %[[G]]
func.func @late_value(%x: tensor<4xf32>, %s: f32) -> tensor<6xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(d) -> (d)>, affine_map<(d) -> (d)>], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.negf %a : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %v = arith.addf %s, %s : f32
  %p = tensor.pad %g low[1] high[1] {
  ^bb0(%i: index):
    tensor.yield %v : f32
  } : tensor<4xf32> to tensor<6xf32>
  return %p : tensor<6xf32>
}

// -----
// Left alone: dynamic shapes, and a padding value that depends on the index.
// CHECK-LABEL: func.func @left_alone
// CHECK: tensor.pad
// CHECK: tensor.pad
// CHECK-NOT: linalg.fill
func.func @left_alone(%x: tensor<?xf32>, %y: tensor<4xf32>) -> (tensor<?xf32>, tensor<6xf32>) {
  %c = arith.constant 0.0 : f32
  %p = tensor.pad %x low[1] high[1] {
  ^bb0(%i: index):
    tensor.yield %c : f32
  } : tensor<?xf32> to tensor<?xf32>
  %q = tensor.pad %y low[1] high[1] {
  ^bb0(%i: index):
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    tensor.yield %f : f32
  } : tensor<4xf32> to tensor<6xf32>
  return %p, %q : tensor<?xf32>, tensor<6xf32>
}

// -----
// Through a collapse_shape (a split upscaling loop): the producer's init is
// the interior slice expanded with the collapse's reassociation.
// CHECK-LABEL: func.func @through_collapse
// CHECK: %[[IN:.*]] = tensor.extract_slice %{{.*}}[1, 1] [4, 6] [1, 1] : tensor<6x8xf32> to tensor<4x6xf32>
// CHECK: %[[X:.*]] = tensor.expand_shape %[[IN]] {{\[}}[0, 1], [2, 3]] output_shape [2, 2, 3, 2]
// CHECK: %[[G:.*]] = linalg.generic {{.*}} outs(%[[X]] : tensor<2x2x3x2xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[G]]
// CHECK: tensor.insert_slice %[[C]] into %{{.*}}[1, 1] [4, 6]
// BUF-LABEL: func.func @through_collapse
// BUF-NOT: memref.copy
// BUF: return
func.func @through_collapse(%s: tensor<2x3xf32>) -> tensor<6x8xf32> {
  %e = tensor.empty() : tensor<2x2x3x2xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, c)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<2x3xf32>) outs(%e : tensor<2x2x3x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x2x3x2xf32>
  %c = tensor.collapse_shape %g [[0, 1], [2, 3]] : tensor<2x2x3x2xf32> into tensor<4x6xf32>
  %z = arith.constant 0.0 : f32
  %p = tensor.pad %c low[1, 1] high[1, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %z : f32
  } : tensor<4x6xf32> to tensor<6x8xf32>
  return %p : tensor<6x8xf32>
}
