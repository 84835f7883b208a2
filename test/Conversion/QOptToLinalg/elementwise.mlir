// RUN: qopt-opt %s --convert-qopt-to-linalg --split-input-file | FileCheck %s
// Elementwise ops: numpy broadcasting maps, signedness from the original type.

// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[BC:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @binary
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[BC]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
func.func @binary(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = qopt.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----
// CHECK: #[[B0:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @size_one_broadcast
// CHECK: indexing_maps = [#[[B0]],
func.func @size_one_broadcast(%a: tensor<1x3xf32>, %b: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = qopt.mul %a, %b : (tensor<1x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----
// CHECK-LABEL: func.func @unsigned_div(%{{.*}}: tensor<4xi8>, %{{.*}}: tensor<4xi8>) -> tensor<4xi8>
// CHECK: arith.divui
func.func @unsigned_div(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %0 = qopt.div %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----
// CHECK-LABEL: func.func @dynamic_relu
// CHECK: %[[D:.*]] = tensor.dim %arg0, %c0
// CHECK: tensor.empty(%[[D]]) : tensor<?x8xf32>
// CHECK: arith.maximumf
func.func @dynamic_relu(%a: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = qopt.relu %a : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----
// CHECK-LABEL: func.func @compare
// CHECK: arith.cmpi slt
// CHECK: tensor<4xi1>
func.func @compare(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi1> {
  %0 = qopt.less %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----
// CHECK-LABEL: func.func @unsigned_compare
// CHECK: arith.cmpi ult
func.func @unsigned_compare(%a: tensor<4xui32>, %b: tensor<4xui32>) -> tensor<4xi1> {
  %0 = qopt.less %a, %b : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----
// CHECK-LABEL: func.func @cast
// CHECK: arith.fptoui %{{.*}} : f32 to i8
func.func @cast(%a: tensor<4xf32>) -> tensor<4xui8> {
  %0 = qopt.cast %a {to = ui8} : (tensor<4xf32>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----
// CHECK-LABEL: func.func @gelu
// CHECK: math.erf
func.func @gelu(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qopt.gelu %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----
// CHECK-LABEL: func.func @sigmoid
// CHECK: math.exp
// CHECK: arith.divf
func.func @sigmoid(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qopt.sigmoid %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----
// CHECK-LABEL: func.func @python_mod
// CHECK: arith.remsi
// CHECK: arith.select
func.func @python_mod(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = qopt.mod %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----
// CHECK-LABEL: func.func @clip
// CHECK: tensor.extract
// CHECK: arith.maxnumf
// CHECK: arith.minnumf
func.func @clip(%a: tensor<4xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> tensor<4xf32> {
  %0 = qopt.clip %a, %lo, %hi : (tensor<4xf32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----
// CHECK-LABEL: func.func @where
// CHECK: arith.select
func.func @where(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<1xf32>) -> tensor<4xf32> {
  %0 = qopt.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
