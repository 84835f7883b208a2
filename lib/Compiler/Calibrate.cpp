//===- Calibrate.cpp - run the float model over a calibration set ---------===//
#include "qopt/Compiler/Calibrate.h"
#include "qopt/Compiler/Progress.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/Gptq.h"
#include "qopt/Support/Diagnostics.h"
#include "qopt/Support/ModelLibrary.h"
#include "qopt/Transforms/Quant/Passes.h"
#include "qopt/Transforms/Quant/QuantizableLayers.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MD5.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <unistd.h>

using namespace mlir;
using qopt::io::HostTensor;

namespace qopt {

namespace {

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

/// A directory of sample files.
struct DirectorySamples : CalibrationSamples {
  std::vector<std::string> files;
  size_t size() const override { return files.size(); }
  bool read(size_t i, std::vector<HostTensor> &out, std::string &label,
            std::string &error) override {
    label = files[i];
    out.clear();
    return io::readFile(files[i], out, error);
  }
};

/// One .npz whose members have a leading sample axis, streamed a sample at
/// a time.
struct StackedSamples : CalibrationSamples {
  std::string path;
  io::NpzSliceReader reader;
  size_t count = 0;
  size_t size() const override { return count; }
  bool read(size_t i, std::vector<HostTensor> &out, std::string &label,
            std::string &error) override {
    label = path + "[" + std::to_string(i) + "]";
    return reader.readSlice(i, out, error);
  }
};

struct ModelInput {
  std::string name;
  int32_t dtype;
  std::vector<int64_t> shape;
};

/// Matches a sample's tensors to the model inputs (by name, or by position
/// when no name matches) and checks dtype, rank, static dims and finiteness.
bool matchSample(std::vector<HostTensor> &tensors, const std::vector<ModelInput> &inputs,
                 const std::string &label, std::vector<HostTensor *> &ordered,
                 std::string &error) {
  ordered.assign(inputs.size(), nullptr);
  auto inputList = [&] {
    std::string s;
    for (const ModelInput &in : inputs)
      s += (s.empty() ? "" : ", ") + in.name;
    return s;
  };
  // Unnamed tensors (.npy, unnamed .pb, np.savez's arr_N) go by position;
  // named ones must name a model input.
  auto positional = [](const std::string &name) {
    if (name.empty())
      return true;
    if (name.rfind("arr_", 0) != 0 || name.size() == 4)
      return false;
    return std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  bool allPositional = std::all_of(tensors.begin(), tensors.end(),
                                   [&](const HostTensor &t) { return positional(t.name); });
  if (allPositional) {
    if (tensors.size() != inputs.size()) {
      error = label + ": has " + std::to_string(tensors.size()) +
              " unnamed tensors, the model has " + std::to_string(inputs.size()) +
              " inputs (" + inputList() + ")";
      return false;
    }
    for (size_t i = 0; i < tensors.size(); ++i)
      ordered[i] = &tensors[i];
  } else {
    for (HostTensor &t : tensors) {
      auto it = std::find_if(inputs.begin(), inputs.end(),
                             [&](const ModelInput &in) { return in.name == t.name; });
      if (it == inputs.end()) {
        error = label + ": '" + t.name + "' is not a model input (inputs: " + inputList() + ")";
        return false;
      }
      ordered[it - inputs.begin()] = &t;
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ModelInput &in = inputs[i];
    HostTensor *t = ordered[i];
    std::string where = label + ": input '" + in.name + "'";
    if (!t) {
      error = where + " is missing";
      return false;
    }
    if (t->dtype != in.dtype) {
      error = where + " has dtype " + qopt_dtype_name(t->dtype) + ", the model expects " +
              qopt_dtype_name(in.dtype);
      return false;
    }
    bool shapeOk = t->shape.size() == in.shape.size();
    for (size_t d = 0; shapeOk && d < in.shape.size(); ++d)
      shapeOk = in.shape[d] < 0 || in.shape[d] == t->shape[d];
    if (!shapeOk) {
      error = where + " has shape " + shapeText(t->shape) + ", the model expects " +
              shapeText(in.shape);
      return false;
    }
    if (t->dtype == QOPT_DTYPE_F32) {
      const float *p = reinterpret_cast<const float *>(t->data.data());
      size_t n = t->data.size() / sizeof(float);
      for (size_t k = 0; k < n; ++k)
        if (!std::isfinite(p[k])) {
          error = where + " contains " + (std::isnan(p[k]) ? "NaN" : "Inf") +
                  " (element " + std::to_string(k) + ")";
          return false;
        }
    }
  }
  return true;
}

} // namespace

std::unique_ptr<CalibrationSamples> CalibrationSamples::open(const std::string &path,
                                                             size_t maxSamples,
                                                             std::string &error) {
  if (llvm::sys::fs::is_directory(path)) {
    auto dir = std::make_unique<DirectorySamples>();
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec)) {
      std::string p = it->path();
      if (endsWith(p, ".npz") || endsWith(p, ".npy") || endsWith(p, ".pb"))
        dir->files.push_back(p);
    }
    if (ec) {
      error = "cannot list " + path + ": " + ec.message();
      return nullptr;
    }
    std::sort(dir->files.begin(), dir->files.end());
    if (maxSamples && dir->files.size() > maxSamples)
      dir->files.resize(maxSamples);
    if (dir->files.empty()) {
      error = "calibration set " + path + " has no samples (.npz, .npy or .pb files)";
      return nullptr;
    }
    return dir;
  }
  if (!llvm::sys::fs::exists(path)) {
    error = "calibration set " + path + " does not exist";
    return nullptr;
  }
  if (!endsWith(path, ".npz")) {
    error = "calibration set " + path +
            " must be a directory or an .npz with a leading sample axis";
    return nullptr;
  }
  auto stacked = std::make_unique<StackedSamples>();
  stacked->path = path;
  if (!stacked->reader.open(path, error))
    return nullptr;
  for (const HostTensor &a : stacked->reader.arrays()) {
    size_t n = size_t(a.shape[0]);
    if (stacked->count && n != stacked->count) {
      error = path + ": members have different sample counts (" +
              std::to_string(stacked->count) + " and " + std::to_string(n) + " for '" +
              a.name + "')";
      return nullptr;
    }
    stacked->count = n;
  }
  if (stacked->count == 0) {
    error = "calibration set " + path + " has no samples";
    return nullptr;
  }
  if (maxSamples && stacked->count > maxSamples)
    stacked->count = maxSamples;
  return stacked;
}

bool readSampleFor(const io::ModelLibrary &lib, CalibrationSamples &samples, size_t i,
                   std::vector<HostTensor> &storage, std::vector<qopt_tensor> &inputs,
                   std::string &label, std::string &error) {
  const io::ModelApi &api = lib.api();
  qopt_model *model = lib.model();
  std::vector<ModelInput> modelInputs;
  for (size_t k = 0; k < api.numInputs(model); ++k) {
    ModelInput in{api.inputName(model, k), api.inputDtype(model, k), {}};
    const int64_t *shape = api.inputShape(model, k);
    in.shape.assign(shape, shape + api.inputRank(model, k));
    modelInputs.push_back(std::move(in));
  }
  std::vector<HostTensor *> ordered;
  if (!samples.read(i, storage, label, error) ||
      !matchSample(storage, modelInputs, label, ordered, error))
    return false;
  inputs.assign(modelInputs.size(), qopt_tensor{});
  for (size_t k = 0; k < modelInputs.size(); ++k) {
    qopt_tensor &t = inputs[k];
    t.data = ordered[k]->data.data();
    t.dtype = ordered[k]->dtype;
    t.rank = int32_t(ordered[k]->shape.size());
    std::copy(ordered[k]->shape.begin(), ordered[k]->shape.end(), t.shape);
  }
  return true;
}

/// Appends up to ceil(budget / samples) rows of length `width`, evenly
/// spaced over the `n / width` rows of one sample, to `rows` (at most
/// `budget` rows in all).
static void sampleRows(const float *data, size_t n, size_t width, size_t budget,
                       size_t samples, std::vector<float> &rows) {
  if (width == 0 || n < width)
    return;
  size_t have = rows.size() / width, total = n / width;
  size_t quota = std::min((budget + samples - 1) / std::max<size_t>(samples, 1), budget - std::min(budget, have));
  if (quota == 0)
    return;
  size_t stride = std::max<size_t>(1, total / quota);
  for (size_t r = 0, taken = 0; r < total && taken < quota; r += stride, ++taken)
    rows.insert(rows.end(), data + r * width, data + (r + 1) * width);
}

LogicalResult runCalibration(ModuleOp module, const CalibrationOptions &options,
                             quant::CalibrationStats &stats, std::string &error,
                             std::string *floatLibrary) {
  std::unique_ptr<CalibrationSamples> samples =
      CalibrationSamples::open(options.dataPath, options.maxSamples, error);
  if (!samples)
    return failure();

  // Compile the model with the observed tensors as outputs.
  OwningOpRef<ModuleOp> instrumented = module.clone();
  // GPTQ reads each rounded layer's input: the observed tensor it consumes.
  struct RoundedLayer {
    quantutil::QuantizableLayer layer;
    quantutil::RoundableWeight weight;
    quant::LayerHessian hessian;
  };
  std::vector<RoundedLayer> layers;
  if (options.roundWeights)
    for (quantutil::QuantizableLayer &l : quantutil::quantizableLayers(module, options.keepFloat))
      if (std::optional<quantutil::RoundableWeight> w = quantutil::roundableWeight(l))
        if (!options.groupWeights || !w->isConv)
          layers.push_back({l, *w, w->makeHessian()});
  {
    PassManager pm(module.getContext());
    pm.addPass(createExposeObservers());
    if (failed(pm.run(*instrumented))) {
      error = "cannot expose the observers";
      return failure();
    }
  }
  // Observers inside control flow report each value through the runtime.
  std::vector<std::string> regionIds;
  if (auto ids = (*instrumented)->getAttrOfType<ArrayAttr>("qopt.region_observers"))
    for (Attribute id : ids)
      regionIds.push_back(cast<StringAttr>(id).str());
  SmallString<256> so;
  if (auto ec = llvm::sys::fs::createTemporaryFile("qopt-calib", "so", so)) {
    error = "cannot create a temporary file: " + ec.message();
    return failure();
  }
  // A library only this run loads borrows the weights from this process
  // (a 28 GB model is not written out again); a kept one carries its own.
  std::vector<const void *> borrowed;
  // Convolutions on the GEMM either way: a borrowing library cannot pack its
  // weights (nor take qopt-winograd-conv, which needs them packed), and the
  // statistics must not depend on whether the library is kept (Winograd's
  // sums differ from the GEMM's in the last bits, and so would the scales).
  CompileOptions compile = options.compile;
  compile.winograd = false;
  if (failed(compileToSharedLibrary(*instrumented, compile, so, error,
                                    floatLibrary ? nullptr : &borrowed))) {
    llvm::sys::fs::remove(so);
    error = "compiling the calibration model: " + error;
    return failure();
  }
  llvm::scope_exit cleanup([&] {
    if (!floatLibrary)
      llvm::sys::fs::remove(so);
  });
  if (floatLibrary)
    *floatLibrary = std::string(so);
  std::unique_ptr<io::ModelLibrary> lib =
      io::ModelLibrary::load(std::string(so), error, borrowed);
  if (!lib)
    return failure();
  const io::ModelApi &api = lib->api();
  qopt_model *model = lib->model();
  size_t numOutputs = api.numOutputs(model);
  std::vector<std::pair<size_t, std::string>> observed;
  const std::string prefix = "qopt.observe:";
  for (size_t i = 0; i < numOutputs; ++i) {
    std::string name = api.outputName(model, i);
    if (name.rfind(prefix, 0) == 0)
      observed.emplace_back(i, name.substr(prefix.size()));
  }

  // Check every sample before the first run.
  std::vector<HostTensor> tensors;
  std::vector<qopt_tensor> in;
  std::string label;
  ProgressBar check{"checking calibration data", samples->size(), options.showProgress};
  for (size_t i = 0; i < samples->size(); ++i) {
    if (!readSampleFor(*lib, *samples, i, tensors, in, label, error))
      return failure();
    check.update(i + 1);
  }

  stats.tensors.clear();
  stats.weights.clear();
  stats.groupWeights.clear();
  stats.rows.clear();
  // Channel ranges along each observer's channel_axis (default 1).
  std::map<std::string, int64_t> channelAxes;
  module.walk([&](ObserverOp o) {
    channelAxes[o.getId().str()] = static_cast<int64_t>(o.getChannelAxis().value_or(1));
  });
  auto addTensor = [&](const std::string &id) {
    quant::TensorStats t;
    auto axis = channelAxes.find(id);
    if (axis != channelAxes.end())
      t.channelAxis = axis->second;
    stats.tensors.emplace(id, std::move(t));
  };
  for (auto &[index, id] : observed)
    addTensor(id);
  for (const std::string &id : regionIds)
    addTensor(id);
  // The rounded layers reading each observed tensor.
  std::map<std::string, std::vector<size_t>> layersOf;
  for (size_t l = 0; l < layers.size(); ++l)
    layersOf[layers[l].layer.input.getDefiningOp<ObserverOp>().getId().str()].push_back(l);

  // Every observed value, a model output or a value seen inside control flow
  // (once per branch taken or iteration): statistics, sampled rows and the
  // Hessians of the layers it feeds. The first NaN/Inf or bad shape stops
  // the observation of the sample.
  std::string bad, badLayer;
  size_t sample = 0;
  // Rows are sampled once per sample and tensor: a value seen at every
  // iteration of a loop gives rows from its first iteration (else the first
  // samples' iterations would spend the whole budget).
  std::map<std::string, size_t> rowsTaken;
  auto observe = [&](const std::string &id, const float *data, int32_t rank,
                     const int64_t *dims) {
    if (!bad.empty() || !badLayer.empty())
      return;
    std::vector<int64_t> shape(dims, dims + rank);
    size_t n = 1;
    for (int64_t d : shape)
      n *= size_t(d);
    quant::TensorStats &s = stats.tensors.at(id);
    if (!s.add(data, n)) {
      bad = id;
      return;
    }
    s.addChannels(data, shape);
    if (options.sampleRows && s.channelAxis == -1 && rank >= 1) {
      auto [taken, first] = rowsTaken.try_emplace(id, sample);
      if (first || taken->second != sample) {
        taken->second = sample;
        sampleRows(data, n, size_t(shape.back()), options.sampleRows, samples->size(),
                   stats.rows[id]);
      }
    }
    auto readers = layersOf.find(id);
    if (readers != layersOf.end())
      for (size_t l : readers->second)
        if (!layers[l].hessian.add(data, shape)) {
          badLayer = describeLocation(layers[l].layer.op->getLoc());
          return;
        }
  };
  struct RegionObserver {
    const std::vector<std::string> *ids;
    decltype(observe) *fn;
    static void call(void *user, int64_t index, const float *data, int32_t rank,
                     const int64_t *shape) {
      auto *self = static_cast<RegionObserver *>(user);
      if (index >= 0 && size_t(index) < self->ids->size())
        (*self->fn)((*self->ids)[size_t(index)], data, rank, shape);
    }
  } regionObserver{&regionIds, &observe};
  if (!regionIds.empty()) {
    if (!api.setObserver) {
      error = "the calibration library cannot report values inside control flow";
      return failure();
    }
    api.setObserver(&RegionObserver::call, &regionObserver);
  }
  llvm::scope_exit unsetObserver([&] {
    if (api.setObserver)
      api.setObserver(nullptr, nullptr);
  });

  ProgressBar bar{"calibrating", samples->size(), options.showProgress};
  std::vector<qopt_tensor> out(numOutputs);
  for (size_t i = 0; i < samples->size(); ++i) {
    if (!readSampleFor(*lib, *samples, i, tensors, in, label, error))
      return failure();
    sample = i;
    for (qopt_tensor &t : out)
      std::memset(&t, 0, sizeof t);
    if (api.run(model, in.data(), in.size(), out.data(), out.size()) != 0) {
      error = label + ": running the model failed: " + api.lastError();
      return failure();
    }
    for (auto &[index, id] : observed) {
      const qopt_tensor &t = out[index];
      observe(id, static_cast<const float *>(t.data), t.rank, t.shape);
    }
    for (qopt_tensor &t : out)
      if (t.data)
        api.free(t.data);
    if (!badLayer.empty()) {
      error = label + ": the input of layer " + badLayer + " has an unexpected shape";
      return failure();
    }
    if (!bad.empty()) {
      error = label + ": the float model computes NaN or Inf in tensor '" + bad + "'";
      return failure();
    }
    bar.update(i + 1);
  }
  stats.samples = samples->size();
  stats.modelFingerprint = quantutil::modelFingerprint(module);
  ProgressBar rounding{"rounding weights (GPTQ)", layers.size(), options.showProgress};
  for (size_t l = 0; l < layers.size(); ++l) {
    RoundedLayer &r = layers[l];
    std::vector<double> w = quantutil::weightMatrix(r.layer, r.weight);
    if (w.empty()) {
      error = "cannot read the weights of " + describeLocation(r.layer.op->getLoc());
      return failure();
    }
    r.hessian.finish();
    auto round = [&](const std::string &key, const quant::GroupSpec &spec) {
      quant::GroupWeights &g = stats.groupWeights[key] =
          quant::gptqGroupwise(w, r.weight.rows, r.weight.cols, r.hessian, spec);
      stats.hessianProxy[key] = quant::hessianWeightedError(w, g, r.hessian);
    };
    if (options.groupWeights)
      round(r.layer.id, *options.groupWeights);
    else
      stats.weights[r.layer.id] = quant::gptqRound(w, r.weight.rows, r.weight.cols, r.hessian,
                                                   options.perTensorWeights);
    // (Convs have no group-wise form.)
    if (!r.weight.isConv)
      for (const quant::GroupSpec &spec : options.extraGroupWeights)
        if (r.weight.cols % spec.groupSize == 0)
          round(quant::groupWeightsKey(r.layer.id, spec), spec);
    // The Hessian (K x K doubles per group) is not needed any more.
    r.hessian = quant::LayerHessian::matmul(0);
    rounding.update(l + 1);
  }
  return success();
}

} // namespace qopt
