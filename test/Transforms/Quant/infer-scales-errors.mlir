// RUN: not qopt-opt %s --split-input-file --qopt-infer-scales="method=mse" 2>&1 | FileCheck %s

// CHECK: observer 'nostats' has no calibration statistics (min/max)
func.func @missing(%x: tensor<4xf32>) -> tensor<4xf32> {
  %o = qopt.observer %x {id = "nostats"} : tensor<4xf32>
  return %o : tensor<4xf32>
}

// -----

// CHECK: observer 'x' has no histogram; the 'mse' method needs one
func.func @nohist(%x: tensor<4xf32>) -> tensor<4xf32> {
  %o = qopt.observer %x {id = "x", min = -1.0 : f64, max = 3.0 : f64} : tensor<4xf32>
  return %o : tensor<4xf32>
}
