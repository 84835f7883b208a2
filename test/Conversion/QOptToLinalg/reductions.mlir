// RUN: qopt-opt %s --convert-qopt-to-linalg=reduction-lanes=16 --canonicalize --split-input-file | FileCheck %s
// RUN: qopt-opt %s --convert-qopt-to-linalg=reduction-lanes=8 --canonicalize --split-input-file | FileCheck %s --check-prefix=L8
// RUN: qopt-opt %s --convert-qopt-to-linalg --canonicalize --split-input-file | FileCheck %s --check-prefix=NOSPLIT
// RUN: not qopt-opt %s --convert-qopt-to-linalg=reduction-lanes=0 --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: reduction-lanes must be in [1, 1024], got 0
// Reductions, ArgMax, Softmax and LayerNormalization.

// CHECK-LABEL: func.func @reduce_mean_keepdims
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: tensor.expand_shape {{.*}} into tensor<3x1xf32>
func.func @reduce_mean_keepdims(%a: tensor<3x4xf32>) -> tensor<3x1xf32> {
  %ax = qopt.constant dense<[1]> : tensor<1xi64>
  %0 = qopt.reduce_mean %a, %ax : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  return %0 : tensor<3x1xf32>
}

// -----
// CHECK-LABEL: func.func @reduce_max_unsigned
// CHECK: arith.constant 0 : i8
// CHECK: arith.maxui
func.func @reduce_max_unsigned(%a: tensor<3x4xui8>) -> tensor<3xui8> {
  %ax = qopt.constant dense<[1]> : tensor<1xi64>
  %0 = qopt.reduce_max %a, %ax {keepdims = 0 : i64} : (tensor<3x4xui8>, tensor<1xi64>) -> tensor<3xui8>
  return %0 : tensor<3xui8>
}

// -----
// CHECK-LABEL: func.func @argmax
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<3xf32>, tensor<3xi64>)
// CHECK: arith.cmpf ogt
func.func @argmax(%a: tensor<3x4xf32>) -> tensor<3x1xi64> {
  %0 = qopt.argmax %a {axis = 1 : i64} : (tensor<3x4xf32>) -> tensor<3x1xi64>
  return %0 : tensor<3x1xi64>
}

// -----
// Softmax: max, exp(x - max), sum, divide. The max is a compare and select
// (maximumf's NaN and signed-zero rules are not needed: a NaN makes the row's
// sum NaN anyway), which vectorizes as maxps.
// CHECK-LABEL: func.func @softmax
// CHECK-NOT: arith.maximumf
// CHECK: %[[GT:.*]] = arith.cmpf ogt, %[[V:.*]], %[[ACC:.*]] : f32
// CHECK: arith.select %[[GT]], %[[V]], %[[ACC]] : f32
// CHECK-NOT: arith.maximumf
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: math.exp
// CHECK: arith.divf
func.func @softmax(%a: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = qopt.softmax %a {axis = -1 : i64} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----
// CHECK-LABEL: func.func @layer_norm
// CHECK: math.rsqrt
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @layer_norm(%a: tensor<2x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = qopt.layer_normalization %a, %s, %b {axis = -1 : i64} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----
// A float reduction over a long trailing axis is split into 16 interleaved
// lanes (a parallel lane dim the loop vectorizer can use without
// reassociating), merged in lane order, then the 4 elements past the last full
// group are combined.
// CHECK-LABEL: func.func @reduce_sum_lanes
// CHECK: %[[MAIN:.*]] = tensor.extract_slice %arg0[0, 0] [%{{.*}}, 96] [1, 1]
// CHECK: %[[G:.*]] = tensor.expand_shape %[[MAIN]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 6, 16]
// CHECK: %[[LANES:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[G]] : tensor<?x6x16xf32>) outs(%{{.*}} : tensor<?x16xf32>)
// CHECK: %[[MERGED:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[LANES]] : tensor<?x16xf32>)
// CHECK: %[[TAIL:.*]] = tensor.extract_slice %arg0[0, 96] [%{{.*}}, 4] [1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[TAIL]] : tensor<?x4xf32>) outs(%[[MERGED]] : tensor<?xf32>)
// The lane count is the target's (a pass option): 8 lanes give 12 groups and
// the same 4 left over; the default, 1, keeps one running value.
// L8-LABEL: func.func @reduce_sum_lanes
// L8: tensor.expand_shape {{.*}} output_shape [%{{.*}}, 12, 8]
// L8: tensor.extract_slice %arg0[0, 96] [%{{.*}}, 4] [1, 1]
// NOSPLIT-LABEL: func.func @reduce_sum_lanes
// NOSPLIT-NOT: tensor.expand_shape
// NOSPLIT: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<?x100xf32>)
// NOSPLIT-NOT: tensor.extract_slice
// NOSPLIT: return
func.func @reduce_sum_lanes(%a: tensor<?x100xf32>) -> tensor<?xf32> {
  %ax = qopt.constant dense<[1]> : tensor<1xi64>
  %0 = qopt.reduce_sum %a, %ax {keepdims = 0 : i64} : (tensor<?x100xf32>, tensor<1xi64>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----
// Several trailing axes are collapsed first; 8x8 = 64 splits into 4 groups
// with no tail.
// CHECK-LABEL: func.func @global_average_pool_lanes
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : tensor<2x3x8x8xf32> into tensor<2x3x64xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<2x3x4x16xf32>
// CHECK: iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.divf
func.func @global_average_pool_lanes(%a: tensor<2x3x8x8xf32>) -> tensor<2x3x1x1xf32> {
  %0 = qopt.global_average_pool %a : (tensor<2x3x8x8xf32>) -> tensor<2x3x1x1xf32>
  return %0 : tensor<2x3x1x1xf32>
}

// -----
// Not split: a reduced extent below 64, a leading reduced axis (the parallel
// inner dim vectorizes as it is), a dynamic reduced extent, an integer sum.
// CHECK-LABEL: func.func @reduce_not_split
// CHECK-NOT: tensor.expand_shape
// CHECK-NOT: tensor.extract_slice
// CHECK: return
func.func @reduce_not_split(%a: tensor<4x63xf32>, %b: tensor<100x4xf32>, %c: tensor<4x?xf32>, %d: tensor<4x100xi32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi32>) {
  %ax1 = qopt.constant dense<[1]> : tensor<1xi64>
  %ax0 = qopt.constant dense<[0]> : tensor<1xi64>
  %0 = qopt.reduce_sum %a, %ax1 {keepdims = 0 : i64} : (tensor<4x63xf32>, tensor<1xi64>) -> tensor<4xf32>
  %1 = qopt.reduce_sum %b, %ax0 {keepdims = 0 : i64} : (tensor<100x4xf32>, tensor<1xi64>) -> tensor<4xf32>
  %2 = qopt.reduce_sum %c, %ax1 {keepdims = 0 : i64} : (tensor<4x?xf32>, tensor<1xi64>) -> tensor<4xf32>
  %3 = qopt.reduce_sum %d, %ax1 {keepdims = 0 : i64} : (tensor<4x100xi32>, tensor<1xi64>) -> tensor<4xi32>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi32>
}

// -----
// Axes known at run time: each dim (but the size-1 one) reduced under an
// scf.if on "it is an axis"; the mean divides by the product of the reduced
// sizes; without keepdims the reduced dims are reshaped away at run time.
// CHECK-LABEL: func.func @reduce_mean_runtime_axes
// CHECK: %[[IS0:.*]] = arith.cmpi eq, %[[AX:.*]], %c0 : index
// CHECK: %[[N0:.*]] = arith.select %[[IS0]], %c3, %c1 : index
// CHECK: scf.if %[[IS0]] -> (tensor<?x1x4xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "parallel"]
// CHECK: arith.addf
// CHECK: } else {
// CHECK: tensor.cast %arg0 : tensor<3x1x4xf32> to tensor<?x1x4xf32>
// CHECK-NOT: arith.cmpi eq, %[[AX]], %c1
// CHECK: %[[IS2:.*]] = arith.cmpi eq, %[[AX]], %c2 : index
// CHECK: %[[N2:.*]] = arith.select %[[IS2]], %c4, %c1 : index
// CHECK: %[[N:.*]] = arith.muli %[[N0]], %[[N2]] : index
// CHECK: scf.if %[[IS2]] -> (tensor<?x1x?xf32>)
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: %[[NI:.*]] = arith.index_castui %[[N]] : index to i64
// CHECK: %[[NF:.*]] = arith.uitofp %[[NI]] : i64 to f32
// CHECK: arith.divf %{{.*}}, %[[NF]] : f32
// CHECK: tensor.reshape {{.*}} -> tensor<?x?xf32>
func.func @reduce_mean_runtime_axes(%x: tensor<3x1x4xf32>, %ax: tensor<1xi64>) -> tensor<?x?xf32> {
  %0 = qopt.reduce_mean %x, %ax {keepdims = 0 : i64} : (tensor<3x1x4xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----
// A run-time input of no axes is the empty list: everything reduced.
// CHECK-LABEL: func.func @reduce_sum_no_runtime_axes
// CHECK-NOT: scf.if
// CHECK: iterator_types = ["reduction", "reduction"]
func.func @reduce_sum_no_runtime_axes(%x: tensor<3x4xf32>, %ax: tensor<0xi64>) -> tensor<1x1xf32> {
  %0 = qopt.reduce_sum %x, %ax : (tensor<3x4xf32>, tensor<0xi64>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----
// CumSum: one more loop (d2) over the axis; reversed and exclusive, element
// k sums j > k, in ascending j.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @cumsum_reverse_exclusive
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: %[[J:.*]] = linalg.index 2 : index
// CHECK: %[[K:.*]] = linalg.index 1 : index
// CHECK: %[[TAKE:.*]] = arith.cmpi sgt, %[[J]], %[[K]] : index
// CHECK: %[[S:.*]] = arith.addf %out, %in : f32
// CHECK: arith.select %[[TAKE]], %[[S]], %out : f32
func.func @cumsum_reverse_exclusive(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %a = qopt.constant dense<-1> : tensor<i32>
  %0 = qopt.cumsum %x, %a {reverse = 1 : i64, exclusive = 1 : i64} : (tensor<3x4xf32>, tensor<i32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----
// An axis known at run time (0-D, negative wrapped): one scan per dim under
// scf.if; forward and inclusive, j <= k.
// CHECK-LABEL: func.func @cumsum_runtime_axis
// CHECK: %[[A:.*]] = tensor.extract %arg1[] : tensor<i32>
// CHECK: %[[AI:.*]] = arith.index_cast %[[A]] : i32 to index
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[AI]], %c0 : index
// CHECK: %[[W:.*]] = arith.addi %[[AI]], %c2 : index
// CHECK: %[[AX:.*]] = arith.select %[[NEG]], %[[W]], %[[AI]] : index
// CHECK: %[[IS0:.*]] = arith.cmpi eq, %[[AX]], %c0 : index
// CHECK: scf.if %[[IS0]] -> (tensor<3x4xi32>)
// CHECK: arith.cmpi sle
// CHECK: arith.addi %out, %in : i32
// CHECK: %[[IS1:.*]] = arith.cmpi eq, %{{.*}}, %c1 : index
// CHECK: scf.if %[[IS1]] -> (tensor<3x4xi32>)
func.func @cumsum_runtime_axis(%x: tensor<3x4xi32>, %a: tensor<i32>) -> tensor<3x4xi32> {
  %0 = qopt.cumsum %x, %a : (tensor<3x4xi32>, tensor<i32>) -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}
