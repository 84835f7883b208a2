// RUN: qopt-opt %s -qopt-refine-shapes -split-input-file -verify-diagnostics | FileCheck %s

// Folding the shape chain makes the Reshape, and everything after it, static;
// the function signature follows.
// CHECK-LABEL: func @reshape_chain
// CHECK-SAME: -> tensor<1x144xf32>
// CHECK: qopt.reshape {{.*}} -> tensor<1x144xf32>
// CHECK: qopt.relu {{.*}} -> tensor<1x144xf32>
func.func @reshape_chain(%x: tensor<1x3x48xf32>) -> tensor<?x?xf32> {
  %s = qopt.shape %x : (tensor<1x3x48xf32>) -> tensor<3xi64>
  %i = qopt.constant dense<0> : tensor<1xi64>
  %g = qopt.gather %s, %i : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %m = qopt.constant dense<-1> : tensor<1xi64>
  %c = qopt.concat %g, %m {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<?xi64>
  %r = qopt.reshape %x, %c : (tensor<1x3x48xf32>, tensor<?xi64>) -> tensor<*xf32>
  %y = qopt.relu %r : (tensor<*xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// reshape(x, shape(x)) keeps x's type even when x is dynamic.
// CHECK-LABEL: func @reshape_self
// CHECK-SAME: -> tensor<?x4xf32>
func.func @reshape_self(%x: tensor<?x4xf32>) -> tensor<*xf32> {
  %s = qopt.shape %x : (tensor<?x4xf32>) -> tensor<2xi64>
  %r = qopt.reshape %x, %s : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

func.func @conflict_after_folding(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %a = qopt.constant dense<[3, 2]> : tensor<2xi64>
  %b = qopt.constant dense<1> : tensor<2xi64>
  // Only after folding does the reshape see its target shape [4, 3].
  %s = qopt.add %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  // expected-error @+1 {{cannot reshape 'tensor<2x3xf32>' into [4, 3]}}
  %r = qopt.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}
