// RUN: qopt-opt %s --split-input-file --verify-diagnostics

// GridSample's verifier: modes, padding modes and the shapes it samples.
func.func @mode(%x: tensor<1x1x4x4xf32>, %g: tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32> {
  // expected-error @+1 {{mode must be bilinear, nearest or bicubic, got 'linear'}}
  %0 = qopt.grid_sample %x, %g {mode = "linear"} : (tensor<1x1x4x4xf32>, tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----
func.func @padding(%x: tensor<1x1x4x4xf32>, %g: tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32> {
  // expected-error @+1 {{padding_mode must be zeros, border or reflection, got 'wrap'}}
  %0 = qopt.grid_sample %x, %g {padding_mode = "wrap"} : (tensor<1x1x4x4xf32>, tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----
func.func @volumetric(%x: tensor<1x1x4x4x4xf32>, %g: tensor<1x2x2x2x3xf32>) -> tensor<1x1x2x2x2xf32> {
  // expected-error @+1 {{X must be 4-D [N, C, H, W] (only 2-D sampling is supported)}}
  %0 = qopt.grid_sample %x, %g : (tensor<1x1x4x4x4xf32>, tensor<1x2x2x2x3xf32>) -> tensor<1x1x2x2x2xf32>
  return %0 : tensor<1x1x2x2x2xf32>
}

// -----
func.func @grid_pairs(%x: tensor<1x1x4x4xf32>, %g: tensor<1x2x2x3xf32>) -> tensor<1x1x2x2xf32> {
  // expected-error @+1 {{grid must be [N, Ho, Wo, 2]}}
  %0 = qopt.grid_sample %x, %g : (tensor<1x1x4x4xf32>, tensor<1x2x2x3xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----
func.func @batch(%x: tensor<2x1x4x4xf32>, %g: tensor<1x2x2x2xf32>) -> tensor<2x1x2x2xf32> {
  // expected-error @+1 {{X and grid have different batch sizes}}
  %0 = qopt.grid_sample %x, %g : (tensor<2x1x4x4xf32>, tensor<1x2x2x2xf32>) -> tensor<2x1x2x2xf32>
  return %0 : tensor<2x1x2x2xf32>
}
