// RUN: qopt-opt %s --qopt-quantize-weights="formatted-only=true group-size=32" 2>&1 | FileCheck %s
// RUN: qopt-opt %s --qopt-quantize-weights="group-size=32" 2>&1 | FileCheck %s --check-prefix=ALL

// formatted-only (INT8 mixed precision's W4A8 choices): only the layer whose
// qopt.format is group-wise gets group-wise weights, in its format (8 bits,
// groups of 32, over the pass's 4 bits), silently; the unformatted and int8
// layers keep their f32 weights for INT8 quantization. Without the option,
// the unformatted layer takes the pass's format too (4 bits in groups of
// 32), and the int8 one stays with a remark.
// CHECK-NOT: remark
// CHECK-LABEL: func.func @three
// CHECK-NOT: qopt.quantize
// CHECK: qopt.matmul %arg0, %{{.*}} : (tensor<2x64xf32>, tensor<64x64xf32>)
// CHECK: qopt.quantize {{.*}}!quant.uniform<u8:f32:{0:32, 1:1}
// CHECK: qopt.matmul {{.*}} {qopt.format = "w8g32"}
// CHECK-NOT: qopt.quantize
// CHECK: qopt.matmul {{.*}} {qopt.format = "int8"}
// ALL: remark: {{.*}}weight-only quantization: kept float: format int8 (not group-wise)
// ALL-LABEL: func.func @three
// ALL: qopt.quantize {{.*}}!quant.uniform<u4:f32:{0:32, 1:1}
// ALL: qopt.quantize {{.*}}!quant.uniform<u8:f32:{0:32, 1:1}
// ALL-NOT: qopt.quantize
// ALL: qopt.matmul {{.*}} {qopt.format = "int8"}
func.func @three(%x: tensor<2x64xf32>) -> tensor<2x8xf32> {
  %w0 = qopt.constant dense<0.5> : tensor<64x64xf32>
  %a = qopt.matmul %x, %w0 : (tensor<2x64xf32>, tensor<64x64xf32>) -> tensor<2x64xf32> loc(fused<"onnx.MatMul">["plain"])
  %w1 = qopt.constant dense<0.25> : tensor<64x64xf32>
  %b = qopt.matmul %a, %w1 {qopt.format = "w8g32"} : (tensor<2x64xf32>, tensor<64x64xf32>) -> tensor<2x64xf32> loc(fused<"onnx.MatMul">["chosen"])
  %w2 = qopt.constant dense<0.125> : tensor<64x8xf32>
  %c = qopt.matmul %b, %w2 {qopt.format = "int8"} : (tensor<2x64xf32>, tensor<64x8xf32>) -> tensor<2x8xf32> loc(fused<"onnx.MatMul">["kept"])
  return %c : tensor<2x8xf32>
}
