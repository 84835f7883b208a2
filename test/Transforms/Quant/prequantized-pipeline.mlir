// qopt-prequantized-pipeline (buildPreQuantizedPipeline): a QDQ or QOperator
// model to qopt's integer graph with its own scales, what qoptc runs on a
// pre-quantized model. keep-float leaves the named layers in float.
// RUN: qopt-opt %s --qopt-prequantized-pipeline="keep-float=Conv,fc1" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PIPE
// RUN: qopt-opt %s --qopt-prequantized-pipeline | FileCheck %s --implicit-check-not=_linear
// RUN: qopt-opt %s --qopt-prequantized-pipeline="keep-float=conv" | FileCheck %s --check-prefix=KEEP
// PIPE: Pass Manager with 5 passes:
// PIPE-NEXT: builtin.module(
// PIPE-NEXT: func.func(
// PIPE-NEXT: qopt-expand-qoperator
// PIPE-NEXT: ),
// PIPE-NEXT: canonicalize{{.*}},
// PIPE-NEXT: func.func(
// PIPE-NEXT: qopt-import-qdq,
// PIPE-NEXT: qopt-quantize-ops{keep-float={Conv,fc1} per-tensor-weights=false}
// PIPE-NEXT: ),
// PIPE-NEXT: canonicalize{{.*}},
// PIPE-NEXT: cse
// PIPE-NEXT: )

// CHECK-LABEL: func.func @qdq_conv
// CHECK: qopt.conv {{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 2.500000e-01:3>>
// KEEP-LABEL: func.func @qdq_conv
// KEEP: qopt.conv {{.*}} -> tensor<1x2x4x4xf32>
func.func @qdq_conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %s = qopt.constant dense<0.5> : tensor<f32>
  %z = qopt.constant dense<10> : tensor<ui8>
  %q = qopt.quantize_linear %x, %s, %z : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xui8>
  %d = qopt.dequantize_linear %q, %s, %z : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xf32>
  %wq = qopt.constant dense<[[[[4]], [[-2]]], [[[2]], [[0]]]]> : tensor<2x2x1x1xi8>
  %ws = qopt.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %wz = qopt.constant dense<0> : tensor<2xi8>
  %w = qopt.dequantize_linear %wq, %ws, %wz {axis = 0 : i64} : (tensor<2x2x1x1xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x2x1x1xf32>
  %bq = qopt.constant dense<[4, -4]> : tensor<2xi32>
  %bs = qopt.constant dense<[0.125, 0.0625]> : tensor<2xf32>
  %bz = qopt.constant dense<0> : tensor<2xi32>
  %b = qopt.dequantize_linear %bq, %bs, %bz {axis = 0 : i64} : (tensor<2xi32>, tensor<2xf32>, tensor<2xi32>) -> tensor<2xf32>
  %c = qopt.conv %d, %w, %b : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %ys = qopt.constant dense<0.25> : tensor<f32>
  %yz = qopt.constant dense<3> : tensor<ui8>
  %yq = qopt.quantize_linear %c, %ys, %yz : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xui8>
  %y = qopt.dequantize_linear %yq, %ys, %yz : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

