//===- ModelLibrary.h - load a qoptc-compiled shared library -----*- C++ -*-===//
//
// dlopen()s a model library and resolves the C ABI of qopt-c/Runtime.h, for
// the tools that run compiled models (qopt-run, the calibration driver).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_SUPPORT_MODELLIBRARY_H
#define QOPT_SUPPORT_MODELLIBRARY_H

#include "qopt-c/Runtime.h"

#include <memory>
#include <string>
#include <vector>

namespace qopt::io {

struct ModelApi {
  qopt_model *(*create)();
  void (*destroy)(qopt_model *);
  size_t (*numInputs)(const qopt_model *);
  size_t (*numOutputs)(const qopt_model *);
  const char *(*inputName)(const qopt_model *, size_t);
  int32_t (*inputDtype)(const qopt_model *, size_t);
  int32_t (*inputRank)(const qopt_model *, size_t);
  const int64_t *(*inputShape)(const qopt_model *, size_t);
  const char *(*outputName)(const qopt_model *, size_t);
  int (*run)(qopt_model *, const qopt_tensor *, size_t, qopt_tensor *, size_t);
  const char *(*lastError)();
  void (*free)(void *);
  // ABI 2, absent from older libraries (nullptr then).
  const char *(*target)();
  double (*lastRunDeviceMs)(const qopt_model *);
  size_t (*devicePeakBytes)(const qopt_model *);
  // Calibration support (present since observers inside control flow).
  void (*setObserver)(qopt_observe_fn, void *);
  // Per-instance thread count (present since ABI 2's thread control).
  int (*setNumThreads)(qopt_model *, int);
};

/// A loaded model library with one model instance.
class ModelLibrary {
public:
  /// Loads `path`; nullptr with `error` set on failure. A library compiled
  /// to borrow its weights (emitSharedLibrary's `borrowed`) gets their
  /// addresses in its table before the instance is created.
  static std::unique_ptr<ModelLibrary> load(const std::string &path,
                                            std::string &error,
                                            const std::vector<const void *> &borrowed = {});
  ~ModelLibrary();
  ModelLibrary(const ModelLibrary &) = delete;
  ModelLibrary &operator=(const ModelLibrary &) = delete;

  const ModelApi &api() const { return fns; }
  qopt_model *model() const { return instance; }

private:
  ModelLibrary() = default;
  void *handle = nullptr;
  qopt_model *instance = nullptr;
  ModelApi fns{};
};

} // namespace qopt::io

#endif
