//===- Passes.td - qopt to linalg (target-neutral) -*- tablegen -*-===//
#ifndef QOPT_CONVERSION_QOPTTOLINALG_PASSES
#define QOPT_CONVERSION_QOPTTOLINALG_PASSES

include "mlir/Pass/PassBase.td"

def ConvertQOptToLinalg : Pass<"convert-qopt-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower qopt graph ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every float/integer qopt op into named linalg ops where they
    exist (matmul, batch_matmul, conv_2d_nchw_fchw, conv_2d_ngchw_gfchw,
    pooling_nchw_max/sum, transpose, fill) and `linalg.generic` for the rest,
    with `tensor` ops for reshapes, slices and padding. Unsigned and signed
    integer element types become signless; the op's original signedness picks
    the arith operation (divui vs divsi, cmpi ult vs slt, ...).

    Dynamic dims are carried with `tensor.dim`. Broadcasting follows numpy,
    under the assumption (shared with torch-mlir) that a dynamic dim is never
    implicitly broadcast: a dim that is dynamic in two operands is the same
    size in both.

    An op or attribute combination the lowering does not handle is an error on
    the op (and so names the ONNX node it came from).

    The lowering is target-neutral: 2-D convolutions become
    `linalg.conv_2d_nchw_fchw` (a target decides how to run them: the CPU
    pipeline rewrites them to im2col + GEMM, `qopt-conv-to-im2col-gemm`).
    What depends on the target's vector width is a pass option:
    `reduction-lanes` splits float reductions over long trailing axes into
    that many interleaved partial results merged in lane order, so the
    summation order is fixed by the IR (1, the default, keeps one running
    value; the CPU target uses 16, one AVX-512 vector of f32).

    Gather and GatherElements indices outside [-n, n) of the data's axis are
    an ONNX error. Constant indices are checked here (an error naming the
    node). With `runtime-checks` (the CPU target's), every value known only
    at run time that ONNX constrains gets a `cf.assert` whose message names
    the node: Gather/GatherElements indices in [-n, n) (by their minimum and
    maximum), the axes of Slice, Squeeze, Unsqueeze, Reduce* and CumSum in
    range and different, Slice steps not 0, a Squeeze's dims 1, Split sizes
    non-negative and adding up to the axis, Resize scales positive. The ops
    themselves clamp whatever they read, so memory stays in bounds either
    way; without the option such values give undefined results. The CPU
    pipeline turns the asserts into run errors (`qopt-runtime-asserts`).
  }];
  let options = [
    Option<"reductionLanes", "reduction-lanes", "int64_t", "1",
           "Partial results of a lane-split float reduction (1: no split)">,
    Option<"runtimeChecks", "runtime-checks", "bool", "false",
           "Check values known only at run time that ONNX constrains (cf.asserts)">
  ];
  let dependentDialects = [
    "::mlir::cf::ControlFlowDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::bufferization::BufferizationDialect"
  ];
}

#endif
