//===- StatsFile.h - calibration statistics on disk -------------*- C++ -*-===//
//
// Calibration runs once; compilation may run many times. The statistics of
// every observed tensor are saved as versioned JSON:
//
//   {"format": "qopt-calibration-stats", "version": 2,
//    "model": "<fingerprint>", "samples": N,
//    "tensors": [{"id", "min", "max", "count", "range", "bins",
//                 "first", "counts": [...],
//                 "channel_axis", "channel_min": [...], "channel_max": [...]}],
//    "weights": [{"layer", "rows", "cols", "per_tensor", "scales": [...],
//                 "codes": "<base64 int8>"}]}
//
// Tensors are keyed by observer id, layers by their stable id (the ONNX
// node name, see qopt/Transforms/Quant/QuantizableLayers.h); version 1 keyed
// layers by walk order and is not read. `weights` (optional) holds the
// GPTQ-rounded weights of each layer (--weight-rounding=gptq); `group_weights`
// (optional) the group-wise GPTQ codes of weight-only quantization;
// `awq_scales` (optional, [{"id", "alpha", "scales": [...]}]) AWQ's channel
// scales.
// `counts` holds the histogram from bin `first` up to its last non-empty bin.
// Files are written to a temporary and renamed, so an interrupted run leaves
// the previous file intact.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_STATSFILE_H
#define QOPT_QUANT_STATSFILE_H

#include "qopt/Quant/Calibration.h"
#include "qopt/Quant/Gptq.h"
#include "qopt/Quant/GroupWeights.h"

#include <map>
#include <string>

namespace qopt::quant {

constexpr int kStatsFileVersion = 2;

/// The scales AWQ applied to one activation and the alpha they came from.
struct AwqChannelScales {
  double alpha = 0;
  std::vector<double> scales;
};

struct CalibrationStats {
  std::string modelFingerprint;
  uint64_t samples = 0;
  std::map<std::string, TensorStats> tensors;
  /// Weights rounded with GPTQ, by the layer's stable id; empty when
  /// calibration did not round weights.
  std::map<std::string, RoundedWeights> weights;
  /// Rows (vectors along the last axis) sampled from the observed tensors
  /// calibration was asked to sample, by observer id, row-major. In memory
  /// only (the SmoothQuant alpha search); not written to statistics files.
  std::map<std::string, std::vector<float>> rows;
  /// Group-wise GPTQ results (weight-only quantization), by layer id
  /// (`group_weights`: codes - qmin as base64 bytes, scales, zero points).
  std::map<std::string, GroupWeights> groupWeights;
  /// Per groupWeights entry (same key): hessianWeightedError of its codes,
  /// mixed precision's cheap sensitivity proxy. Computed in calibration;
  /// not written to files.
  std::map<std::string, double> hessianProxy;
  /// AWQ's per-input-channel scales (`awq_scales`), by the observer id of
  /// the activation they divide (the linear layers reading it have their
  /// weight rows multiplied by them); only the scaled activations. A rebuild
  /// with --awq applies them instead of searching (the group-wise codes
  /// above are of the scaled weights).
  std::map<std::string, AwqChannelScales> awqScales;
  /// Mixed precision's choice (`formats`: layer id -> format name such as
  /// "w4g128"), so that a rebuild from the file reproduces it unmeasured.
  std::map<std::string, std::string> formats;
  /// The budget those formats were chosen under (`formats_budget`).
  std::string formatsBudget;
  /// The measured sensitivity/cost table they were solved from
  /// (qopt-assign-bit-widths' JSON, as text; `formats_table`), so that
  /// another budget is solved again without measuring; empty in files
  /// written before it was stored.
  std::string formatsTable;
  /// The options the table was measured with (qoptc's --formats,
  /// --sensitivity*, --layer-latency, --layer-groups, --weight-group-size,
  /// --weight-symmetric, as one string; `formats_table_options`) and the
  /// budget it was first solved under (`formats_table_budget`).
  std::string formatsTableOptions, formatsTableBudget;
};

bool writeStatsFile(const std::string &path, const CalibrationStats &stats,
                    std::string &error);
bool readStatsFile(const std::string &path, CalibrationStats &stats,
                   std::string &error);

} // namespace qopt::quant

#endif
