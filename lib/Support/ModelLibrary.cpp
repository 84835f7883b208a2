//===- ModelLibrary.cpp - load a qoptc-compiled shared library ------------===//
#include "qopt/Support/ModelLibrary.h"

#include <algorithm>
#include <cstdint>
#include <dlfcn.h>
#include <type_traits>

namespace qopt::io {

std::unique_ptr<ModelLibrary> ModelLibrary::load(const std::string &path,
                                                 std::string &error,
                                                 const std::vector<const void *> &borrowed) {
  std::string p = path.find('/') == std::string::npos ? "./" + path : path;
  std::unique_ptr<ModelLibrary> lib(new ModelLibrary());
  lib->handle = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib->handle) {
    const char *why = dlerror();
    error = "cannot load " + path + ": " + (why ? why : "unknown error");
    return nullptr;
  }
  bool ok = true;
  auto sym = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib->handle, name));
    if (!fn && ok) {
      error = path + " is not a qopt model (no " + name + ")";
      ok = false;
    }
  };
  ModelApi &a = lib->fns;
  sym(a.create, "qopt_model_create");
  sym(a.destroy, "qopt_model_destroy");
  sym(a.numInputs, "qopt_model_num_inputs");
  sym(a.numOutputs, "qopt_model_num_outputs");
  sym(a.inputName, "qopt_model_input_name");
  sym(a.inputDtype, "qopt_model_input_dtype");
  sym(a.inputRank, "qopt_model_input_rank");
  sym(a.inputShape, "qopt_model_input_shape");
  sym(a.outputName, "qopt_model_output_name");
  sym(a.run, "qopt_model_run");
  sym(a.lastError, "qopt_last_error");
  sym(a.free, "qopt_free");
  if (!ok)
    return nullptr;
  auto optional = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib->handle, name));
  };
  optional(a.target, "qopt_target");
  optional(a.lastRunDeviceMs, "qopt_model_last_run_device_ms");
  optional(a.devicePeakBytes, "qopt_model_device_peak_bytes");
  optional(a.setObserver, "qopt_calibration_set_observer");
  optional(a.setNumThreads, "qopt_model_set_num_threads");
  if (!borrowed.empty()) {
    auto *table = static_cast<const void **>(dlsym(lib->handle, "qopt_weight_table"));
    auto *size = static_cast<const int64_t *>(dlsym(lib->handle, "qopt_weight_table_size"));
    if (!table || !size || *size != int64_t(borrowed.size())) {
      error = path + " does not borrow " + std::to_string(borrowed.size()) + " weights";
      return nullptr;
    }
    std::copy(borrowed.begin(), borrowed.end(), table);
  }
  lib->instance = a.create();
  if (!lib->instance) {
    error = a.lastError();
    return nullptr;
  }
  return lib;
}

ModelLibrary::~ModelLibrary() {
  if (instance)
    fns.destroy(instance);
  if (handle)
    dlclose(handle);
}

} // namespace qopt::io
