//===- Calibrate.h - run the float model over a calibration set --*- C++ -*-===//
//
// The calibration step of qoptc: the model, instrumented with observers, is
// compiled by qopt's own CPU path with the observed tensors as extra outputs,
// and run over the calibration set one sample at a time (never the whole set
// in memory). Every sample is checked against the model's inputs before the
// first run, so bad data fails fast with the file and input named.
//
// A calibration set is a directory of .npz files (one sample each, members
// named after the model's inputs or in input order) or, for single-input
// models, of .npy/.pb files; or a single .npz whose members carry a leading
// sample axis (that file is read into memory whole).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_COMPILER_CALIBRATE_H
#define QOPT_COMPILER_CALIBRATE_H

#include "qopt/Compiler/Compiler.h"
#include "qopt/Quant/StatsFile.h"
#include "qopt/Support/TensorIO.h"

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <optional>
#include <string>

namespace qopt {

struct CalibrationOptions {
  std::string dataPath;
  /// At most this many samples (0: all), taken in file-name order.
  size_t maxSamples = 0;
  bool showProgress = true;
  CompileOptions compile;
  /// Also accumulate each quantized layer's input Hessian and round its
  /// weights with GPTQ (into CalibrationStats::weights, by layer id; the
  /// layers are qopt/Transforms/Quant/QuantizableLayers.h's).
  bool roundWeights = false;
  /// Weight granularity the rounding must produce (--per-tensor-weights).
  bool perTensorWeights = false;
  /// With roundWeights: round the MatMul/Gemm weights group-wise with this
  /// spec (weight-only quantization) into CalibrationStats::groupWeights,
  /// instead of int8 per channel into ::weights; Conv layers are skipped.
  std::optional<quant::GroupSpec> groupWeights;
  /// Also round the MatMul/Gemm weights with each of these specs (mixed
  /// precision's candidate formats), under quant::groupWeightsKey(layer,
  /// spec); without groupWeights, beside the int8 per-channel rounding
  /// (INT8 mixed precision with W4A8 formats).
  std::vector<quant::GroupSpec> extraGroupWeights;
  /// Layers left in float (--keep-float) are not rounded.
  std::vector<std::string> keepFloat;
  /// Sample up to this many rows (vectors along the last axis) of every
  /// observed tensor whose observer collects channel ranges on the last
  /// axis, spread evenly over the samples and their rows, into
  /// CalibrationStats::rows (the SmoothQuant alpha search). 0: none.
  size_t sampleRows = 0;
};

/// Calibrates `module` (which has observers; it is not modified). On success
/// `stats` holds one entry per observer id (channel ranges along each
/// observer's channel_axis) and `floatLibrary` (if non-null)
/// receives the path of the compiled float+observers library, which the
/// caller removes.
llvm::LogicalResult runCalibration(mlir::ModuleOp module,
                                   const CalibrationOptions &options,
                                   quant::CalibrationStats &stats,
                                   std::string &error,
                                   std::string *floatLibrary = nullptr);

/// The samples of a calibration set, read one at a time.
struct CalibrationSamples {
  /// Lists the samples of `path` (at most `maxSamples`, 0 = all).
  static std::unique_ptr<CalibrationSamples> open(const std::string &path,
                                                  size_t maxSamples,
                                                  std::string &error);
  virtual ~CalibrationSamples() = default;
  virtual size_t size() const = 0;
  /// Reads sample `i`; `label` names it in messages (file, or file[i]).
  virtual bool read(size_t i, std::vector<io::HostTensor> &out,
                    std::string &label, std::string &error) = 0;
};

namespace io {
class ModelLibrary;
}

/// Reads sample `i` and matches it to the inputs of `lib` (by name, or by
/// position for unnamed tensors), checking dtype, rank, static dims and
/// finiteness; `inputs` point into `storage`.
bool readSampleFor(const io::ModelLibrary &lib, CalibrationSamples &samples, size_t i,
                   std::vector<io::HostTensor> &storage, std::vector<qopt_tensor> &inputs,
                   std::string &label, std::string &error);

} // namespace qopt

#endif
