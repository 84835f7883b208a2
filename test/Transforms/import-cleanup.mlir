// qopt-import-cleanup (buildImportCleanupPipeline): what runs right after
// ONNX import.
// RUN: qopt-opt %s --qopt-import-cleanup --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PIPE
// RUN: qopt-opt %s --qopt-import-cleanup | FileCheck %s
// PIPE: Pass Manager with 5 passes:
// PIPE-NEXT: builtin.module(
// PIPE-NEXT: canonicalize{{.*}},
// PIPE-NEXT: func.func(
// PIPE-NEXT: qopt-refine-shapes
// PIPE-NEXT: ),
// PIPE-NEXT: func.func(
// PIPE-NEXT: qopt-fold-batchnorm
// PIPE-NEXT: ),
// PIPE-NEXT: canonicalize{{.*}},
// PIPE-NEXT: cse
// PIPE-NEXT: )

// The BatchNormalization is folded into the Conv: W' = W * 2 / sqrt(1 + 0).
// CHECK-LABEL: func.func @main
// CHECK: qopt.constant dense<2.000000e+00> : tensor<2x2x1x1xf32>
// CHECK: qopt.conv
// CHECK-NOT: qopt.batch_normalization
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = qopt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %b = qopt.constant dense<0.0> : tensor<2xf32>
  %s = qopt.constant dense<2.0> : tensor<2xf32>
  %m = qopt.constant dense<0.0> : tensor<2xf32>
  %v = qopt.constant dense<1.0> : tensor<2xf32>
  %0 = qopt.conv %x, %w, %b : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %1 = qopt.batch_normalization %0, %s, %b, %m, %v {epsilon = 0.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}
