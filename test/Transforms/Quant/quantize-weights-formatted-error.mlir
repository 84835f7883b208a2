// RUN: not qopt-opt %s --qopt-quantize-weights="formatted-only=true" 2>&1 | FileCheck %s

// A layer given a group-wise format it cannot take (K = 8 is not a multiple
// of 16) is an error with formatted-only: left INT8, it would be measured
// and compiled in another format than chosen.
// CHECK: error: {{.*}}qopt-quantize-weights: layer 'small' has format w4g16 but cannot take group-wise weights: K = 8 is not a multiple of the group size 16
func.func @small(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = qopt.constant dense<0.5> : tensor<8x8xf32>
  %y = qopt.matmul %x, %w {qopt.format = "w4g16"} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32> loc(fused<"onnx.MatMul">["small"])
  return %y : tensor<2x8xf32>
}
