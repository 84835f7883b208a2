//===- Report.cpp - what quantization did, tensor by tensor ---------------===//
#include "qopt/Compiler/Report.h"
#include "qopt/Compiler/Progress.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/QuantMath.h"
#include "qopt/Support/Diagnostics.h"
#include "qopt/Support/ModelLibrary.h"
#include "qopt/Support/Svg.h"
#include "qopt/Transforms/Quant/QuantUtils.h"
#include "qopt/Transforms/Quant/QuantizableLayers.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <tuple>
#include <cmath>

using namespace mlir;

namespace qopt {

namespace {

std::string typeText(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

double sqnrOf(double signal, double noise) {
  if (signal == 0)
    return 0;
  if (noise <= signal * 1e-20)
    return 200;
  return 10 * std::log10(signal / noise);
}

} // namespace

LayerInputReport layerInputStats(ModuleOp module, const quant::CalibrationStats &stats,
                                 const std::vector<std::string> &keepFloat,
                                 const std::string &activationType) {
  LayerInputReport r;
  bool symmetric = activationType == "s8";
  for (const quantutil::QuantizableLayer &l : quantutil::quantizableLayers(module, keepFloat)) {
    auto obs = l.input.getDefiningOp<ObserverOp>();
    if (!obs || !quantutil::isConstant(l.weight))
      continue;
    auto it = stats.tensors.find(obs.getId().str());
    // (Never computed: a branch no calibration sample took.)
    if (it == stats.tensors.end() || it->second.count == 0)
      continue;
    const quant::TensorStats &t = it->second;
    LayerInputStats s;
    s.observer = obs.getId().str();
    double median = 0;
    if (t.hasChannelRanges() && t.channelAxis == -1) {
      std::vector<double> amax;
      for (size_t j = 0; j < t.channelMin.size(); ++j)
        amax.push_back(std::max(std::abs(t.channelMin[j]), std::abs(t.channelMax[j])));
      std::vector<double> sorted = amax;
      std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
      median = sorted[sorted.size() / 2];
      auto worst = std::max_element(amax.begin(), amax.end());
      s.worstChannel = worst - amax.begin();
      s.channelRatio = median > 0 ? *worst / median : 0;
    }
    if (t.range > 0) {
      quant::RangeOptions minmax;
      int64_t qmin = symmetric ? -128 : 0, qmax = symmetric ? 127 : 255;
      auto [lo, hi] = quant::chooseRange(t, minmax, qmin, qmax, symmetric);
      quant::QuantParams p = quant::paramsForRange(lo, hi, qmin, qmax, symmetric);
      s.sqnr = quant::histogramSQNR(t, p);
      if (median > 0 && p.scale > 0)
        s.medianBits = std::log2(std::max(1.0, 2 * median / p.scale));
    }
    r[l.id] = s;
  }
  return r;
}

void reportActivations(ModuleOp module, const quant::CalibrationStats &stats,
                       QuantizationReport &report) {
  module.walk([&](QuantizeOp q) {
    auto id = q->getAttrOfType<StringAttr>("qopt.observed");
    if (!id)
      return;
    auto it = stats.tensors.find(id.str());
    std::optional<quantutil::QuantTypeParams> qp = quantutil::quantParamsOf(q.getType());
    if (it == stats.tensors.end() || !qp)
      return;
    const quant::TensorStats &s = it->second;
    // Per channel: the figures are those of the widest channel applied to the
    // whole tensor, so the SQNR is a lower bound.
    quant::QuantParams p = qp->params.front();
    double scaleMin = p.scale;
    for (const quant::QuantParams &c : qp->params) {
      scaleMin = std::min(scaleMin, c.scale);
      if (c.scale > p.scale)
        p = c;
    }
    TensorReport r;
    r.id = id.str();
    r.kind = "activation";
    r.observedMin = s.min;
    r.observedMax = s.max;
    r.rangeMin = quant::dequantizeValue(p.qmin, p);
    r.rangeMax = quant::dequantizeValue(p.qmax, p);
    r.scaleMin = scaleMin;
    r.scaleMax = p.scale;
    r.zeroPoint = p.zeroPoint;
    r.type = qp->axis < 0 ? typeText(cast<ShapedType>(q.getType()).getElementType())
                          : std::string(p.qmin < 0 ? "s8" : "u8") + " per-channel (axis " +
                                std::to_string(qp->axis) + ", " +
                                std::to_string(qp->params.size()) +
                                " channels; SQNR of the widest)";
    r.sqnr = quant::histogramSQNR(s, p);
    uint64_t zeros = 0;
    for (size_t i = 0; i < s.bins(); ++i)
      if (s.counts[i] && quant::quantizeValue(s.binCenter(i), p) == p.zeroPoint)
        zeros += s.counts[i];
    r.zeroFraction = s.count ? double(zeros) / double(s.count) : 0;
    report.tensors.push_back(std::move(r));
  });
}

void reportWeights(ModuleOp module, QuantizationReport &report) {
  module.walk([&](QuantizeOp q) {
    std::optional<SmallVector<double>> w = getConstantFloats(q.getInput());
    auto type = dyn_cast<RankedTensorType>(q.getType());
    if (!w || !type || q->hasAttr("qopt.observed"))
      return;
    std::optional<quantutil::QuantTypeParams> qp = quantutil::quantParamsOf(type);
    if (!qp)
      return;
    const SmallVector<quant::QuantParams> &params = qp->params;
    int64_t axis = qp->axis;
    quant::AxisIndex channelOf(quantutil::shapeVector(type), axis);
    // GPTQ-rounded weights are on the grid already: their error is against
    // the weights before rounding (qopt-apply-rounded-weights{record-originals}).
    std::optional<SmallVector<double>> original;
    if (auto c = q.getInput().getDefiningOp<ConstantOp>())
      if (auto from = c->getAttrOfType<ElementsAttr>(quantutil::kRoundedFromAttr))
        if ((original = getFloatValues(from)) && original->size() != w->size())
          original.reset();
    double signal = 0, noise = 0;
    uint64_t zeros = 0;
    for (size_t i = 0; i < w->size(); ++i) {
      const quant::QuantParams &p = params[channelOf(i)];
      double v = (*w)[i];
      int64_t qv = quant::quantizeValue(v, p);
      if (original)
        v = (*original)[i];
      double d = v - quant::dequantizeValue(qv, p);
      signal += v * v;
      noise += d * d;
      zeros += qv == p.zeroPoint;
    }
    TensorReport r;
    r.kind = "weight";
    // Name the weight after the op that consumes it.
    Operation *user = q->getUsers().empty() ? nullptr : *q->getUsers().begin();
    r.id = describeLocation(user ? user->getLoc() : q.getLoc());
    auto [mn, mx] = std::minmax_element(w->begin(), w->end());
    r.observedMin = w->empty() ? 0 : *mn;
    r.observedMax = w->empty() ? 0 : *mx;
    r.scaleMin = r.scaleMax = params[0].scale;
    for (const quant::QuantParams &p : params) {
      r.scaleMin = std::min(r.scaleMin, p.scale);
      r.scaleMax = std::max(r.scaleMax, p.scale);
    }
    r.rangeMin = -r.scaleMax * double(params[0].qmax);
    r.rangeMax = r.scaleMax * double(params[0].qmax);
    r.type = axis < 0 ? "i8 per-tensor" : "i8 per-channel (axis " + std::to_string(axis) + ")";
    r.sqnr = sqnrOf(signal, noise);
    r.zeroFraction = w->empty() ? 0 : double(zeros) / double(w->size());
    report.tensors.push_back(std::move(r));
  });
}

LogicalResult evaluateOutputs(const std::string &floatLibrary, const std::string &int8Library,
                              const std::string &dataPath, size_t maxSamples,
                              QuantizationReport &report, std::string &error) {
  return compareLibraries(floatLibrary, int8Library, dataPath, maxSamples, 0, false,
                          report.outputs, report.evaluationSamples, error);
}

double klDivergenceRows(const float *ref, const float *got, size_t rows, size_t len) {
  if (rows == 0 || len == 0)
    return 0;
  constexpr double kFloor = 1e-12;
  std::vector<double> lp(len), lq(len);
  double total = 0;
  for (size_t r = 0; r < rows; ++r) {
    const float *a = ref + r * len, *b = got + r * len;
    double sumA = 0;
    bool distribution = true;
    for (size_t i = 0; i < len; ++i) {
      distribution &= a[i] >= 0;
      sumA += a[i];
    }
    distribution &= std::fabs(sumA - 1) <= 1e-3;
    if (distribution) {
      double sumB = 0;
      for (size_t i = 0; i < len; ++i)
        sumB += std::max(double(b[i]), 0.0);
      for (size_t i = 0; i < len; ++i) {
        lp[i] = a[i] > 0 ? std::log(a[i] / sumA) : -INFINITY;
        double q = sumB > 0 ? std::max(double(b[i]), 0.0) / sumB : 1.0 / double(len);
        lq[i] = std::log(std::max(q, kFloor));
      }
    } else {
      // log-softmax of both rows.
      auto logSoftmax = [len](const float *x, std::vector<double> &out) {
        double m = -INFINITY;
        for (size_t i = 0; i < len; ++i)
          m = std::max(m, double(x[i]));
        double s = 0;
        for (size_t i = 0; i < len; ++i)
          s += std::exp(double(x[i]) - m);
        double lse = m + std::log(s);
        for (size_t i = 0; i < len; ++i)
          out[i] = double(x[i]) - lse;
      };
      logSoftmax(a, lp);
      logSoftmax(b, lq);
    }
    double kl = 0;
    for (size_t i = 0; i < len; ++i)
      if (lp[i] > -INFINITY)
        kl += std::exp(lp[i]) * (lp[i] - lq[i]);
    total += kl;
  }
  return total / double(rows);
}

namespace {
/// Signal and noise of a library's outputs against a reference's, summed
/// over samples (the first `compared` outputs, f32 only), and with `kl` the
/// KL divergence of their last axes (klDivergenceRows, averaged over rows).
struct OutputComparison {
  std::vector<double> signal, noise, maxDiff, maxRef, klSum;
  std::vector<size_t> klRows;
  /// Outputs with no distribution on their last axis (not f32, shorter
  /// than 2) in some sample.
  std::vector<bool> noDistribution;
  bool kl = false;
  OutputComparison(size_t n, bool kl)
      : signal(n, 0), noise(n, 0), maxDiff(n, 0), maxRef(n, 0), klSum(n, 0), klRows(n, 0),
        noDistribution(n, false), kl(kl) {}

  void add(const std::vector<qopt_tensor> &ref, const std::vector<qopt_tensor> &got) {
    for (size_t k = 0; k < signal.size(); ++k) {
      if (got[k].dtype != QOPT_DTYPE_F32 || ref[k].dtype != QOPT_DTYPE_F32) {
        noDistribution[k] = true;
        continue;
      }
      size_t n = 1;
      for (int32_t d = 0; d < got[k].rank; ++d)
        n *= size_t(got[k].shape[d]);
      auto *a = static_cast<const float *>(ref[k].data);
      auto *b = static_cast<const float *>(got[k].data);
      for (size_t e = 0; e < n; ++e) {
        double d = double(a[e]) - double(b[e]);
        signal[k] += double(a[e]) * double(a[e]);
        noise[k] += d * d;
        maxDiff[k] = std::max(maxDiff[k], std::fabs(d));
        maxRef[k] = std::max(maxRef[k], std::fabs(double(a[e])));
      }
      if (!kl)
        continue;
      size_t len = got[k].rank > 0 ? size_t(got[k].shape[got[k].rank - 1]) : 1;
      if (len < 2) {
        noDistribution[k] = true;
        continue;
      }
      klSum[k] += klDivergenceRows(a, b, n / len, len) * double(n / len);
      klRows[k] += n / len;
    }
  }

  void report(const io::ModelLibrary &lib, std::vector<OutputReport> &outputs) const {
    for (size_t k = 0; k < signal.size(); ++k) {
      OutputReport o{lib.api().outputName(lib.model(), k), sqnrOf(signal[k], noise[k]),
                     maxDiff[k], maxRef[k]};
      if (kl && !noDistribution[k])
        o.kl = klRows[k] ? klSum[k] / double(klRows[k]) : 0.0;
      outputs.push_back(std::move(o));
    }
  }
};

/// Runs `lib` on `in` into `out` (freed by the caller through freeOutputs).
bool runLibrary(const io::ModelLibrary &lib, const std::vector<qopt_tensor> &in,
                std::vector<qopt_tensor> &out) {
  out.assign(lib.api().numOutputs(lib.model()), qopt_tensor{});
  return lib.api().run(lib.model(), in.data(), in.size(), out.data(), out.size()) == 0;
}

void freeOutputs(const io::ModelLibrary &lib, std::vector<qopt_tensor> &out) {
  for (qopt_tensor &t : out)
    if (t.data)
      lib.api().free(t.data);
  out.clear();
}
} // namespace

LogicalResult compareLibraries(const std::string &floatLibrary, const std::string &int8Library,
                               const std::string &dataPath, size_t maxSamples, size_t count,
                               bool kl, std::vector<OutputReport> &outputs, size_t &samplesRun,
                               std::string &error) {
  auto samples = CalibrationSamples::open(dataPath, maxSamples, error);
  if (!samples)
    return failure();
  auto f = io::ModelLibrary::load(floatLibrary, error);
  if (!f)
    return failure();
  auto q = io::ModelLibrary::load(int8Library, error);
  if (!q)
    return failure();
  size_t nq = q->api().numOutputs(q->model());
  size_t nf = f->api().numOutputs(f->model());

  size_t compared = count ? std::min(count, nq) : nq;
  if (nf < compared) {
    error = "the float and INT8 libraries have different outputs";
    return failure();
  }
  OutputComparison comparison(compared, kl);
  std::vector<io::HostTensor> storage;
  std::vector<qopt_tensor> in, fo, qo;
  std::string label;
  for (size_t i = 0; i < samples->size(); ++i) {
    if (!readSampleFor(*q, *samples, i, storage, in, label, error))
      return failure();
    bool ok = runLibrary(*f, in, fo) && runLibrary(*q, in, qo);
    if (ok)
      comparison.add(fo, qo);
    freeOutputs(*f, fo);
    freeOutputs(*q, qo);
    if (!ok) {
      error = label + ": running the model failed";
      return failure();
    }
  }
  samplesRun = samples->size();
  comparison.report(*q, outputs);
  return success();
}

LogicalResult compareTrials(const std::string &floatLibrary, const std::string &trialLibrary,
                            const std::string &dataPath, size_t maxSamples, size_t count,
                            size_t trials, bool kl,
                            std::vector<std::vector<OutputReport>> &outputs,
                            std::vector<OutputReport> &floatPath, size_t &samplesRun,
                            bool showProgress, std::string &error) {
  auto samples = CalibrationSamples::open(dataPath, maxSamples, error);
  if (!samples)
    return failure();
  auto f = io::ModelLibrary::load(floatLibrary, error);
  if (!f)
    return failure();
  auto t = io::ModelLibrary::load(trialLibrary, error);
  if (!t)
    return failure();
  size_t nt = t->api().numOutputs(t->model());
  size_t nf = f->api().numOutputs(f->model());
  size_t compared = count ? std::min(count, nt) : nt;
  size_t inputs = f->api().numInputs(f->model());
  if (nf < compared || t->api().numInputs(t->model()) != inputs + 1 ||
      t->api().inputDtype(t->model(), inputs) != QOPT_DTYPE_I64) {
    error = "the trial library does not extend the float library by a trial-number input";
    return failure();
  }
  // Trial number `trials` (no trial) runs the float path.
  std::vector<OutputComparison> comparisons(trials + 1, OutputComparison(compared, kl));
  std::vector<io::HostTensor> storage;
  std::vector<qopt_tensor> in, fo, to;
  std::string label;
  int64_t number = 0;
  qopt_tensor numberTensor{};
  numberTensor.data = &number;
  numberTensor.dtype = QOPT_DTYPE_I64;
  numberTensor.rank = 1;
  numberTensor.shape[0] = 1;
  ProgressBar bar{"mixed precision: running the trials", samples->size() * (trials + 1),
                  showProgress};
  for (size_t i = 0; i < samples->size(); ++i) {
    if (!readSampleFor(*f, *samples, i, storage, in, label, error))
      return failure();
    if (!runLibrary(*f, in, fo)) {
      freeOutputs(*f, fo);
      error = label + ": running the float model failed";
      return failure();
    }
    in.push_back(numberTensor);
    for (size_t k = 0; k <= trials; ++k) {
      number = int64_t(k);
      bool ok = runLibrary(*t, in, to);
      if (ok)
        comparisons[k].add(fo, to);
      freeOutputs(*t, to);
      if (!ok) {
        freeOutputs(*f, fo);
        error = llvm::formatv("{0}: running trial {1} failed", label, k).str();
        return failure();
      }
      bar.update(i * (trials + 1) + k + 1);
    }
    freeOutputs(*f, fo);
  }
  samplesRun = samples->size();
  outputs.assign(trials, {});
  for (size_t k = 0; k < trials; ++k)
    comparisons[k].report(*t, outputs[k]);
  floatPath.clear();
  comparisons[trials].report(*t, floatPath);
  return success();
}

LogicalResult loadFirstSample(const std::string &library, const std::string &dataPath,
                              FirstSample &out, std::string &error) {
  auto samples = CalibrationSamples::open(dataPath, 1, error);
  if (!samples)
    return failure();
  out.library = io::ModelLibrary::load(library, error);
  if (!out.library)
    return failure();
  return success(
      readSampleFor(*out.library, *samples, 0, out.storage, out.inputs, out.label, error));
}

LogicalResult fastestRun(const io::ModelLibrary &library, const std::vector<qopt_tensor> &inputs,
                         size_t runs, double minMs, double &best, const std::string &what,
                         std::string &error, const std::function<void()> &beforeEach) {
  const io::ModelApi &api = library.api();
  std::vector<qopt_tensor> out(api.numOutputs(library.model()));
  double spent = 0;
  for (size_t r = 0; r < runs || spent < minMs; ++r) {
    std::fill(out.begin(), out.end(), qopt_tensor{});
    if (beforeEach)
      beforeEach();
    auto start = std::chrono::steady_clock::now();
    int rc = api.run(library.model(), inputs.data(), inputs.size(), out.data(), out.size());
    auto stop = std::chrono::steady_clock::now();
    for (qopt_tensor &t : out)
      if (t.data)
        api.free(t.data);
    if (rc != 0) {
      const char *why = api.lastError();
      error = what + ": running the model failed" + (why && *why ? std::string(": ") + why : "");
      return failure();
    }
    double ms = std::chrono::duration<double, std::milli>(stop - start).count();
    spent += ms;
    best = std::min(best, ms);
    if (r > 100000) // a run of microseconds under a large minMs
      break;
  }
  return success();
}

LogicalResult measureLatency(const std::string &library, const std::string &dataPath,
                             size_t runs, double &ms, std::string &error) {
  FirstSample sample;
  if (failed(loadFirstSample(library, dataPath, sample, error)))
    return failure();
  double warm = INFINITY;
  ms = INFINITY;
  return success(
      succeeded(fastestRun(*sample.library, sample.inputs, 3, 0, warm, sample.label, error)) &&
      succeeded(fastestRun(*sample.library, sample.inputs, runs, 0, ms, sample.label, error)));
}

static llvm::json::Array outputsJson(const QuantizationReport &report) {
  llvm::json::Array outputs;
  for (const OutputReport &o : report.outputs)
    outputs.push_back(llvm::json::Object{
        {"name", o.name}, {"sqnr_db", o.sqnr}, {"max_abs_diff", o.maxAbsDiff}});
  return outputs;
}

/// The outputs' SQNR against float, or why they were not evaluated.
static void writeOutputsTable(llvm::raw_ostream &os, const QuantizationReport &report) {
  if (report.outputs.empty()) {
    os << report.evaluationNote << "\n\n";
    return;
  }
  os << "On " << report.evaluationSamples << " calibration samples.\n\n"
     << "| output | SQNR (dB) | max abs diff |\n| --- | ---: | ---: |\n";
  for (const OutputReport &o : report.outputs)
    os << llvm::formatv("| {0} | {1:f1} | {2:e3} |\n", o.name, o.sqnr, o.maxAbsDiff);
  os << "\n";
}

/// The table of group-wise quantized linear layers (weight-only, or the
/// weights of INT8 with group-wise weights) under `title`, and the same as
/// JSON.
static llvm::json::Array writeGroupWiseLayers(llvm::raw_ostream &os, llvm::StringRef title,
                                              const std::vector<WeightOnlyLayer> &rows) {
  os << "## " << title
     << "\n\n`weight SQNR`: 10 log10 of the weights' energy over the energy of "
        "their quantization error.\n\n"
     << "| layer | N x K | bits | group | method | weight SQNR (dB) |\n"
     << "| --- | --- | ---: | ---: | --- | ---: |\n";
  llvm::json::Array layers;
  for (const WeightOnlyLayer &l : rows) {
    bool kept = !l.keptFloat.empty();
    os << llvm::formatv("| {0} | {1}x{2} | {3} | {4} | {5} | {6} |\n", l.id, l.rows, l.cols,
                        kept ? std::string("32") : std::to_string(l.bits),
                        kept ? std::string("-") : std::to_string(l.groupSize),
                        kept ? "float: " + l.keptFloat : l.method,
                        kept ? std::string("-")
                             : llvm::formatv("{0:f1}", l.weightSqnrDb).str());
    llvm::json::Object row{{"layer", l.id}, {"rows", l.rows}, {"cols", l.cols}};
    if (kept) {
      row["kept_float"] = l.keptFloat;
    } else {
      row["bits"] = l.bits;
      row["group_size"] = l.groupSize;
      row["method"] = l.method;
      row["weight_sqnr_db"] = l.weightSqnrDb;
    }
    layers.push_back(std::move(row));
  }
  os << "\n";
  return layers;
}

/// A mixed-precision noise as the report shows it: the SQNR (dB) of a
/// noise-to-signal ratio, or a KL divergence (nats) as it is; and the
/// column header of such values.
static std::string noiseValue(double noise, bool kl) {
  if (kl)
    return llvm::formatv("{0:e2}", noise).str();
  return noise > 0 ? llvm::formatv("{0:f1}", -10 * std::log10(noise)).str()
                   : std::string("inf");
}
static std::string noiseHeader(bool kl) { return kl ? "KL (nats)" : "SQNR (dB)"; }
/// "SQNR 19.0 dB" / "KL 1.20e-03 nats".
static std::string noiseWords(double noise, bool kl) {
  return (kl ? "KL " : "SQNR ") + noiseValue(noise, kl) + (kl ? " nats" : " dB");
}

/// INT8 mixed precision's group-wise formats (W4A8): one row per layer and
/// format, in `rows`' order; nothing when no layer had one.
static void writeGroupFormats(llvm::raw_ostream &os, const MixedPrecisionSection &m,
                              llvm::ArrayRef<const MixedPrecisionLayer *> rows, bool kl) {
  if (llvm::none_of(rows, [](auto *l) { return !l->groupFormats.empty(); }))
    return;
  bool fwd = m.direction != "reverse", rev = m.direction != "forward";
  bool micro = m.latencyModel == "micro";
  os << "Group-wise formats (`w<bits>g<group>`: the linear layer's weights in groups, its "
        "activations int8 as in INT8), measured as the INT8 choice is: "
     << (fwd ? "`trial`, the float model with the layer alone in the format; " : "")
     << (rev ? "`in INT8`, the all-INT8 model with the layer in the format (its noise over "
               "the restored row's is the reverse sensitivity); "
             : "")
     << "`Δ ms`, the latency over INT8 (negative: faster)"
     << (micro ? ", from the layer's micro-benchmark in the format (`alone ms`, timed beside "
                 "the float form, `float ms`, and scaled by the layer's float time over it) "
                 "minus its INT8 time, scaled as the float choice's"
               : " (no micro-benchmarks: taken as INT8's)")
     << (m.formatLatencyClamped
             ? "; the measured savings passed the all-INT8 model's latency (timing noise), so "
               "every negative Δ was taken as 0"
             : "")
     << ".\n\n| layer | format | chosen |" << (fwd ? " trial " + noiseHeader(kl) + " |" : "")
     << (rev ? " in INT8 " + noiseHeader(kl) + " |" : "") << " sensitivity | Δ ms |"
     << (micro ? " alone ms | float ms |\n" : "\n") << "| --- | --- | --- |"
     << (fwd ? " ---: |" : "") << (rev ? " ---: |" : "") << " ---: | ---: |"
     << (micro ? " ---: | ---: |\n" : "\n");
  for (const MixedPrecisionLayer *l : rows)
    for (const MixedPrecisionFormat &f : l->groupFormats) {
      os << "| " << (l->members.empty() ? l->layer : llvm::join(l->members, " + ")) << " | "
         << f.format << " | " << (l->format == f.format ? "yes" : "") << " |";
      if (fwd)
        os << " " << noiseValue(f.forwardNoise, kl) << " |";
      if (rev)
        os << " " << noiseValue(f.reverseNoise, kl) << " |";
      os << llvm::formatv(" {0:e2} | {1:f3} |", f.sensitivity, f.deltaMs);
      if (micro)
        os << llvm::formatv(" {0:f4} | {1:f4} |", f.aloneMs, f.floatBesideMs);
      os << "\n";
    }
  os << "\n";
}

/// INT8 mixed precision's section: the model latencies, then one row per
/// candidate layer, most sensitive first; and the same as JSON.
static llvm::json::Object writeMixedPrecision(llvm::raw_ostream &os,
                                              const MixedPrecisionSection &m, bool kl) {
  size_t kept = 0, total = 0, groups = 0;
  std::map<std::string, size_t> grouped; // group-wise format -> layers
  for (const MixedPrecisionLayer &l : m.layers) {
    size_t n = std::max<size_t>(1, l.members.size());
    total += n;
    kept += l.format == "float" ? n : 0;
    if (l.format != "float" && l.format != "int8")
      grouped[l.format] += n;
    groups += l.members.size() > 1;
  }
  std::string others;
  for (const auto &[f, n] : grouped)
    others += llvm::formatv(", {0} {1}", n, f).str();
  os << "## Mixed precision\n\n"
     << llvm::formatv("Budget {0}: {1} of {2} layers float{11}, the others INT8{3}. Measured on "
                      "the first calibration sample: all-INT8 {4:f3} ms (output {5}), "
                      "all-float {6:f3} ms; the choice {7:f3} ms (predicted {8:f3} ms; all-INT8 timed "
                      "beside it {10:f3} ms), output {9}.\n\n",
                      m.budget, kept, total,
                      m.solvedBudget != m.budget ? " (solved under " + m.solvedBudget +
                                                       ": the first choice measured over)"
                                                 : std::string(),
                      m.int8LatencyMs, noiseWords(m.int8Noise, kl), m.floatLatencyMs,
                      m.chosenLatencyMs, m.predictedLatencyMs, noiseWords(m.chosenNoise, kl),
                      m.int8BesideMs, others)
     << (m.direction == "forward"
             ? std::string("Each row: the float model with that layer alone INT8 (the trial); "
                           "its output noise is the INT8 choice's sensitivity. ")
             : llvm::formatv(
                   "Each row: `trial`, the float model with that layer alone INT8 (the "
                   "forward trial){0}; `restored`, the all-INT8 model with that layer alone "
                   "float (the reverse trial). The INT8 choice's sensitivity is {1}.{2} ",
                   m.direction == "both" ? "" : ", not measured",
                   m.direction == "both" ? "the mean of the forward trial's noise and the "
                                           "noise restoring the layer removes"
                                         : "the noise restoring the layer removes from the "
                                           "all-INT8 model (0 if none)",
                   std::isnan(m.directionSpearman)
                       ? std::string()
                       : llvm::formatv(" The two rank the layers with Spearman's rho {0:f3}.",
                                       m.directionSpearman)
                             .str())
                   .str())
     << (groups ? llvm::formatv("{0} of layers that take one format together (layers "
                                "reading one activation, or meeting in one Concat: "
                                "--layer-groups), listed with `+`: one trial switches the "
                                "whole group, and its costs are its members' sums. ",
                                groups == 1 ? std::string("One row is a group")
                                            : std::to_string(groups) + " rows are groups")
                      .str()
                : std::string())
     << "`Δ ms`: the float choice's latency over INT8, ";
  bool micro = m.latencyModel == "micro";
  if (micro)
    os << llvm::formatv(
        "from the layer's micro-benchmarks (the layer alone at its shapes, compiled INT8 "
        "and float and timed: `INT8 ms`, `float ms`{0}): float minus INT8 (0 if lower), "
        "times {1:f3}{6}. The layers alone sum to {2:f3} ms INT8 ({3:f2}x the all-INT8 "
        "model) and {4:f3} ms float ({5:f2}x the all-float model).\n\n",
        m.latencyCache.empty() ? std::string()
                               : "; `cached`: read from " + m.latencyCache,
        m.latencyScale, m.sumInt8Ms, m.int8LatencyMs > 0 ? m.sumInt8Ms / m.int8LatencyMs : 0.0,
        m.sumFloatMs, m.floatLatencyMs > 0 ? m.sumFloatMs / m.floatLatencyMs : 0.0,
        m.latencyNote.empty() ? std::string(" so that the layers' add up to the all-float "
                                            "model's latency over the all-INT8 one's")
                              : " (" + m.latencyNote + ")");
  else
    os << "the layer's multiply-add share of the all-float model's latency over the all-INT8 "
          "one's"
       << (m.latencyNote.empty() ? std::string() : " (micro-benchmarks not used: " +
                                                       m.latencyNote + ")")
       << ".\n\n";
  bool both = m.direction != "forward";
  os << "| layer | params | MMACs | choice | trial " << noiseHeader(kl)
     << (both ? " | restored " + noiseHeader(kl) + " | sensitivity" : std::string()) << " | Δ ms |"
     << (micro ? " INT8 ms | float ms | cached |\n" : "\n")
     << "| --- | ---: | ---: | --- | ---: |" << (both ? " ---: | ---: |" : "") << " ---: |"
     << (micro ? " ---: | ---: | --- |\n" : "\n");
  std::vector<const MixedPrecisionLayer *> rows;
  for (const MixedPrecisionLayer &l : m.layers)
    rows.push_back(&l);
  std::stable_sort(rows.begin(), rows.end(),
                   [](auto *a, auto *b) { return a->sensitivity > b->sensitivity; });
  llvm::json::Array layers;
  for (const MixedPrecisionLayer *l : rows) {
    std::string name = l->members.empty() ? l->layer : llvm::join(l->members, " + ");
    if (both)
      os << llvm::formatv("| {0} | {1} | {2:f2} | {3} | {4} | {5} | {6:e2} | {7:f3} |", name,
                          l->params, l->macs / 1e6, l->format,
                          m.direction == "both" ? noiseValue(l->forwardNoise, kl)
                                                : std::string("-"),
                          noiseValue(l->restoredNoise, kl), l->sensitivity, l->deltaMs);
    else
      os << llvm::formatv("| {0} | {1} | {2:f2} | {3} | {4} | {5:f3} |", name, l->params,
                          l->macs / 1e6, l->format, noiseValue(l->sensitivity, kl),
                          l->deltaMs);
    if (micro)
      os << llvm::formatv(" {0:f4} | {1:f4} | {2} |", l->int8Ms, l->floatMs,
                          l->cached ? "yes" : "no");
    os << "\n";
    llvm::json::Object row{{"layer", l->layer},         {"params", l->params},
                           {"macs", l->macs},           {"format", l->format},
                           {"sensitivity", l->sensitivity}, {"delta_ms", l->deltaMs}};
    if (!l->members.empty())
      row["members"] = llvm::json::Array(l->members);
    if (both) {
      row["restored_noise"] = l->restoredNoise;
      if (m.direction == "both")
        row["forward_noise"] = l->forwardNoise;
    }
    if (micro) {
      row["int8_alone_ms"] = l->int8Ms;
      row["float_alone_ms"] = l->floatMs;
      row["cached"] = l->cached;
    }
    if (!l->groupFormats.empty()) {
      llvm::json::Array formats;
      for (const MixedPrecisionFormat &f : l->groupFormats) {
        llvm::json::Object fo{{"format", f.format},
                              {"sensitivity", f.sensitivity},
                              {"delta_ms", f.deltaMs}};
        if (m.direction != "reverse")
          fo["forward_noise"] = f.forwardNoise;
        if (both)
          fo["reverse_noise"] = f.reverseNoise;
        if (micro) {
          fo["alone_ms"] = f.aloneMs;
          fo["float_beside_ms"] = f.floatBesideMs;
          fo["cached"] = f.cached;
        }
        formats.push_back(std::move(fo));
      }
      row["group_formats"] = std::move(formats);
    }
    layers.push_back(std::move(row));
  }
  os << "\n";
  writeGroupFormats(os, m, rows, kl);
  return llvm::json::Object{{"budget", m.budget},
                            {"solved_budget", m.solvedBudget},
                            {"int8_latency_ms", m.int8LatencyMs},
                            {"float_latency_ms", m.floatLatencyMs},
                            {"predicted_latency_ms", m.predictedLatencyMs},
                            {"chosen_latency_ms", m.chosenLatencyMs},
                            {"int8_latency_beside_ms", m.int8BesideMs},
                            {"int8_noise", m.int8Noise},
                            {"chosen_noise", m.chosenNoise},
                            {"direction", m.direction},
                            {"reverse_base_noise", m.reverseBaseNoise},
                            {"direction_spearman", std::isnan(m.directionSpearman)
                                                       ? llvm::json::Value(nullptr)
                                                       : llvm::json::Value(m.directionSpearman)},
                            {"latency_model", m.latencyModel},
                            {"latency_note", m.latencyNote},
                            {"latency_scale", m.latencyScale},
                            {"group_format_latency_clamped", m.formatLatencyClamped},
                            {"layers_int8_alone_ms", m.sumInt8Ms},
                            {"layers_float_alone_ms", m.sumFloatMs},
                            {"latency_cache", m.latencyCache},
                            {"layers", std::move(layers)}};
}

/// The mixed-precision Pareto table (a link to its plot, `plot`, first) and
/// its JSON.
/// Weight-only mixed precision under a latency budget: the uniform model
/// and the choice measured, and each layer's formats alone against its
/// uniform form.
static llvm::json::Value writeWeightOnlyLatency(llvm::raw_ostream &os,
                                                const WeightOnlyLatencySection &l) {
  os << "## Mixed precision: latency\n\n"
     << llvm::formatv("- uniform {0} model: {1:f3} ms measured first (the table's reference), "
                      "{2:f3} ms beside the choice\n",
                      l.uniformFormat, l.uniformMs, l.uniformBesideMs)
     << llvm::formatv("- the choice (solved under `{0}`): predicted {1:f3} ms (the uniform "
                      "latency plus its layers' deltas), measured {2:f3} ms\n",
                      l.solvedBudget, l.predictedMs, l.chosenMs)
     << llvm::formatv("- each layer alone at the calibration's shapes, one thread, timed "
                      "alternately with its uniform form, {0} (the uniform weights: {1} "
                      "bytes; last-level cache: {2} bytes)",
                      l.cold ? "the cache evicted before each run" : "its weights in the cache",
                      l.weightBytes, l.cacheBytes)
     << " (`cached`: read from "
     << (l.latencyCache.empty() ? std::string("no cache") : l.latencyCache) << ")\n\n"
     << "| layer | format | alone (ms) | uniform beside (ms) | delta (ms) | cached |\n"
     << "| --- | --- | ---: | ---: | ---: | --- |\n";
  llvm::json::Array rows;
  for (const WeightOnlyLatencySection::Format &f : l.formats) {
    bool uniform = !std::isfinite(f.aloneMs);
    os << llvm::formatv("| {0} | {1} | {2} | {3} | {4:f4} | {5} |\n", f.layer, f.format,
                        uniform ? std::string("-") : llvm::formatv("{0:f4}", f.aloneMs).str(),
                        uniform ? std::string("-")
                                : llvm::formatv("{0:f4}", f.uniformBesideMs).str(),
                        f.deltaMs, uniform ? "uniform" : f.cached ? "yes" : "no");
    llvm::json::Object o{{"layer", f.layer}, {"format", f.format}, {"delta_ms", f.deltaMs}};
    if (!uniform) {
      o["alone_ms"] = f.aloneMs;
      o["uniform_beside_ms"] = f.uniformBesideMs;
      o["cached"] = f.cached;
    }
    rows.push_back(std::move(o));
  }
  os << "\n";
  return llvm::json::Object{{"uniform_format", l.uniformFormat},
                            {"uniform_ms", l.uniformMs},
                            {"uniform_beside_ms", l.uniformBesideMs},
                            {"predicted_ms", l.predictedMs},
                            {"chosen_ms", l.chosenMs},
                            {"solved_budget", l.solvedBudget},
                            {"latency_cache", l.latencyCache},
                            {"timing", l.cold ? "cold" : "warm"},
                            {"weight_bytes", l.weightBytes},
                            {"cache_bytes", l.cacheBytes},
                            {"layers", std::move(rows)}};
}

static llvm::json::Array writePareto(llvm::raw_ostream &os, const QuantizationReport &report,
                                     llvm::StringRef plot) {
  bool kl = report.klNoise;
  std::string what = kl ? "KL" : "SQNR";
  os << "## Mixed precision: choices over budgets\n\n"
     << "![predicted output " << what << " against " << report.paretoCost << "](" << plot
     << ")\n\n"
     << "The exact choice under budgets spread from the cheapest assignment to the "
        "dearest. `cost`: " << report.paretoCost << " of the choice; `predicted " << what
     << "`: of its summed layer sensitivities (first order, as the solver takes them; not "
        "measured); `upgraded`: rows of the table (layers, or groups of layers) not at their cheapest format. The compilation's "
        "choice is marked.\n\n"
     << "| budget | cost | predicted " << noiseHeader(kl) << " | upgraded | chosen |\n"
     << "| --- | ---: | ---: | ---: | --- |\n";
  llvm::json::Array js;
  for (const ParetoPoint &p : report.pareto) {
    os << llvm::formatv("| {0} | {1} | {2} | {3} | {4} |\n", p.budget,
                        llvm::formatv(report.paretoCost == "bytes" ? "{0:f0}" : "{0:f4}", p.cost)
                            .str(),
                        noiseValue(p.noise, kl), p.upgraded, p.chosen ? "**chosen**" : "");
    js.push_back(llvm::json::Object{{"budget", p.budget},
                                    {"cost", p.cost},
                                    {"noise", p.noise},
                                    {"upgraded", int64_t(p.upgraded)},
                                    {"chosen", p.chosen}});
  }
  os << "\n";
  return js;
}

bool writeReport(const std::string &path, QuantizationReport report, std::string &error) {
  llvm::json::Array groupWiseJson;
  llvm::json::Object mixedJson;
  // Worst first; ties by kind and name so the order is deterministic.
  std::sort(report.tensors.begin(), report.tensors.end(),
            [](const TensorReport &a, const TensorReport &b) {
              return std::tie(a.sqnr, a.kind, a.id) < std::tie(b.sqnr, b.kind, b.id);
            });
  llvm::SmallString<256> stem(path);
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".md" || ext == ".json")
    llvm::sys::path::replace_extension(stem, "");
  std::string md, js;
  // Charts beside the report, linked from it by file name.
  std::string sqnrSvg = std::string(stem) + ".sqnr.svg", paretoSvg = std::string(stem) + ".pareto.svg";
  std::string sqnrName = llvm::sys::path::filename(sqnrSvg).str();
  std::string paretoName = llvm::sys::path::filename(paretoSvg).str();
  std::vector<svg::Bar> bars;
  llvm::json::Array paretoJson;
  if (!report.weightOnly.empty()) {
    llvm::raw_string_ostream os(md);
    os << "# qopt weight-only quantization report\n\n"
       << "- weights: " << report.weightGranularity << "; activations stay float\n\n"
       << "## Model outputs (weight-only vs float)\n\n";
    writeOutputsTable(os, report);
    llvm::json::Array layers = writeGroupWiseLayers(os, "Layers", report.weightOnly);
    for (const WeightOnlyLayer &l : report.weightOnly)
      if (l.keptFloat.empty())
        bars.push_back({l.id, l.weightSqnrDb});
    os << "![weight SQNR per layer](" << sqnrName << ")\n\n";
    if (!report.pareto.empty())
      paretoJson = writePareto(os, report, paretoName);
    llvm::json::Value latencyJson = nullptr;
    if (!report.weightOnlyLatency.uniformFormat.empty())
      latencyJson = writeWeightOnlyLatency(os, report.weightOnlyLatency);
    llvm::json::Array proxyJson;
    if (!report.proxy.empty()) {
      os << "## Mixed precision: a cheap sensitivity proxy\n\n"
         << "The Hessian proxy (each layer's output error per input vector from the diagonal "
            "of its input Hessian, GPTQ's statistics; no compile) against the measured output "
            "noise: "
            "Spearman's rank correlation over the measured (layer, format) pairs, all formats "
            "together and per format (within a format it ranks the layers).\n\n"
         << "| formats | pairs | Spearman rho |\n| --- | ---: | ---: |\n";
      for (const QuantizationReport::ProxyAgreement &a : report.proxy) {
        std::string rho = std::isfinite(a.spearman) ? llvm::formatv("{0:f3}", a.spearman).str()
                                                    : std::string("-");
        os << "| " << (a.format.empty() ? std::string("all") : a.format) << " | " << a.pairs
           << " | " << rho << " |\n";
        proxyJson.push_back(llvm::json::Object{
            {"formats", a.format.empty() ? std::string("all") : a.format},
            {"pairs", int64_t(a.pairs)},
            {"spearman", std::isfinite(a.spearman) ? llvm::json::Value(a.spearman)
                                                   : llvm::json::Value(nullptr)}});
      }
      os << "\n";
    }
    llvm::json::Object root{{"weights", report.weightGranularity},
                            {"evaluation_samples", int64_t(report.evaluationSamples)},
                            {"outputs", outputsJson(report)},
                            {"layers", std::move(layers)}};
    if (!report.pareto.empty()) {
      root["pareto"] = std::move(paretoJson);
      root["mixed_precision_metric"] = report.klNoise ? "kl" : "sqnr";
    }
    if (!report.proxy.empty())
      root["sensitivity_proxy"] = std::move(proxyJson);
    if (latencyJson.kind() != llvm::json::Value::Null)
      root["latency"] = std::move(latencyJson);
    llvm::raw_string_ostream js_os(js);
    js_os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  }
  if (report.weightOnly.empty()) {
    llvm::raw_string_ostream os(md);
    os << "# qopt INT8 quantization report\n\n"
       << "- activations: " << report.activationType << ", ranges by " << report.method << "\n"
       << "- weights: " << report.weightGranularity << "\n"
       << "- calibration samples: " << report.calibrationSamples << "\n\n";
    os << "## Model outputs (INT8 vs float)\n\n";
    writeOutputsTable(os, report);
    const OutlierSection &o = report.outliers;
    if (!o.after.empty()) {
      double worstRatio = 0;
      for (auto &[id, a] : o.after)
        worstRatio = std::max(worstRatio, a.channelRatio);
      os << "## Activation outliers (linear-layer inputs)\n\n";
      if (o.methods.empty())
        os << "No outlier folding. "
           << (worstRatio > 8 ? llvm::formatv("Some inputs have a channel {0:f1}x their median "
                                              "channel: per-tensor INT8 spends its range on "
                                              "it. Try --smooth or --rotate "
                                              "(docs/quantization.md, Outliers).\n\n",
                                              worstRatio)
                                    .str()
                              : std::string("\n\n"));
      else {
        os << "Folding: ";
        for (size_t i = 0; i < o.methods.size(); ++i)
          os << (i ? ", " : "") << o.methods[i];
        os << ".";
        double rel = 0;
        for (const OutputReport &e : o.exactness)
          rel = std::max(rel, e.maxAbsDiff / std::max(e.maxAbsRef, 1e-30));
        if (!o.exactness.empty())
          os << llvm::formatv(" Float outputs after folding are within {0:e2} (relative to "
                              "the largest value) of the original model's.",
                              rel);
        os << "\n\n";
      }
      os << "`ratio`: the largest channel's max |x| over the median channel's (channel "
            "index in brackets); `bits`: log2 of the per-tensor INT8 steps across the "
            "median channel's range (8 at best; what the outliers leave the other "
            "channels); `SQNR`: per-tensor quantization of the whole input on the "
            "calibration histogram, dominated by the largest channels. Before: the model "
            "as imported; after: as quantized.\n\n"
         << "| layer | ratio before | ratio after | bits before | bits after | SQNR before "
            "(dB) | SQNR after (dB) | alpha |\n"
         << "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
      std::vector<std::pair<std::string, LayerInputStats>> rows(o.after.begin(), o.after.end());
      std::stable_sort(rows.begin(), rows.end(), [&](auto &a, auto &b) {
        auto ba = o.before.find(a.first), bb = o.before.find(b.first);
        double ra = ba != o.before.end() ? ba->second.channelRatio : a.second.channelRatio;
        double rb = bb != o.before.end() ? bb->second.channelRatio : b.second.channelRatio;
        return ra > rb;
      });
      for (auto &[id, a] : rows) {
        auto b = o.before.find(id);
        auto alpha = o.alphas.find(b != o.before.end() ? b->second.observer : a.observer);
        auto ratio = [](const LayerInputStats &x) {
          return llvm::formatv("{0:f1} [{1}]", x.channelRatio, x.worstChannel).str();
        };
        auto f1 = [&](double v) { return llvm::formatv("{0:f1}", v).str(); };
        os << "| " << id << " | " << (b != o.before.end() ? ratio(b->second) : "-") << " | "
           << ratio(a) << " | " << (b != o.before.end() ? f1(b->second.medianBits) : "-")
           << " | " << f1(a.medianBits) << " | "
           << (b != o.before.end() ? llvm::formatv("{0:f1}", b->second.sqnr).str() : "-")
           << " | " << llvm::formatv("{0:f1}", a.sqnr).str() << " | "
           << (alpha == o.alphas.end() ? std::string("-")
               : alpha->second < 0    ? std::string("kept")
                                      : llvm::formatv("{0:f2}", alpha->second).str())
           << " |\n";
      }
      os << "\n";
    }
    if (!report.mixed.layers.empty())
      mixedJson = writeMixedPrecision(os, report.mixed, report.klNoise);
    if (!report.pareto.empty())
      paretoJson = writePareto(os, report, paretoName);
    if (!report.groupWise.empty())
      groupWiseJson = writeGroupWiseLayers(
          os, "Group-wise weights (linear layers, int8 activations)", report.groupWise);
    os << "## Tensors, worst SQNR first\n\n"
       << "SQNR of quantizing each tensor alone (activations: on the calibration "
          "histogram; weights: on their values). `zero` is the fraction of values "
          "that quantize to the zero point.\n\n"
       << "![SQNR per tensor](" << sqnrName << ")\n\n"
       << "| tensor | kind | SQNR (dB) | observed | quantized range | scale | zero point | zero |\n"
       << "| --- | --- | ---: | --- | --- | --- | ---: | ---: |\n";
    for (const TensorReport &t : report.tensors) {
      bars.push_back({t.id + " (" + t.kind + ")", t.sqnr});
      std::string scale = t.scaleMin == t.scaleMax
                              ? llvm::formatv("{0:e3}", t.scaleMin).str()
                              : llvm::formatv("{0:e3} .. {1:e3}", t.scaleMin, t.scaleMax).str();
      os << llvm::formatv("| {0} | {1} | {2:f1} | [{3:g}, {4:g}] | [{5:g}, {6:g}] | {7} | {8} | "
                          "{9:f1}% |\n",
                          t.id, t.kind, t.sqnr, t.observedMin, t.observedMax, t.rangeMin,
                          t.rangeMax, scale, t.kind == "weight" ? std::string("0")
                                                                : std::to_string(t.zeroPoint),
                          100 * t.zeroFraction);
    }
  }
  if (report.weightOnly.empty()) {
    llvm::json::Array tensors;
    for (const TensorReport &t : report.tensors)
      tensors.push_back(llvm::json::Object{{"id", t.id},
                                           {"kind", t.kind},
                                           {"sqnr_db", t.sqnr},
                                           {"observed_min", t.observedMin},
                                           {"observed_max", t.observedMax},
                                           {"range_min", t.rangeMin},
                                           {"range_max", t.rangeMax},
                                           {"scale_min", t.scaleMin},
                                           {"scale_max", t.scaleMax},
                                           {"zero_point", t.zeroPoint},
                                           {"type", t.type},
                                           {"zero_fraction", t.zeroFraction}});
    llvm::json::Array layers;
    for (auto &[id, a] : report.outliers.after) {
      llvm::json::Object row{{"layer", id},
                             {"input", a.observer},
                             {"channel_ratio", a.channelRatio},
                             {"worst_channel", a.worstChannel},
                             {"sqnr_db", a.sqnr},
                             {"median_channel_bits", a.medianBits}};
      auto b = report.outliers.before.find(id);
      if (b != report.outliers.before.end()) {
        row["channel_ratio_before"] = b->second.channelRatio;
        row["worst_channel_before"] = b->second.worstChannel;
        row["sqnr_db_before"] = b->second.sqnr;
        row["median_channel_bits_before"] = b->second.medianBits;
        auto alpha = report.outliers.alphas.find(b->second.observer);
        if (alpha != report.outliers.alphas.end())
          row["smooth_alpha"] = alpha->second;
      }
      layers.push_back(std::move(row));
    }
    llvm::json::Array methods;
    for (const std::string &m : report.outliers.methods)
      methods.push_back(m);
    llvm::json::Object root{{"method", report.method},
                            {"outlier_folding", std::move(methods)},
                            {"linear_inputs", std::move(layers)},
                            {"activation_type", report.activationType},
                            {"weights", report.weightGranularity},
                            {"calibration_samples", int64_t(report.calibrationSamples)},
                            {"evaluation_samples", int64_t(report.evaluationSamples)},
                            {"outputs", outputsJson(report)},
                            {"tensors", std::move(tensors)}};
    if (!report.groupWise.empty())
      root["group_wise_layers"] = std::move(groupWiseJson);
    if (!report.mixed.layers.empty())
      root["mixed_precision"] = std::move(mixedJson);
    if (!report.pareto.empty()) {
      root["pareto"] = std::move(paretoJson);
      root["mixed_precision_metric"] = report.klNoise ? "kl" : "sqnr";
    }
    llvm::raw_string_ostream os(js);
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  }
  std::string sqnrText = svg::barChart(report.weightOnly.empty()
                                           ? "SQNR of each tensor quantized alone, worst first"
                                           : "Weight SQNR per layer",
                                       "dB", bars);
  std::string paretoText;
  if (!report.pareto.empty()) {
    std::vector<svg::Point> points;
    for (const ParetoPoint &p : report.pareto)
      points.push_back({p.budget, p.cost, p.noise > 0 ? -10 * std::log10(p.noise) : INFINITY,
                        p.chosen});
    // (A KL divergence plotted the same way, -10 log10 of it: up is better.)
    paretoText = svg::scatterPlot(
        report.klNoise ? "Mixed precision: predicted output KL over budgets"
                       : "Mixed precision: predicted output SQNR over budgets",
        report.paretoCost,
        report.klNoise ? "predicted -10 log10 KL (dB of nats)" : "predicted SQNR (dB)", points);
  }
  std::vector<std::pair<std::string, std::string *>> files = {
      {std::string(stem) + ".md", &md}, {std::string(stem) + ".json", &js}, {sqnrSvg, &sqnrText}};
  if (!paretoText.empty())
    files.push_back({paretoSvg, &paretoText});
  for (auto &[file, text] : files) {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    if (ec) {
      error = "cannot write " + file + ": " + ec.message();
      return false;
    }
    os << *text;
  }
  return true;
}

} // namespace qopt
