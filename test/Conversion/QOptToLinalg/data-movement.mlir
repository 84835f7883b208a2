// RUN: qopt-opt %s --convert-qopt-to-linalg --canonicalize --split-input-file | FileCheck %s
// Data movement: views for reshapes, slices/inserts, generics with tensor.extract.

// CHECK-LABEL: func.func @reshape_static
// CHECK: tensor.collapse_shape
// CHECK-NOT: linalg.generic
func.func @reshape_static(%a: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  %s = qopt.constant dense<[6, 4]> : tensor<2xi64>
  %0 = qopt.reshape %a, %s : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// -----
// A negative Flatten axis counts from the rank: -1 on rank 4 is axis 3.
// CHECK-LABEL: func.func @flatten_negative_axis
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1, 2], [3]] : tensor<2x3x4x5xf32> into tensor<24x5xf32>
func.func @flatten_negative_axis(%a: tensor<2x3x4x5xf32>) -> tensor<24x5xf32> {
  %0 = qopt.flatten %a {axis = -1 : i64} : (tensor<2x3x4x5xf32>) -> tensor<24x5xf32>
  return %0 : tensor<24x5xf32>
}

// -----
// CHECK-LABEL: func.func @transpose
// CHECK: linalg.transpose ins(%arg0 : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x2x3xf32>) permutation = [2, 0, 1]
func.func @transpose(%a: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = qopt.transpose %a {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----
// CHECK-LABEL: func.func @concat
// CHECK: %[[D:.*]] = tensor.dim %arg0
// CHECK: tensor.empty(%[[D]]) : tensor<?x5xf32>
// CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 0]
// CHECK: tensor.insert_slice %arg1 into %{{.*}}[0, 3]
func.func @concat(%a: tensor<?x3xf32>, %b: tensor<?x2xf32>) -> tensor<?x5xf32> {
  %0 = qopt.concat %a, %b {axis = 1 : i64} : (tensor<?x3xf32>, tensor<?x2xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----
// CHECK-LABEL: func.func @slice_neg_step
// CHECK: linalg.generic
// CHECK: arith.muli %{{.*}}, %c-2
// CHECK: tensor.extract %arg0
func.func @slice_neg_step(%a: tensor<10xf32>) -> tensor<3xf32> {
  %st = qopt.constant dense<[8]> : tensor<1xi64>
  %en = qopt.constant dense<[2]> : tensor<1xi64>
  %ax = qopt.constant dense<[0]> : tensor<1xi64>
  %sp = qopt.constant dense<[-2]> : tensor<1xi64>
  %0 = qopt.slice %a, %st, %en, %ax, %sp : (tensor<10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----
// Runtime ends (a position table sliced to the sequence length): read from
// the tensor, clamped to [0, dim], the size computed at run time.
// CHECK-LABEL: func.func @slice_runtime_end
// CHECK: %[[E:.*]] = tensor.extract %arg1[%c0] : tensor<1xi64>
// CHECK: %[[I:.*]] = arith.index_cast %[[E]] : i64 to index
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[I]], %c0
// CHECK: %[[W:.*]] = arith.addi %[[I]], %c64
// CHECK: %[[SEL:.*]] = arith.select %[[NEG]], %[[W]], %[[I]]
// CHECK: %[[LO:.*]] = arith.maxsi %[[SEL]], %c0
// CHECK: %[[HI:.*]] = arith.minsi %[[LO]], %c64
// CHECK: %[[SZ:.*]] = arith.maxsi %[[HI]], %c0
// CHECK: tensor.extract_slice %arg0[0, 0] {{\[}}%[[SZ]], 8] [1, 1] : tensor<64x8xf32> to tensor<?x8xf32>
func.func @slice_runtime_end(%a: tensor<64x8xf32>, %n: tensor<1xi64>) -> tensor<?x8xf32> {
  %st = qopt.constant dense<[0]> : tensor<1xi64>
  %ax = qopt.constant dense<[0]> : tensor<1xi64>
  %n0 = qopt.none
  %0 = qopt.slice %a, %st, %n, %ax, %n0 : (tensor<64x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----
// CHECK-LABEL: func.func @gather
// CHECK: linalg.generic
// CHECK: arith.index_cast %in : i64 to index
// CHECK: arith.select
// CHECK: tensor.extract %arg0
func.func @gather(%a: tensor<5x4xf32>, %i: tensor<3xi64>) -> tensor<3x4xf32> {
  %0 = qopt.gather %a, %i {axis = 0 : i64} : (tensor<5x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----
// CHECK-LABEL: func.func @pad
// CHECK: tensor.pad %arg0 low[1, 0] high[1, 0]
func.func @pad(%a: tensor<2x3xf32>) -> tensor<4x3xf32> {
  %p = qopt.constant dense<[1, 0, 1, 0]> : tensor<4xi64>
  %n = qopt.none
  %0 = qopt.pad %a, %p, %n, %n {mode = "constant"} : (tensor<2x3xf32>, tensor<4xi64>, none, none) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----
// Split sizes known at run time: each clamped to what is left of the axis.
// CHECK-LABEL: func.func @split_runtime
// CHECK: %[[S0:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: %[[L0:.*]] = arith.maxsi %[[S0]], %c0 : index
// CHECK: %[[P0:.*]] = arith.minsi %[[L0]], %c9 : index
// CHECK: %[[LEFT:.*]] = arith.subi %c9, %[[P0]] : index
// CHECK: %[[S1:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: %[[L1:.*]] = arith.maxsi %[[S1]], %c0 : index
// CHECK: %[[P1:.*]] = arith.minsi %[[L1]], %[[LEFT]] : index
// CHECK: tensor.extract_slice %arg0[0, 0] [4, %[[P0]]] [1, 1]
// CHECK: tensor.extract_slice %arg0[0, %[[P0]]] [4, %[[P1]]] [1, 1]
func.func @split_runtime(%x: tensor<4x9xf32>, %s: tensor<2xi64>) -> (tensor<4x?xf32>, tensor<4x?xf32>) {
  %0:2 = qopt.split %x, %s {axis = 1 : i64} : (tensor<4x9xf32>, tensor<2xi64>) -> (tensor<4x?xf32>, tensor<4x?xf32>)
  return %0#0, %0#1 : tensor<4x?xf32>, tensor<4x?xf32>
}

// -----
// An empty axis: empty parts, no slice.
// CHECK-LABEL: func.func @split_empty_axis
// CHECK-NOT: extract_slice
// CHECK-COUNT-2: tensor.empty() : tensor<0xf32>
func.func @split_empty_axis(%x: tensor<0xf32>, %s: tensor<2xi64>) -> (tensor<0xf32>, tensor<0xf32>) {
  %0:2 = qopt.split %x, %s : (tensor<0xf32>, tensor<2xi64>) -> (tensor<0xf32>, tensor<0xf32>)
  return %0#0, %0#1 : tensor<0xf32>, tensor<0xf32>
}

// -----
// Axes and steps known at run time: each dim selects its start, end and
// step (a zero step taken as 1), both signs' clamping is computed and one
// chosen; the gather's indices stay inside the input.
// CHECK-LABEL: func.func @slice_runtime_axes_steps
// CHECK: %[[IS0:.*]] = arith.cmpi eq, %{{.*}}, %c0 : index
// CHECK: %[[STEP:.*]] = arith.select %[[IS0]], %{{.*}}, %c1 : index
// CHECK: %[[ZERO:.*]] = arith.cmpi eq, %[[STEP]], %c0 : index
// CHECK: %[[STEP1:.*]] = arith.select %[[ZERO]], %c1, %[[STEP]] : index
// CHECK: %[[POS:.*]] = arith.cmpi sgt, %[[STEP1]], %c0 : index
// CHECK: arith.ceildivsi %{{.*}}, %[[STEP1]] : index
// CHECK: %[[NEG:.*]] = arith.subi %c0, %[[STEP1]] : index
// CHECK: arith.ceildivsi %{{.*}}, %[[NEG]] : index
// CHECK: %[[OFF0:.*]] = arith.select %[[POS]]
// CHECK: tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?xf32>
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: %[[M:.*]] = arith.muli %[[I]], %[[STEP1]] : index
// CHECK: %[[AT:.*]] = arith.addi %[[OFF0]], %[[M]] : index
// CHECK: %[[LO:.*]] = arith.maxsi %[[AT]], %c0 : index
// CHECK: %[[R:.*]] = arith.minsi %[[LO]], %c5 : index
// CHECK: tensor.extract %arg0[%[[R]], %{{.*}}] : tensor<6x5xf32>
func.func @slice_runtime_axes_steps(%x: tensor<6x5xf32>, %st: tensor<1xi64>, %en: tensor<1xi64>, %ax: tensor<1xi64>, %sp: tensor<1xi64>) -> tensor<?x?xf32> {
  %0 = qopt.slice %x, %st, %en, %ax, %sp : (tensor<6x5xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}
