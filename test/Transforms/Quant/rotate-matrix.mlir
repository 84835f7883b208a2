// RUN: %python -c "import numpy; numpy.save('%t.perm.npy', numpy.array([[0, 1, 0, 0], [0, 0, -1, 0], [0, 0, 0, 1], [1, 0, 0, 0]], dtype=numpy.float32))"
// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-rotate{matrix=%t.perm.npy online=false}))' | FileCheck %s
// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-rotate{residual=false keep-float=matmul}))' | FileCheck %s --check-prefix=NONE
// The residual rotation with a non-symmetric orthogonal R (a signed
// permutation), no online transforms: every fold shows in the weights.
// Writers and the stream's table and bias get . R, readers R^T . diag(gamma),
// norm scales become ones.
// CHECK-LABEL: func.func @stream
// Table rows e0..e3, (1, 1, 1, 1) times R.
// CHECK: %[[T:.*]] = qopt.constant dense<{{\[}}[0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, -1.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00], [1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [1.000000e+00, 1.000000e+00, -1.000000e+00, 1.000000e+00]]>
// CHECK: %[[X:.*]] = qopt.gather %[[T]]
// CHECK: %[[ONE:.*]] = qopt.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK: %[[N:.*]] = qopt.rms_normalization %[[X]], %[[ONE]]
// R^T diag(2, 3, 4, 5) I.
// CHECK: %[[WQ:.*]] = qopt.constant dense<{{\[}}[0.000000e+00, 0.000000e+00, 0.000000e+00, 5.000000e+00], [2.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, -3.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 4.000000e+00, 0.000000e+00]]>
// CHECK: %[[Q:.*]] = qopt.matmul %[[N]], %[[WQ]]
// The writer: I . R.
// CHECK: %[[WO:.*]] = qopt.constant dense<{{\[}}[0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, -1.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00], [1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]>
// CHECK: qopt.matmul %[[Q]], %[[WO]]
// The bias (1, 2, 3, 4) . R.
// CHECK: %[[B:.*]] = qopt.constant dense<[4.000000e+00, 1.000000e+00, -2.000000e+00, 3.000000e+00]>
// CHECK: qopt.add %{{.*}}, %[[B]]
// CHECK: %[[ONE2:.*]] = qopt.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK: %[[N2:.*]] = qopt.rms_normalization %{{.*}}, %[[ONE2]]
// R^T diag(1, 1, 2, 2) Wh.
// CHECK: %[[WH:.*]] = qopt.constant dense<{{\[}}[2.000000e+00, 2.000000e+00, 2.000000e+00], [1.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, -1.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 2.000000e+00]]>
// CHECK: qopt.matmul %[[N2]], %[[WH]]
// CHECK-NOT: qopt.hadamard
// residual=false: nothing rotated; the norms' gamma goes into their readers
// (online step), but keep-float=matmul leaves every layer without a transform.
// NONE-LABEL: func.func @stream
// NONE-NOT: qopt.hadamard
// NONE: qopt.rms_normalization %{{.*}}, %[[ONE:.*]] :
// NONE-NOT: qopt.hadamard
// NONE: return
func.func @stream(%ids: tensor<?xi64>) -> tensor<?x3xf32> {
  %t = qopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]]> : tensor<5x4xf32>
  %g = qopt.constant dense<[2.0, 3.0, 4.0, 5.0]> : tensor<4xf32>
  %g2 = qopt.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  %b = qopt.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %eye = qopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %wh = qopt.constant dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>
  %x = qopt.gather %t, %ids {axis = 0 : i64} : (tensor<5x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
  %n = qopt.rms_normalization %x, %g : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %q = qopt.matmul %n, %eye : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %o = qopt.matmul %q, %eye : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %x2 = qopt.add %x, %o : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %x3 = qopt.add %x2, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %n2 = qopt.rms_normalization %x3, %g2 : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %y = qopt.matmul %n2, %wh : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
