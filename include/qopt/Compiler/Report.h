//===- Report.h - what quantization did, tensor by tensor ---------*- C++ -*-===//
//
// `qoptc --report report.md` writes report.md and report.json: for every
// quantized activation its observed range, chosen range, scale, zero point
// and the SQNR (dB) of quantizing it, estimated on the calibration histogram;
// for every weight its scales and SQNR; and, when calibration data is at
// hand, the end-to-end SQNR of each model output of the INT8 library against
// the float model on calibration samples. Sorted worst first.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_COMPILER_REPORT_H
#define QOPT_COMPILER_REPORT_H

#include "qopt/Compiler/Calibrate.h"

#include <string>
#include <vector>

namespace qopt {

struct TensorReport {
  std::string id, kind; // kind: "activation" or "weight"
  double observedMin = 0, observedMax = 0;
  double rangeMin = 0, rangeMax = 0;
  double scaleMin = 0, scaleMax = 0; // equal for per-tensor
  int64_t zeroPoint = 0;
  std::string type;
  double sqnr = 0;
  /// Fraction of values that quantize to the zero point.
  double zeroFraction = 0;
};

struct OutputReport {
  std::string name;
  double sqnr = 0, maxAbsDiff = 0;
  /// The largest |value| of the reference output.
  double maxAbsRef = 0;
};

struct QuantizationReport {
  std::string method, activationType, weightGranularity;
  uint64_t calibrationSamples = 0;
  std::vector<TensorReport> tensors;
  std::vector<OutputReport> outputs;
  size_t evaluationSamples = 0;
  std::string evaluationNote;
};

/// Activations: the qopt.quantize ops that carry `qopt.observed` (right
/// after qopt-infer-scales), with their statistics.
void reportActivations(mlir::ModuleOp module, const quant::CalibrationStats &stats,
                       QuantizationReport &report);
/// Weights: qopt.quantize ops of constants (after qopt-quantize-ops).
void reportWeights(mlir::ModuleOp module, QuantizationReport &report);

/// Runs both libraries on the first `maxSamples` calibration samples and
/// records the SQNR of each output of `int8Library` against `floatLibrary`
/// (whose first outputs are the model's).
llvm::LogicalResult evaluateOutputs(const std::string &floatLibrary,
                                    const std::string &int8Library,
                                    const std::string &dataPath, size_t maxSamples,
                                    QuantizationReport &report, std::string &error);

/// The comparison evaluateOutputs makes, of the first `count` outputs (0:
/// all of `int8Library`'s) into `outputs`; `samplesRun` gets the number of
/// samples compared.
llvm::LogicalResult compareLibraries(const std::string &floatLibrary,
                                     const std::string &int8Library,
                                     const std::string &dataPath, size_t maxSamples,
                                     size_t count, std::vector<OutputReport> &outputs,
                                     size_t &samplesRun, std::string &error);
/// Writes `<stem>.md` and `<stem>.json` for `path` (either extension).
bool writeReport(const std::string &path, QuantizationReport report,
                 std::string &error);

} // namespace qopt

#endif
