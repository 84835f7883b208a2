// RUN: qopt-opt %s --convert-qopt-to-linalg --canonicalize --split-input-file -verify-diagnostics | FileCheck %s
// qopt.hadamard: log2(2^k) butterfly generics (each reading the two halves
// of a pair through constant-index maps), then the base order's matrix;
// 1/sqrt(n) folded into the last step. RMS normalization as a sum of
// squares and one normalizing generic.

// n = 8 = 2^3: three butterflies, the last one scaled by 1/sqrt(8).
// CHECK-LABEL: func.func @sylvester
// CHECK: %[[S:.*]] = arith.constant 0.353553385 : f32
// CHECK-COUNT-2: arith.subf
// CHECK: %[[D:.*]] = arith.subf
// CHECK: %[[R:.*]] = arith.select %{{.*}}, %{{.*}}, %[[D]]
// CHECK: arith.mulf %[[R]], %[[S]]
// CHECK-NOT: linalg.generic
func.func @sylvester(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = qopt.hadamard %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----
// n = 24 = 12 * 2: one butterfly, then the 12 x 12 Paley matrix (entries
// +-1/sqrt(24)) contracted over the blocks.
// CHECK-LABEL: func.func @paley
// CHECK: %[[H:.*]] = arith.constant dense<{{.*}}> : tensor<12x12xf32>
// CHECK: linalg.generic
// CHECK: arith.select
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]{{.*}}ins(%{{.*}}, %[[H]] : tensor<2x3x12x2xf32>, tensor<12x12xf32>)
func.func @paley(%x: tensor<2x3x24xf32>) -> tensor<2x3x24xf32> {
  %0 = qopt.hadamard %x : (tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  return %0 : tensor<2x3x24xf32>
}

// -----
// The mean of squares (sum / 16) plus epsilon, its rsqrt, times x and gamma.
// CHECK-LABEL: func.func @rms
// CHECK-DAG: %[[EPS:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[N:.*]] = arith.constant 1.600000e+01 : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[MEAN:.*]] = arith.divf %{{.*}}, %[[N]]
// CHECK: %[[V:.*]] = arith.addf %[[MEAN]], %[[EPS]]
// CHECK: math.rsqrt %[[V]]
// CHECK: arith.mulf
func.func @rms(%x: tensor<?x16xf32>, %g: tensor<16xf32>) -> tensor<?x16xf32> {
  %0 = qopt.rms_normalization %x, %g {epsilon = 0.25 : f32} : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----
func.func @dynamic_width(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  // expected-error @+2 {{cannot lower 'qopt.hadamard': the transformed (last) dimension must be static}}
  // expected-error @+1 {{failed to legalize operation 'qopt.hadamard'}}
  %0 = qopt.hadamard %x : (tensor<4x?xf32>) -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}
