// qopt-to-linalg-pipeline (buildQOptToLinalgPipeline): the model interface,
// quantized types to integers, the target-neutral conversion. It ends on the
// conversion (the target's pipeline canonicalizes after its own rewrites).
// RUN: qopt-opt %s --qopt-to-linalg-pipeline="reduction-lanes=8" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PIPE
// RUN: qopt-opt %s --qopt-to-linalg-pipeline="reduction-lanes=8" | FileCheck %s --implicit-check-not=qopt.
// PIPE: Pass Manager with 5 passes:
// PIPE-NEXT: builtin.module(
// PIPE-NEXT: qopt-model-interface{entry=main},
// PIPE-NEXT: func.func(
// PIPE-NEXT: qopt-expand-qoperator,
// PIPE-NEXT: qopt-lower-quantize-linear,
// PIPE-NEXT: qopt-lower-quantized
// PIPE-NEXT: ),
// PIPE-NEXT: canonicalize{{.*}},
// PIPE-NEXT: cse,
// PIPE-NEXT: convert-qopt-to-linalg{reduction-lanes=8 runtime-checks=false}
// PIPE-NEXT: )

// CHECK-LABEL: func.func @main
// CHECK-SAME: llvm.emit_c_interface
// CHECK: tensor.expand_shape {{.*}} output_shape [2, 12, 8]
// CHECK: llvm.mlir.global external constant @qopt_model_meta
func.func @main(%x: tensor<2x100xf32> {qopt.name = "x"}) -> (tensor<2xf32> {qopt.name = "s"}) {
  %ax = qopt.constant dense<[1]> : tensor<1xi64>
  %0 = qopt.reduce_sum %x, %ax {keepdims = 0 : i64} : (tensor<2x100xf32>, tensor<1xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
