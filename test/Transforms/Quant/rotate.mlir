// RUN: %python -c "import numpy; numpy.save('%t.eye.npy', numpy.eye(4)); numpy.save('%t.bad.npy', 2 * numpy.eye(4)); numpy.save('%t.shape.npy', numpy.eye(3, dtype=numpy.float32))"
// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-rotate{matrix=%t.eye.npy}))' 2>/dev/null | FileCheck %s
// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-rotate{seed=3}))' 2>/dev/null | FileCheck %s --check-prefix=SEED
// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-rotate{seed=3}))' 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-rotate{matrix=%t.bad.npy}))' 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-rotate{matrix=%t.shape.npy}))' 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-rotate{matrix=%t.none.npy}))' 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: qopt-rotate: cannot read {{.*}}none.npy: No such file or directory
// BAD: error: qopt-rotate: {{.*}}bad.npy is not orthogonal (max |R R^T - I| = 3.000000e+00)
// SHAPE: error: qopt-rotate: {{.*}}shape.npy is 3x3 but the residual stream this RMS norm reads is 4 wide

// A residual stream: written by an embedding table and a linear layer, read
// by two RMS norms that feed linear layers. With R = I (matrix=eye) the
// weights show the folding alone: gamma into the readers' rows, norm scales
// become ones; the output projection's input is not in the stream, so it
// gets an online Hadamard and H^T (H_4 / 2, symmetric) folded into its
// weight (the identity here).
// CHECK-LABEL: func.func @stream
// CHECK: %[[X:.*]] = qopt.gather
// CHECK: %[[N:.*]] = qopt.rms_normalization %[[X]], %[[ONE:[^ ]*]]
// CHECK: %[[WQ:.*]] = qopt.constant dense<{{\[}}[2.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 3.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 4.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 5.000000e+00]]>
// CHECK: %[[Q:.*]] = qopt.matmul %[[N]], %[[WQ]]
// CHECK: %[[H:.*]] = qopt.hadamard %[[Q]]
// CHECK: %[[WO:.*]] = qopt.constant dense<{{\[}}[5.000000e-01, 5.000000e-01, 5.000000e-01, 5.000000e-01], [5.000000e-01, -5.000000e-01, 5.000000e-01, -5.000000e-01], [5.000000e-01, 5.000000e-01, -5.000000e-01, -5.000000e-01], [5.000000e-01, -5.000000e-01, -5.000000e-01, 5.000000e-01]]>
// CHECK: qopt.matmul %[[H]], %[[WO]]
// CHECK: qopt.rms_normalization %{{.*}}, %[[ONE2:[^ ]*]]
// SEED-LABEL: func.func @stream
// SEED: qopt.hadamard
// SEED-NOT: qopt.hadamard
// SEED: return
func.func @stream(%ids: tensor<?xi64>) -> tensor<?x3xf32> {
  %t = qopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]]> : tensor<5x4xf32>
  %g = qopt.constant dense<[2.0, 3.0, 4.0, 5.0]> : tensor<4xf32>
  %g2 = qopt.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  %eye = qopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %wh = qopt.constant dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>
  %x = qopt.gather %t, %ids {axis = 0 : i64} : (tensor<5x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
  %n = qopt.rms_normalization %x, %g : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %q = qopt.matmul %n, %eye : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %o = qopt.matmul %q, %eye : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %x2 = qopt.add %x, %o : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %n2 = qopt.rms_normalization %x2, %g2 : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %y = qopt.matmul %n2, %wh : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----
// A stream that is also a graph output cannot be rotated (the output would
// change), nor one that a graph input joins: a remark on the norm says why
// (a note points at the op); the norm's gamma still goes into its reader,
// which then gets an online Hadamard of its own.
// REMARK-NOT: remark
// REMARK: rotate.mlir:[[# @LINE + 15]]:{{.*}} remark: qopt-rotate: not rotating the residual stream this RMS norm reads: the stream is a graph output
// REMARK: rotate.mlir:[[# @LINE + 18]]:{{.*}} note: here
// REMARK: rotate.mlir:[[# @LINE + 15]]:{{.*}} remark: qopt-rotate: not rotating the residual stream this RMS norm reads: a graph input joins the stream
// REMARK-NOT: remark
// CHECK-LABEL: func.func @blocked
// CHECK: %[[N:.*]] = qopt.rms_normalization %{{.*}}, %[[ONE:[^ ]*]]
// CHECK: %[[H:.*]] = qopt.hadamard %[[N]]
// CHECK: qopt.matmul %[[H]]
// CHECK: qopt.rms_normalization %arg1
// CHECK: qopt.hadamard
func.func @blocked(%ids: tensor<?xi64>, %x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %t = qopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]> : tensor<2x4xf32>
  %g = qopt.constant dense<[2.0, 3.0, 4.0, 5.0]> : tensor<4xf32>
  %eye = qopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %e = qopt.gather %t, %ids {axis = 0 : i64} : (tensor<2x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
  %n = qopt.rms_normalization %e, %g : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %q = qopt.matmul %n, %eye : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %n2 = qopt.rms_normalization %x, %g : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %q2 = qopt.matmul %n2, %eye : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %q, %e, %q2 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}
