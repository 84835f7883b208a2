// RUN: qopt-opt %s --convert-qopt-to-linalg="runtime-checks=true" --split-input-file | FileCheck %s
// RUN: qopt-opt %s --convert-qopt-to-linalg --split-input-file | FileCheck %s --check-prefix=OFF
// Values known only at run time that ONNX constrains (Gather indices in
// [-n, n), axes in range and different, steps not 0, split sizes adding up,
// squeezed dims of 1, positive scales): with runtime-checks each gets a
// cf.assert naming the node; without it (the GPU target) none. Gather
// indices are checked by their minimum and maximum; constant ones need no
// check at run time.

// OFF-NOT: cf.assert

// CHECK-LABEL: func.func @gather
// CHECK: %[[EXT:.*]]:2 = linalg.generic {{.*}}iterator_types = ["reduction"]{{.*}} ins(%arg1 : tensor<3xi64>)
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: %[[LO:.*]] = tensor.extract %[[EXT]]#0[] : tensor<i64>
// CHECK: %[[HI:.*]] = tensor.extract %[[EXT]]#1[] : tensor<i64>
// CHECK: %[[N:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[NEG:.*]] = arith.subi %{{.*}}, %[[N]] : i64
// CHECK: %[[A:.*]] = arith.cmpi sge, %[[LO]], %[[NEG]] : i64
// CHECK: %[[B:.*]] = arith.cmpi slt, %[[HI]], %[[N]] : i64
// CHECK: %[[OK:.*]] = arith.andi %[[A]], %[[B]] : i1
// CHECK: cf.assert %[[OK]], "node 'emb' (Gather): an index is outside [-5, 5) of data's axis 0"
// CHECK: tensor.extract %arg0
func.func @gather(%a: tensor<5x4xf32>, %i: tensor<3xi64>) -> tensor<3x4xf32> {
  %0 = qopt.gather %a, %i {axis = 0 : i64} : (tensor<5x4xf32>, tensor<3xi64>) -> tensor<3x4xf32> loc(fused<"onnx.Gather">["emb"])
  return %0 : tensor<3x4xf32>
}

// -----
// i32 indices widen to i64; a dynamic axis gives the range symbolically.
// CHECK-LABEL: func.func @gather_elements_dynamic
// CHECK: %[[DIM:.*]] = tensor.dim %arg0, %c1
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]
// CHECK: arith.extsi %{{.*}} : i32 to i64
// CHECK: arith.index_cast %[[DIM]] : index to i64
// CHECK: cf.assert %{{.*}}, "node 'ge' (GatherElements): an index is outside [-n, n) of data's axis 1"
func.func @gather_elements_dynamic(%x: tensor<3x?xf32>, %i: tensor<2x4xi32>) -> tensor<2x4xf32> {
  %0 = qopt.gather_elements %x, %i {axis = 1 : i64} : (tensor<3x?xf32>, tensor<2x4xi32>) -> tensor<2x4xf32> loc(fused<"onnx.GatherElements">["ge"])
  return %0 : tensor<2x4xf32>
}

// -----
// Constant indices against a dynamic axis: their extremes (computed here)
// against the axis at run time.
// CHECK-LABEL: func.func @gather_constant_dynamic_axis
// CHECK-NOT: linalg.generic {{.*}}reduction
// CHECK-DAG: %[[LO:.*]] = arith.constant -2 : i64
// CHECK-DAG: %[[HI:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[DIM:.*]] = tensor.dim %arg0, %c0
// CHECK: %[[N:.*]] = arith.index_cast %[[DIM]] : index to i64
// CHECK: %[[NEG:.*]] = arith.subi %{{.*}}, %[[N]] : i64
// CHECK: arith.cmpi sge, %[[LO]], %[[NEG]] : i64
// CHECK: arith.cmpi slt, %[[HI]], %[[N]] : i64
// CHECK: cf.assert %{{.*}}, "node 'g' (Gather): an index is outside [-n, n) of data's axis 0"
func.func @gather_constant_dynamic_axis(%a: tensor<?x4xf32>) -> tensor<3x4xf32> {
  %i = qopt.constant dense<[5, -2, 0]> : tensor<3xi64>
  %0 = qopt.gather %a, %i {axis = 0 : i64} : (tensor<?x4xf32>, tensor<3xi64>) -> tensor<3x4xf32> loc(fused<"onnx.Gather">["g"])
  return %0 : tensor<3x4xf32>
}

// -----
// Constant indices in range of a static axis: nothing to check at run time.
// CHECK-LABEL: func.func @gather_constant
// CHECK-NOT: cf.assert
// CHECK: return
func.func @gather_constant(%a: tensor<5x4xf32>) -> tensor<2x4xf32> {
  %i = qopt.constant dense<[4, -5]> : tensor<2xi64>
  %0 = qopt.gather %a, %i {axis = 0 : i64} : (tensor<5x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----
// Slice with run-time axes and steps: the axes in range and different, no
// step 0.
// CHECK-LABEL: func.func @slice_runtime
// CHECK: tensor.extract %arg3
// CHECK: tensor.extract %arg3
// CHECK: %[[A0:.*]] = arith.select {{.*}} : index
// CHECK: %[[A1:.*]] = arith.select {{.*}} : index
// CHECK: tensor.extract %arg4
// CHECK: tensor.extract %arg4
// CHECK: %[[Z:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[R:.*]] = arith.constant 2 : index
// CHECK: arith.cmpi sge, %[[A0]], %[[Z]] : index
// CHECK: arith.cmpi slt, %[[A0]], %[[R]] : index
// CHECK: arith.cmpi sge, %[[A1]], %[[Z]] : index
// CHECK: arith.cmpi slt, %[[A1]], %[[R]] : index
// CHECK: arith.cmpi ne, %[[A1]], %[[A0]] : index
// CHECK: cf.assert %{{.*}}, "node 'sl' (Slice): the axes must lie in [-2, 2) and differ"
// CHECK: arith.cmpi ne, %{{.*}}, %{{.*}} : index
// CHECK: arith.cmpi ne, %{{.*}}, %{{.*}} : index
// CHECK: cf.assert %{{.*}}, "node 'sl' (Slice): a step is 0"
func.func @slice_runtime(%x: tensor<6x8xf32>, %s: tensor<2xi64>, %e: tensor<2xi64>, %a: tensor<2xi64>, %st: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = qopt.slice %x, %s, %e, %a, %st : (tensor<6x8xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32> loc(fused<"onnx.Slice">["sl"])
  return %0 : tensor<?x?xf32>
}

// -----
// Squeeze by run-time axes: in range, different, and each squeezed dim 1.
// CHECK-LABEL: func.func @squeeze_runtime
// CHECK: cf.assert %{{.*}}, "node 'sq' (Squeeze): the axes must lie in [-3, 3) and differ"
// CHECK: cf.assert %{{.*}}, "node 'sq' (Squeeze): a squeezed dim is not 1"
func.func @squeeze_runtime(%x: tensor<1x4x1xf32>, %a: tensor<2xi64>) -> tensor<4xf32> {
  %0 = qopt.squeeze %x, %a : (tensor<1x4x1xf32>, tensor<2xi64>) -> tensor<4xf32> loc(fused<"onnx.Squeeze">["sq"])
  return %0 : tensor<4xf32>
}

// -----
// Unsqueeze: the axes against the result's rank; no size condition.
// CHECK-LABEL: func.func @unsqueeze_runtime
// CHECK: cf.assert %{{.*}}, "node 'us' (Unsqueeze): the axes must lie in [-3, 3) and differ"
// CHECK-NOT: cf.assert
func.func @unsqueeze_runtime(%x: tensor<4xf32>, %a: tensor<2xi64>) -> tensor<?x?x?xf32> {
  %0 = qopt.unsqueeze %x, %a : (tensor<4xf32>, tensor<2xi64>) -> tensor<?x?x?xf32> loc(fused<"onnx.Unsqueeze">["us"])
  return %0 : tensor<?x?x?xf32>
}

// -----
// Split by run-time sizes: none negative, their sum the axis.
// CHECK-LABEL: func.func @split_runtime
// CHECK: arith.cmpi sge
// CHECK: %[[S0:.*]] = arith.constant 6 : index
// CHECK-NEXT: arith.cmpi sle, %{{.*}}, %[[S0]] : index
// CHECK: arith.cmpi sge
// CHECK: %[[S1:.*]] = arith.constant 6 : index
// CHECK-NEXT: arith.cmpi sle, %{{.*}}, %[[S1]] : index
// CHECK: %[[S:.*]] = arith.constant 6 : index
// CHECK-NEXT: arith.cmpi eq, %{{.*}}, %[[S]] : index
// CHECK: cf.assert %{{.*}}, "node 'sp' (Split): the split sizes must be non-negative and add up to the axis"
func.func @split_runtime(%x: tensor<6x4xf32>, %s: tensor<2xi64>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %0:2 = qopt.split %x, %s {axis = 0 : i64} : (tensor<6x4xf32>, tensor<2xi64>) -> (tensor<?x4xf32>, tensor<?x4xf32>) loc(fused<"onnx.Split">["sp"])
  return %0#0, %0#1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----
// ReduceSum over run-time axes: with keepdims a repeated axis is fine (as
// in onnxruntime), without it changes the rank. CumSum along a run-time
// axis.
// CHECK-LABEL: func.func @reduce_runtime
// CHECK-NOT: arith.cmpi ne
// CHECK: cf.assert %{{.*}}, "node 'rs' (ReduceSum): the axes must lie in [-2, 2)"
// CHECK-LABEL: func.func @reduce_runtime_nokeep
// CHECK: arith.cmpi ne
// CHECK: cf.assert %{{.*}}, "node 'rn' (ReduceSum): the axes must lie in [-3, 3) and differ"
func.func @reduce_runtime(%x: tensor<3x4xf32>, %a: tensor<1xi64>) -> tensor<?x?xf32> {
  %0 = qopt.reduce_sum %x, %a {keepdims = 1 : i64} : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<?x?xf32> loc(fused<"onnx.ReduceSum">["rs"])
  return %0 : tensor<?x?xf32>
}
func.func @reduce_runtime_nokeep(%x: tensor<3x4x5xf32>, %a: tensor<2xi64>) -> tensor<?xf32> {
  %0 = qopt.reduce_sum %x, %a {keepdims = 0 : i64} : (tensor<3x4x5xf32>, tensor<2xi64>) -> tensor<?xf32> loc(fused<"onnx.ReduceSum">["rn"])
  return %0 : tensor<?xf32>
}
// CHECK-LABEL: func.func @cumsum_runtime
// CHECK: cf.assert %{{.*}}, "node 'cs' (CumSum): the axes must lie in [-2, 2)"
func.func @cumsum_runtime(%x: tensor<3x4xf32>, %a: tensor<i64>) -> tensor<3x4xf32> {
  %0 = qopt.cumsum %x, %a : (tensor<3x4xf32>, tensor<i64>) -> tensor<3x4xf32> loc(fused<"onnx.CumSum">["cs"])
  return %0 : tensor<3x4xf32>
}

// -----
// Resize by run-time scales: every scale positive.
// CHECK-LABEL: func.func @resize_runtime
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf olt
// CHECK: cf.assert %[[OK:.*]], "node 'rz' (Resize): a scale is not positive or makes a size past 2^40"
// A failed check makes the resized sizes 0.
// CHECK: arith.select %[[OK]]
func.func @resize_runtime(%x: tensor<1x1x2x2xf32>, %s: tensor<4xf32>) -> tensor<?x?x?x?xf32> {
  %n = qopt.none
  %0 = qopt.resize %x, %n, %s, %n {mode = "nearest"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<?x?x?x?xf32> loc(fused<"onnx.Resize">["rz"])
  return %0 : tensor<?x?x?x?xf32>
}
