// Two MatMul layers (the second one named twice in ONNX, as exporters may
// do) behind an observer that collects channel ranges along the last axis.
#w1 = dense<[[0.5, -0.25, 0.125, 1.0, -1.0, 0.75], [0.1, 0.2, -0.3, 0.4, 0.5, -0.6],
             [1.0, 0.0, -1.0, 0.5, 0.25, 0.0], [-0.5, 0.5, 0.5, -0.5, 0.3, 0.2],
             [0.9, -0.8, 0.7, -0.6, 0.5, -0.4], [0.05, 0.15, 0.25, 0.35, 0.45, 0.55],
             [-0.2, -0.4, -0.6, -0.8, 1.0, 0.6], [0.33, -0.66, 0.99, 0.11, -0.22, 0.44]]> : tensor<8x6xf32>
#w2 = dense<[[0.3, -0.2, 0.1], [0.6, 0.5, -0.4], [-0.9, 0.8, 0.7],
             [0.2, 0.2, -0.2], [0.4, -0.5, 0.6], [-0.7, 0.1, 0.9]]> : tensor<6x3xf32>
func.func @main(%x: tensor<4x8xf32> {qopt.name = "x"}) -> (tensor<4x3xf32> {qopt.name = "y"}) {
  %xo = qopt.observer %x {id = "x_features", channel_axis = -1 : i64} : tensor<4x8xf32>
  %w1 = qopt.constant #w1
  %w2 = qopt.constant #w2
  %a = qopt.matmul %xo, %w1 : (tensor<4x8xf32>, tensor<8x6xf32>) -> tensor<4x6xf32> loc(fused<"onnx.MatMul">["mm"])
  %r = qopt.relu %a : (tensor<4x6xf32>) -> tensor<4x6xf32> loc(fused<"onnx.Relu">["relu"])
  %b = qopt.matmul %r, %w2 : (tensor<4x6xf32>, tensor<6x3xf32>) -> tensor<4x3xf32> loc(fused<"onnx.MatMul">["mm"])
  return %b : tensor<4x3xf32>
}
