//===- LayerLatency.cpp - per-layer latency micro-benchmarks ---------------===//
//
// Mixed precision first took a layer's float cost as its multiply-add share
// of the all-float model's latency over the all-INT8 one's: a depthwise
// conv (few MACs, memory-bound) and a 1x1 conv (many MACs, fast INT8
// kernels) are not alike per MAC. Here each layer is compiled alone, INT8
// and float, and timed where the model will run.
//
//===----------------------------------------------------------------------===//
#include "qopt/Compiler/LayerLatency.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Compiler/Report.h"
#include "qopt/Support/ModelLibrary.h"
#include "qopt/Target/CPU/CPUTarget.h"
#include "qopt/Transforms/Passes.h"
#include "qopt/Transforms/Quant/QuantUtils.h"
#include "qopt/Transforms/Quant/QuantizableLayers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <thread>

#include <unistd.h>

using namespace mlir;

namespace qopt {

LogicalResult specializeShapes(ModuleOp module, const std::vector<std::vector<int64_t>> &shapes,
                               std::string &error) {
  func::FuncOp func;
  for (auto f : module.getOps<func::FuncOp>())
    if (f.isPublic() && !f.isExternal())
      func = f;
  if (!func || func.getNumArguments() != shapes.size()) {
    error = "specializing shapes: the model's inputs do not match the sample's";
    return failure();
  }
  SmallVector<Type> inputs;
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    auto t = dyn_cast<RankedTensorType>(arg.getType());
    if (!t || t.getRank() != int64_t(shapes[i].size())) {
      error = "specializing shapes: input #" + std::to_string(i) + " has another rank";
      return failure();
    }
    SmallVector<int64_t> dims(t.getShape());
    for (auto [d, s] : llvm::zip(dims, shapes[i])) {
      if (!ShapedType::isDynamic(d) && d != s) {
        error = "specializing shapes: input #" + std::to_string(i) + " has another shape";
        return failure();
      }
      d = s;
    }
    arg.setType(t.clone(dims));
    inputs.push_back(arg.getType());
  }
  func.setType(FunctionType::get(module.getContext(), inputs, func.getResultTypes()));
  // Observers have no shape inference (their result is their input's
  // type): between rounds of qopt-refine-shapes each takes its input's
  // refined type, until none changes; the IR is verified after the last.
  for (bool changed = true; changed;) {
    PassManager pm(module.getContext());
    pm.enableVerifier(false);
    pm.addNestedPass<func::FuncOp>(createRefineShapes());
    if (failed(pm.run(module))) {
      error = "specializing shapes: shape inference failed";
      return failure();
    }
    changed = false;
    module.walk([&](ObserverOp o) {
      if (o.getResult().getType() != o.getInput().getType()) {
        o.getResult().setType(o.getInput().getType());
        changed = true;
      }
    });
  }
  if (failed(mlir::verify(module))) {
    error = "specializing shapes: the refined model does not verify";
    return failure();
  }
  return success();
}

/// A constant or an absent optional operand (qopt.none): cloned with the layer.
static bool isClonedOperand(Value v) {
  return quantutil::isConstant(v) || isa<NoneType>(v.getType());
}

static bool isStaticF32(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.hasStaticShape() && r.getElementType().isF32();
}

OwningOpRef<ModuleOp> extractLayer(Operation *layer, bool int8, ArrayRef<std::string> keepFloat,
                                   std::string &why) {
  MLIRContext *ctx = layer->getContext();
  Location loc = layer->getLoc();
  SmallVector<Operation *> chain{layer};
  Value end = layer->getResult(0);
  while (end.hasOneUse() && quantutil::isFoldableActivation(*end.getUsers().begin())) {
    chain.push_back(*end.getUsers().begin());
    end = chain.back()->getResult(0);
  }
  if (!isStaticF32(end.getType())) {
    why = "its output is not an f32 tensor of static shape";
    return nullptr;
  }
  // The activation operands (the observed values when observed).
  SmallVector<Value> acts;
  SmallVector<Type> argTypes;
  for (Value v : layer->getOperands()) {
    if (isClonedOperand(v))
      continue;
    if (!isStaticF32(v.getType())) {
      why = "an input is not an f32 tensor of static shape";
      return nullptr;
    }
    acts.push_back(v);
    argTypes.push_back(v.getType());
  }
  OwningOpRef<ModuleOp> m = ModuleOp::create(loc);
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(m->getBody());
  auto func = func::FuncOp::create(b, loc, "main", b.getFunctionType(argTypes, {end.getType()}));
  for (unsigned i = 0; i < argTypes.size(); ++i)
    func.setArgAttr(i, "qopt.name", b.getStringAttr("x" + std::to_string(i)));
  func.setResultAttr(0, "qopt.name", b.getStringAttr("y"));
  b.setInsertionPointToStart(func.addEntryBlock());
  IRMapping map;
  for (auto [i, v] : llvm::enumerate(acts)) {
    Value arg = func.getArgument(i);
    if (auto o = v.getDefiningOp<ObserverOp>(); o && int8) {
      arg = quantutil::observeLike(b, arg, o->getAttrDictionary());
      if (quantutil::integerProducer(o.getInput(), keepFloat)) {
        auto copy = cast<ObserverOp>(arg.getDefiningOp());
        copy.removeChannelMinAttr();
        copy.removeChannelMaxAttr();
      }
    }
    map.map(v, arg);
  }
  for (Operation *op : chain) {
    for (Value v : op->getOperands()) {
      if (map.contains(v))
        continue;
      if (!isClonedOperand(v) || !v.getDefiningOp()) {
        why = "an operand of '" + op->getName().getStringRef().str() +
              "' is neither the layer's input nor a constant";
        return nullptr;
      }
      b.clone(*v.getDefiningOp(), map);
    }
    b.clone(*op, map);
  }
  Operation *copy = map.lookup(layer->getResult(0)).getDefiningOp();
  if (!int8)
    copy->setAttr(quantutil::kFormatAttr, b.getStringAttr("float"));
  Value out = map.lookup(end);
  if (int8)
    for (Operation *user : end.getUsers())
      if (auto o = dyn_cast<ObserverOp>(user)) {
        out = quantutil::observeLike(b, out, o->getAttrDictionary());
        break;
      }
  func::ReturnOp::create(b, loc, out);
  return m;
}

std::string layerLatencyKey(ModuleOp extracted, const CompileOptions &options,
                            StringRef quantization) {
  OwningOpRef<ModuleOp> copy = extracted.clone();
  // What names a tensor or a layer, the weights' values and the calibrated
  // ranges are not what its kernels cost: which statistics an observer has
  // (per-tensor or per-channel, ...) and its other attributes (the channel
  // axis) stay.
  copy->walk([](Operation *op) {
    MLIRContext *ctx = op->getContext();
    if (isa<ObserverOp>(op)) {
      std::string names;
      SmallVector<StringAttr> drop;
      for (NamedAttribute a : op->getAttrs())
        if (llvm::is_contained({"id", "min", "max", "histogram", "hist_min", "hist_max",
                                "channel_min", "channel_max"},
                               a.getName().strref())) {
          names += a.getName().str() + ",";
          drop.push_back(a.getName());
        }
      for (StringAttr name : drop)
        op->removeAttr(name);
      op->setAttr("id", StringAttr::get(ctx, ""));
      op->setAttr("stats", StringAttr::get(ctx, names));
    }
    if (auto c = dyn_cast<ConstantOp>(op)) {
      auto t = dyn_cast<RankedTensorType>(c.getType());
      if (t && isa<FloatType>(t.getElementType()))
        op->setAttr("value", DenseElementsAttr::get(t, FloatAttr::get(t.getElementType(), 0.0)));
    }
    op->removeAttr(quantutil::kLayerIdAttr);
    op->setLoc(UnknownLoc::get(ctx));
  });
  std::string text;
  llvm::raw_string_ostream os(text);
  // Generic form: the same text whether or not the stripped ops verify.
  copy->print(os, OpPrintingFlags()
                      .elideLargeElementsAttrs(8)
                      .elideLargeResourceString(8)
                      .printGenericOpForm()
                      .assumeVerified());
  os << "|opt=" << options.optLevel << "|cpu=" << options.targetCPU
     << "|features=" << options.targetFeatures << "|isa=" << options.kernelIsa
     << "|threads=" << options.threads << "|winograd=" << options.winograd
     << "|quantization=" << quantization;
  return llvm::utohexstr(llvm::xxh3_64bits(text), /*LowerCase=*/true, /*Width=*/16);
}

/// xxh3 of a file's bytes ("" if it cannot be read).
static std::string fileHash(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buf)
    return "";
  return llvm::utohexstr(llvm::xxh3_64bits(llvm::arrayRefFromStringRef((*buf)->getBuffer())),
                         true, 16);
}

LayerLatencyCache::LayerLatencyCache(std::string directory) {
  if (directory.empty())
    return;
  std::string id;
  llvm::raw_string_ostream os(id);
  os << "cpu=" << llvm::sys::getHostCPUName() << "|";
  for (const auto &f : llvm::sys::getHostCPUFeatures())
    if (f.second)
      os << f.first() << ",";
  // A static local's address: the executable (or library) holding this code.
  static int anchor;
  os << "|cores=" << std::thread::hardware_concurrency()
     << "|compiler=" << fileHash(llvm::sys::fs::getMainExecutable(nullptr, &anchor))
     << "|runtime=" << fileHash(findRuntimeLibrary("libqopt_model_runtime.a", "QOPT_RUNTIME_LIB"))
     << "|llvm=" << LLVM_VERSION_STRING;
  SmallString<256> p(directory);
  llvm::sys::path::append(p, "layer-latency-" +
                                 llvm::utohexstr(llvm::xxh3_64bits(id), true, 16) + ".json");
  file = std::string(p);
  auto buf = llvm::MemoryBuffer::getFile(file);
  if (!buf)
    return;
  // An unreadable file is measured again and replaced.
  llvm::Expected<llvm::json::Value> v = llvm::json::parse((*buf)->getBuffer());
  if (!v) {
    llvm::consumeError(v.takeError());
    return;
  }
  if (auto *o = v->getAsObject())
    if (auto *l = o->getObject("layers"))
      layers = std::move(*l);
}

std::string LayerLatencyCache::defaultDirectory() {
  if (auto d = llvm::sys::Process::GetEnv("QOPT_CACHE_DIR"))
    return *d;
  SmallString<256> p;
  if (auto x = llvm::sys::Process::GetEnv("XDG_CACHE_HOME"); x && !x->empty())
    p = *x;
  else if (auto h = llvm::sys::Process::GetEnv("HOME"); h && !h->empty())
    llvm::sys::path::append(p, *h, ".cache");
  else
    return "";
  llvm::sys::path::append(p, "qopt");
  return std::string(p);
}

std::optional<LayerLatencyCache::Entry> LayerLatencyCache::lookup(const std::string &key) const {
  if (file.empty())
    return std::nullopt;
  const llvm::json::Object *o = layers.getObject(key);
  if (!o)
    return std::nullopt;
  std::optional<double> i8 = o->getNumber("int8_ms"), f = o->getNumber("float_ms");
  if (!i8 || !f || !std::isfinite(*i8) || !std::isfinite(*f) || *i8 <= 0 || *f <= 0)
    return std::nullopt;
  return Entry{*i8, *f};
}

void LayerLatencyCache::store(const std::string &key, const std::string &what, Entry e) {
  if (file.empty())
    return;
  layers[key] = llvm::json::Object{{"layer", what}, {"int8_ms", e.int8Ms}, {"float_ms", e.floatMs}};
  dirty = true;
}

LogicalResult LayerLatencyCache::save(std::string &error) {
  if (file.empty() || !dirty)
    return success();
  if (auto ec = llvm::sys::fs::create_directories(llvm::sys::path::parent_path(file))) {
    error = "cannot create " + llvm::sys::path::parent_path(file).str() + ": " + ec.message();
    return failure();
  }
  SmallString<256> tmp;
  int fd = -1;
  if (auto ec = llvm::sys::fs::createUniqueFile(file + ".tmp-%%%%%%", fd, tmp)) {
    error = "cannot write the layer latency cache " + file + ": " + ec.message();
    return failure();
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                     {"layers", llvm::json::Object(layers)}}))
       << "\n";
  }
  // Concurrent compiles: the last rename wins (entries of the other lost, none torn).
  if (auto ec = llvm::sys::fs::rename(tmp, file)) {
    llvm::sys::fs::remove(tmp);
    error = "cannot write the layer latency cache " + file + ": " + ec.message();
    return failure();
  }
  dirty = false;
  return success();
}

namespace {
/// A loaded library with deterministic f32 inputs of its declared shapes.
struct TimedLibrary {
  std::unique_ptr<io::ModelLibrary> lib;
  std::vector<std::vector<float>> data;
  std::vector<qopt_tensor> in;
  double best = INFINITY;

  LogicalResult open(const std::string &path, std::string &error) {
    lib = io::ModelLibrary::load(path, error);
    if (!lib)
      return failure();
    const io::ModelApi &api = lib->api();
    // One thread (timeLibraryPair).
    if (!api.setNumThreads || api.setNumThreads(lib->model(), 1) != 0) {
      error = path + ": cannot set the thread count";
      return failure();
    }
    size_t n = api.numInputs(lib->model());
    data.resize(n);
    in.resize(n);
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; ++i) {
      int32_t rank = api.inputRank(lib->model(), i);
      const int64_t *shape = api.inputShape(lib->model(), i);
      if (api.inputDtype(lib->model(), i) != QOPT_DTYPE_F32 || rank < 0 || rank > QOPT_MAX_RANK) {
        error = path + ": input #" + std::to_string(i) + " is not an f32 tensor";
        return failure();
      }
      qopt_tensor &t = in[i];
      t = {};
      t.dtype = QOPT_DTYPE_F32;
      t.rank = rank;
      size_t count = 1;
      for (int32_t d = 0; d < rank; ++d) {
        if (shape[d] < 0) {
          error = path + ": input #" + std::to_string(i) + " has a dynamic dimension";
          return failure();
        }
        t.shape[d] = shape[d];
        count *= size_t(shape[d]);
      }
      data[i].resize(count);
      for (float &x : data[i]) { // splitmix64 -> [-1, 1)
        state += 0x9e3779b97f4a7c15ull;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        x = float(double(z >> 40) / double(1ull << 23) - 1.0);
      }
      t.data = data[i].data();
    }
    return success();
  }

  LogicalResult time(size_t runs, double ms, std::string &error,
                     const std::function<void()> &beforeEach) {
    return fastestRun(*lib, in, runs, ms, best, "a layer's micro-benchmark", error, beforeEach);
  }
};
} // namespace

LogicalResult timeLibraries(ArrayRef<std::string> paths, std::vector<double> &ms,
                            std::string &error, size_t evictBytes) {
  std::vector<TimedLibrary> libs(paths.size());
  for (auto [lib, path] : llvm::zip_equal(libs, paths))
    if (failed(lib.open(path, error)))
      return failure();
  // Evicting: a buffer of evictBytes read and written before every run.
  std::vector<uint64_t> evict(evictBytes / sizeof(uint64_t));
  std::function<void()> beforeEach;
  if (!evict.empty())
    beforeEach = [&evict] {
      for (uint64_t &x : evict)
        x += 1;
      // (Kept: the writes are not dead.)
      asm volatile("" : : "r"(evict.data()) : "memory");
    };
  // Warm: first-touch of the arenas and the weights.
  for (TimedLibrary &lib : libs)
    if (failed(lib.time(3, 0, error, beforeEach)))
      return failure();
  for (TimedLibrary &lib : libs)
    lib.best = INFINITY;
  // (Evicting, five runs a round: a run of microseconds would otherwise
  // repeat the eviction of tens of MB hundreds of times to fill 5 ms.)
  for (int round = 0; round < 4; ++round)
    for (TimedLibrary &lib : libs)
      if (failed(lib.time(5, evict.empty() ? 5 : 0, error, beforeEach)))
        return failure();
  ms.clear();
  for (const TimedLibrary &lib : libs)
    ms.push_back(lib.best);
  return success();
}

size_t lastLevelCacheBytes(StringRef sysfsCpu) {
  // The highest level sysfs lists for CPU 0 (the cache one core shares: on
  // a chip of several core complexes, sysconf can report all of them
  // together, 8x too large on an AMD EPYC).
  size_t best = 0;
  int bestLevel = 0;
  for (int index = 0; index < 8; ++index) {
    std::string dir = sysfsCpu.str() + "/cache/index" + std::to_string(index) + "/";
    // (std streams: sysfs files claim a size of 4096 bytes and hold fewer.)
    std::ifstream levelFile(dir + "level"), sizeFile(dir + "size");
    int level = 0;
    size_t kb = 0;
    char unit = 0;
    if (!(levelFile >> level) || !(sizeFile >> kb >> unit) || unit != 'K')
      continue;
    if (level > bestLevel) {
      bestLevel = level;
      best = kb * 1024;
    }
  }
#ifdef _SC_LEVEL3_CACHE_SIZE
  if (!best) {
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    best = l3 > 0 ? size_t(l3) : 0;
  }
#endif
  return best ? best : size_t(32) << 20;
}

LogicalResult timeLibraryPair(const std::string &a, const std::string &b, double &aMs,
                              double &bMs, std::string &error) {
  std::vector<double> ms;
  if (failed(timeLibraries({a, b}, ms, error)))
    return failure();
  aMs = ms[0];
  bMs = ms[1];
  return success();
}

} // namespace qopt
