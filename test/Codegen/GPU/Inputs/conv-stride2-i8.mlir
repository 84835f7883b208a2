// A 3x3 int8 convolution with stride 2 of a batch of 3x10x10 images, on
// tensors (mma-matmul-implicit-gemm.mlir runs it through the GPU pipeline).
func.func @conv(%x: tensor<?x3x10x10xi8>, %w: tensor<8x3x3x3xi8>) -> tensor<?x8x4x4xi32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0 : i32
  %n = tensor.dim %x, %c0 : tensor<?x3x10x10xi8>
  %e = tensor.empty(%n) : tensor<?x8x4x4xi32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<?x8x4x4xi32>) -> tensor<?x8x4x4xi32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
         ins(%x, %w : tensor<?x3x10x10xi8>, tensor<8x3x3x3xi8>) outs(%init : tensor<?x8x4x4xi32>) -> tensor<?x8x4x4xi32>
  return %y : tensor<?x8x4x4xi32>
}
