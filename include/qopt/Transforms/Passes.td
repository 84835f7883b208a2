//===- Passes.td - qopt transformation passes ------------------*- tablegen -*-===//
#ifndef QOPT_TRANSFORMS_PASSES
#define QOPT_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def RefineShapes : Pass<"qopt-refine-shapes", "::mlir::func::FuncOp"> {
  let summary = "Re-infer result types of qopt ops, folding shape math as it goes";
  let description = [{
    Walks the function in order and meets each qopt op's result types with what
    its result-type inference computes now (static dims win), folding ops whose
    operands became constant (Shape → Gather → Concat → Reshape chains), until
    nothing changes. The function's result types are updated to match its
    return. A conflict between a declared and an inferred static dim is an error
    on the op.
  }];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def FoldBatchNorm : Pass<"qopt-fold-batchnorm", "::mlir::func::FuncOp"> {
  let summary = "Fold inference-mode BatchNormalization and per-channel bias Adds into the preceding Conv or ConvTranspose";
  let description = [{
    `batch_normalization(conv(x, W, B))` with constant W, B and BN parameters
    and no other use of the conv becomes `conv(x, W', B')` with
    `W'[m] = W[m] * s[m]`, `B'[m] = (B[m] - mean[m]) * s[m] + beta[m]`,
    `s = gamma / sqrt(var + eps)`, computed in double precision; `m` is the
    output channel (a Conv weight's dim 0; a ConvTranspose weight
    [C, M/group, ...] feeds output channel `(c / (C/group)) * M/group + m`).
    `add(conv(x, W, B), k)` with a constant k holding one value per output
    channel ([1, M, 1, 1], [M, 1, 1], ...) or a single value, and the
    conv's result shape, becomes `conv(x, W, B + k)` (exporters that write
    the bias as a separate Add, as Paddle does after ConvTranspose). Folded
    weights are stored as dense resource blobs.
  }];
  let dependentDialects = ["::qopt::QOptDialect"];
}

#endif
