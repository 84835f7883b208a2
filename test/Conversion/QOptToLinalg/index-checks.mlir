// RUN: qopt-opt %s --convert-qopt-to-linalg="index-checks=true" --split-input-file | FileCheck %s
// RUN: qopt-opt %s --convert-qopt-to-linalg --split-input-file | FileCheck %s --check-prefix=OFF
// Gather and GatherElements indices outside [-n, n) of the data's axis are
// an ONNX error. With index-checks, indices known only at run time get one
// cf.assert on their minimum and maximum, naming the node; without it (the
// GPU target) none. Constant indices need no check at run time.

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
// Constant indices in range: nothing to check at run time.
// CHECK-LABEL: func.func @gather_constant
// CHECK-NOT: cf.assert
// CHECK: return
func.func @gather_constant(%a: tensor<5x4xf32>) -> tensor<2x4xf32> {
  %i = qopt.constant dense<[4, -5]> : tensor<2xi64>
  %0 = qopt.gather %a, %i {axis = 0 : i64} : (tensor<5x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
