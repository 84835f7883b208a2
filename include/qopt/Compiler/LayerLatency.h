//===- LayerLatency.h - per-layer latency micro-benchmarks -------*- C++ -*-===//
//
// Mixed precision's latency cost of a layer: the layer alone in a module of
// its own (its activation inputs as arguments at their real shapes, its
// constants, the activations that fold into its output), compiled INT8 and
// float and timed on this machine, the two alternately. Results are cached
// per machine, compiler build and layer in a file under the user's cache
// directory.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_COMPILER_LAYERLATENCY_H
#define QOPT_COMPILER_LAYERLATENCY_H

#include "qopt/Compiler/Compiler.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/JSON.h"

#include <optional>
#include <string>

namespace qopt {

/// `func`'s dynamic argument dimensions set from `shapes` (one per argument,
/// as a calibration sample has them) and the shapes inferred again
/// (qopt-refine-shapes), so every layer gets the static shapes it runs at.
/// Fails with `error` when an argument's rank or a static dimension does
/// not match.
llvm::LogicalResult specializeShapes(mlir::ModuleOp module,
                                     const std::vector<std::vector<int64_t>> &shapes,
                                     std::string &error);

/// A module holding `layer` alone: one argument per activation operand (f32,
/// static shape), its constant operands cloned, then the Relu/Clip chain that
/// folds into its output, returned. With `int8`, the observers of its
/// activation operands and of its output (when the model quantizes the
/// output for a consumer) come along with their attributes, so the
/// calibration statistics quantize it as in the model; without, the layer is
/// marked float. An input an INT8 layer computes in the model (an integer
/// producer, `keepFloat` honoured) loses its observer's channel ranges, so
/// that it is quantized per tensor as in the model (alone, an argument is a
/// float producer). Null, with `why`, when an operand is neither a constant
/// nor a static f32 tensor.
mlir::OwningOpRef<mlir::ModuleOp> extractLayer(mlir::Operation *layer, bool int8,
                                               llvm::ArrayRef<std::string> keepFloat,
                                               std::string &why);

/// The cache key of an extracted layer module: its IR (weight values,
/// tensor and layer ids, calibrated ranges and locations dropped; which
/// statistics an observer has and its channel axis kept), the compile
/// options the kernels depend on and `quantization` (the quantization
/// options that shape the INT8 form: activation type, weight and input
/// granularity), hashed. Two layers with the same shapes, attributes and
/// quantization form share a key, whatever their model.
std::string layerLatencyKey(mlir::ModuleOp extracted, const CompileOptions &options,
                            llvm::StringRef quantization);

/// Per-layer timings of one machine and compiler build: the file
/// `<directory>/layer-latency-<machine and build hash>.json`. The hash
/// covers the host CPU (name, features, cores), the compiler executable's
/// and the model runtime's bytes and LLVM's version, so new kernels or
/// another machine start a new file.
class LayerLatencyCache {
public:
  /// `directory` empty: no cache (every lookup misses, save does nothing).
  explicit LayerLatencyCache(std::string directory);
  /// QOPT_CACHE_DIR, else $XDG_CACHE_HOME/qopt, else $HOME/.cache/qopt.
  static std::string defaultDirectory();

  struct Entry {
    double int8Ms = 0, floatMs = 0;
  };
  std::optional<Entry> lookup(const std::string &key) const;
  void store(const std::string &key, const std::string &what, Entry e);
  /// Writes the file if anything was stored (a temporary renamed over it).
  llvm::LogicalResult save(std::string &error);
  const std::string &path() const { return file; }

private:
  std::string file;
  llvm::json::Object layers;
  bool dirty = false;
};

/// `a` and `b` (libraries whose inputs are all f32 of static shape) run
/// alternately on the same deterministic pseudo-random inputs, in rounds of
/// at least 5 runs and 5 ms each: the fastest run of each, in ms. Both run on
/// one thread, whatever the model's thread count: on a loaded machine every
/// fork/join of a parallel region waits for a descheduled worker, a
/// scheduler time slice (about 4 ms) per region, and a layer of 0.04 ms
/// measured 3.8 ms in every run (mixed precision scales the layers'
/// differences to the whole models' measured one, at the model's threads).
llvm::LogicalResult timeLibraryPair(const std::string &a, const std::string &b, double &aMs,
                                    double &bMs, std::string &error);

/// timeLibraryPair's measurement of any number of libraries, in rounds that
/// run each in turn: `ms[i]` is `paths[i]`'s fastest run. With
/// `evictBytes`, a buffer of that size is read and written before every
/// run (untimed), so that a layer's weights come from memory, as in a model
/// larger than the caches, not from the cache its previous run left them
/// in.
llvm::LogicalResult timeLibraries(llvm::ArrayRef<std::string> paths, std::vector<double> &ms,
                                  std::string &error, size_t evictBytes = 0);

/// The bytes of the last-level cache one core uses: the highest level
/// `<sysfsCpu>/cache/index*/` lists (sizes in K), else sysconf's L3, else
/// 32 MiB.
size_t lastLevelCacheBytes(llvm::StringRef sysfsCpu = "/sys/devices/system/cpu/cpu0");

} // namespace qopt

#endif
