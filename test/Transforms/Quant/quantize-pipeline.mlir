// qopt-quantize-pipeline (buildQuantizePipeline): INT8 from saved calibration
// statistics, the stages the quantization driver runs after calibrating.
// (The pass lists are dumped before the passes run; s.json does not exist.)
// test/Transforms/Quant/calibration-stats.test runs it on statistics qoptc
// saved and compares the IR with qoptc's.
// RUN: not qopt-opt %s --qopt-quantize-pipeline="stats=s.json method=mse activation-type=s8 per-tensor-weights=true keep-float=Conv" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s
// RUN: not qopt-opt %s --qopt-quantize-pipeline="stats=s.json weight-rounding=nearest" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=NEAREST
// RUN: not qopt-opt %s --qopt-quantize-pipeline="stats=%t.none.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: not qopt-opt %s --qopt-quantize-pipeline="stats=s.json quantize-attention=true" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=ATTENTION
// RUN: not qopt-opt %s --qopt-quantize-pipeline="stats=s.json activation-granularity=per-token" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=TOKEN

// Per-token activations: the linear layers' inputs get run-time scales
// before the static scales are inferred for the rest.
// TOKEN: qopt-apply-rounded-weights
// TOKEN-NEXT: func.func(
// TOKEN-NEXT: qopt-per-token-activations{keep-float={@activation-matmuls}}
// TOKEN-NEXT: ),
// TOKEN-NEXT: func.func(
// TOKEN-NEXT: qopt-infer-scales

// MatMuls of two activations (attention) stay float unless
// quantize-attention: the keep-float entry @activation-matmuls names them.
// ATTENTION: qopt-insert-observers{}

// CHECK: Pass Manager with 7 passes:
// CHECK-NEXT: builtin.module(
// CHECK-NEXT: func.func(
// CHECK-NEXT: qopt-insert-observers{keep-float={Conv,@activation-matmuls}}
// CHECK-NEXT: ),
// CHECK-NEXT: qopt-attach-calibration-stats{check-fingerprint=true stats=s.json},
// The fingerprint (a hash of every constant) is checked once, when attaching.
// CHECK-NEXT: qopt-apply-rounded-weights{check-fingerprint=false keep-float={Conv,@activation-matmuls} per-tensor-weights=true record-originals=false stats=s.json},
// CHECK-NEXT: func.func(
// CHECK-NEXT: qopt-infer-scales{activation-type=s8 keep-float={Conv,@activation-matmuls} method=mse per-channel-depthwise=true}
// CHECK-NEXT: ),
// CHECK-NEXT: func.func(
// CHECK-NEXT: qopt-quantize-ops{keep-float={Conv,@activation-matmuls} per-tensor-weights=true}
// CHECK-NEXT: ),
// CHECK-NEXT: canonicalize{{.*}},
// CHECK-NEXT: cse
// CHECK-NEXT: )

// Nearest rounding has no rounded weights to apply.
// NEAREST: Pass Manager with 6 passes:
// NEAREST-NEXT: builtin.module(
// NEAREST-NEXT: func.func(
// NEAREST-NEXT: qopt-insert-observers{keep-float={@activation-matmuls}}
// NEAREST-NEXT: ),
// NEAREST-NEXT: qopt-attach-calibration-stats{check-fingerprint=true stats=s.json},
// NEAREST-NEXT: func.func(
// NEAREST-NEXT: qopt-infer-scales{activation-type=u8 keep-float={@activation-matmuls} method=minmax per-channel-depthwise=true}
// NEAREST-NEXT: ),
// NEAREST-NEXT: func.func(
// NEAREST-NEXT: qopt-quantize-ops{keep-float={@activation-matmuls} per-tensor-weights=false}
// NEAREST-NEXT: ),
// NEAREST-NEXT: canonicalize{{.*}},
// NEAREST-NEXT: cse
// NEAREST-NEXT: )

// NOFILE: error: cannot read {{.*}}none.json
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = qopt.constant dense<0.5> : tensor<4x3xf32>
  %0 = qopt.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
