//===- qopt-run.cpp - run or time a model compiled by qoptc ----------------===//
//
//   qopt-run model.so [--input name=file.npy|.pb]... [--input file.npz]
//            [--output-dir DIR] [--benchmark N] [--warmup N] [--print]
//
// Inputs are matched by name (name=path, npz member names, TensorProto
// names), otherwise by position. Outputs are written as DIR/<name>.npy.
//
//===----------------------------------------------------------------------===//
#include "qopt/Support/ModelLibrary.h"
#include "qopt/Support/TensorIO.h"

#include "qopt-c/Runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <vector>

using qopt::io::HostTensor;

namespace {

int usage() {
  fprintf(stderr,
          "usage: qopt-run model.so [--input name=file.npy|file.pb|file.npz]...\n"
          "                [--output-dir DIR] [--benchmark N] [--warmup N] [--print]\n");
  return 2;
}

std::string fileSafe(std::string s) {
  for (char &c : s)
    if (c == '/' || c == '\\' || c == ':' || (unsigned char)c < 32)
      c = '_';
  return s.empty() ? "output" : s;
}

std::string shapeStr(const int64_t *s, int32_t rank) {
  std::string r = "[";
  for (int32_t i = 0; i < rank; ++i)
    r += (i ? "," : "") + (s[i] < 0 ? std::string("?") : std::to_string(s[i]));
  return r + "]";
}

/// This process's peak resident memory in MB. Linux's VmHWM belongs to the
/// address space exec created, while ru_maxrss keeps the parent's resident
/// size at fork (a Python driver's tens of MB), so VmHWM comes first.
double peakRssMB() {
  if (FILE *f = fopen("/proc/self/status", "r")) {
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
        break;
    fclose(f);
    if (kb >= 0)
      return kb / 1024.0;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

} // namespace

int main(int argc, char **argv) {
  std::string modelPath, outputDir;
  std::vector<std::string> inputSpecs;
  int benchmark = 0, warmup = 2;
  bool print = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char *flag) -> const char * {
      if (i + 1 >= argc) {
        fprintf(stderr, "qopt-run: %s needs a value\n", flag);
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--input" || a == "-i")
      inputSpecs.push_back(value("--input"));
    else if (a.rfind("--input=", 0) == 0)
      inputSpecs.push_back(a.substr(8));
    else if (a == "--output-dir" || a == "-o")
      outputDir = value("--output-dir");
    else if (a == "--benchmark")
      benchmark = atoi(value("--benchmark"));
    else if (a == "--warmup")
      warmup = atoi(value("--warmup"));
    else if (a == "--print")
      print = true;
    else if (a == "-h" || a == "--help")
      return usage(), 0;
    else if (!a.empty() && a[0] == '-') {
      fprintf(stderr, "qopt-run: unknown option %s\n", a.c_str());
      return usage();
    } else if (modelPath.empty())
      modelPath = a;
    else
      inputSpecs.push_back(a);
  }
  if (modelPath.empty())
    return usage();
  std::string loadError;
  std::unique_ptr<qopt::io::ModelLibrary> library =
      qopt::io::ModelLibrary::load(modelPath, loadError);
  if (!library) {
    fprintf(stderr, "qopt-run: %s\n", loadError.c_str());
    return 1;
  }
  const qopt::io::ModelApi &api = library->api();
  qopt_model *model = library->model();
  size_t nIn = api.numInputs(model), nOut = api.numOutputs(model);
  std::map<std::string, size_t> inputIndex;
  for (size_t i = 0; i < nIn; ++i)
    inputIndex[api.inputName(model, i)] = i;

  // Assign input files to model inputs.
  std::vector<HostTensor> tensors(nIn);
  std::vector<bool> assigned(nIn, false);
  auto assign = [&](size_t idx, HostTensor t) {
    tensors[idx] = std::move(t);
    assigned[idx] = true;
  };
  for (const std::string &spec : inputSpecs) {
    std::string name, path = spec;
    size_t eq = spec.find('=');
    if (eq != std::string::npos && inputIndex.count(spec.substr(0, eq))) {
      name = spec.substr(0, eq);
      path = spec.substr(eq + 1);
    }
    std::vector<HostTensor> read;
    std::string error;
    if (!qopt::io::readFile(path, read, error)) {
      fprintf(stderr, "qopt-run: %s\n", error.c_str());
      return 1;
    }
    if (!name.empty()) {
      assign(inputIndex[name], std::move(read.front()));
      continue;
    }
    for (HostTensor &t : read) {
      if (!t.name.empty() && inputIndex.count(t.name)) {
        assign(inputIndex[t.name], std::move(t));
        continue;
      }
      auto free = std::find(assigned.begin(), assigned.end(), false);
      if (free == assigned.end()) {
        fprintf(stderr, "qopt-run: more inputs given than the model has (%zu)\n", nIn);
        return 1;
      }
      assign(free - assigned.begin(), std::move(t));
    }
  }
  for (size_t i = 0; i < nIn; ++i)
    if (!assigned[i]) {
      fprintf(stderr, "qopt-run: no value for input '%s' (%s %s)\n", api.inputName(model, i),
              qopt_dtype_name(api.inputDtype(model, i)),
              shapeStr(api.inputShape(model, i), api.inputRank(model, i)).c_str());
      return 1;
    }
  std::vector<qopt_tensor> ins(nIn);
  for (size_t i = 0; i < nIn; ++i) {
    if (tensors[i].shape.size() > QOPT_MAX_RANK) {
      fprintf(stderr, "qopt-run: input '%s' has rank > %d\n", api.inputName(model, i),
              QOPT_MAX_RANK);
      return 1;
    }
    // numpy has no bfloat16: bf16 inputs come as uint16 bit patterns.
    if (api.inputDtype(model, i) == QOPT_DTYPE_BF16 && tensors[i].dtype == QOPT_DTYPE_U16)
      tensors[i].dtype = QOPT_DTYPE_BF16;
    qopt_tensor &t = ins[i];
    memset(&t, 0, sizeof(t));
    t.data = tensors[i].data.data();
    t.capacity = tensors[i].data.size();
    t.dtype = tensors[i].dtype;
    t.rank = (int32_t)tensors[i].shape.size();
    for (size_t k = 0; k < tensors[i].shape.size(); ++k)
      t.shape[k] = tensors[i].shape[k];
  }
  std::vector<qopt_tensor> outs(nOut);
  auto runOnce = [&]() -> bool {
    for (qopt_tensor &o : outs) {
      if (o.data)
        api.free(o.data);
      memset(&o, 0, sizeof(o));
    }
    if (api.run(model, ins.data(), nIn, outs.data(), nOut) != 0) {
      fprintf(stderr, "qopt-run: %s\n", api.lastError());
      return false;
    }
    return true;
  };
  if (!runOnce())
    return 1;
  if (benchmark > 0) {
    for (int i = 0; i < warmup; ++i)
      if (!runOnce())
        return 1;
    bool gpu = api.target && std::strcmp(api.target(), "cuda") == 0;
    std::vector<double> ms, deviceMs;
    for (int i = 0; i < benchmark; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      if (!runOnce())
        return 1;
      ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - t0)
                       .count());
      if (gpu && api.lastRunDeviceMs && api.lastRunDeviceMs(model) >= 0)
        deviceMs.push_back(api.lastRunDeviceMs(model));
    }
    auto report = [&](const char *what, std::vector<double> &v) {
      std::sort(v.begin(), v.end());
      double median = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
      printf("%s: %d runs (after %d warm-up): min %.3f ms  median %.3f ms  max %.3f ms\n", what,
             benchmark, warmup, v.front(), median, v.back());
    };
    report("benchmark", ms);
    // GPU runs: the device's own time between events recorded on the run's
    // stream before the input copies and after the output copies.
    if (!deviceMs.empty())
      report("device (CUDA events)", deviceMs);
    printf("peak memory: %.1f MB (process max RSS)\n", peakRssMB());
    if (gpu && api.devicePeakBytes)
      printf("device memory: %.1f MB peak held by runs (intermediates, inputs, results; "
             "kernels and weights not counted)\n",
             api.devicePeakBytes(model) / 1048576.0);
  }
  if (!outputDir.empty())
    mkdir(outputDir.c_str(), 0755);
  for (size_t i = 0; i < nOut; ++i) {
    const qopt_tensor &o = outs[i];
    const char *name = api.outputName(model, i);
    size_t bytes = qopt_dtype_size(o.dtype);
    for (int32_t k = 0; k < o.rank; ++k)
      bytes *= (size_t)o.shape[k];
    if (benchmark == 0 || print)
      printf("output '%s': %s %s\n", name, qopt_dtype_name(o.dtype),
             shapeStr(o.shape, o.rank).c_str());
    if (print && o.dtype == QOPT_DTYPE_F32) {
      const float *f = static_cast<const float *>(o.data);
      size_t n = bytes / 4;
      printf("  [");
      for (size_t k = 0; k < std::min<size_t>(n, 16); ++k)
        printf("%s%g", k ? ", " : "", f[k]);
      printf("%s]\n", n > 16 ? ", ..." : "");
    }
    if (!outputDir.empty()) {
      HostTensor h;
      // bf16 outputs are written as their uint16 bit patterns.
      h.dtype = o.dtype == QOPT_DTYPE_BF16 ? QOPT_DTYPE_U16 : o.dtype;
      h.shape.assign(o.shape, o.shape + o.rank);
      h.data.assign(static_cast<const char *>(o.data),
                    static_cast<const char *>(o.data) + bytes);
      std::string error;
      if (!qopt::io::writeNpy(outputDir + "/" + fileSafe(name) + ".npy", h, error)) {
        fprintf(stderr, "qopt-run: %s\n", error.c_str());
        return 1;
      }
    }
  }
  for (qopt_tensor &o : outs)
    if (o.data)
      api.free(o.data);
  return 0;
}
