//===- CUDATarget.cpp - kernel binaries and linking for NVIDIA GPUs -------===//
#include "qopt/Target/CUDA/CUDATarget.h"

#include "qopt/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace mlir;

namespace qopt {

ArrayRef<StringRef> gpuArchs() {
  static const StringRef archs[] = {"sm_80", "sm_86", "sm_87", "sm_89", "sm_90", "sm_90a"};
  return archs;
}

static bool hasTools(StringRef dir) {
  SmallString<256> ptxas(dir), fatbinary(dir);
  llvm::sys::path::append(ptxas, "bin", "ptxas");
  llvm::sys::path::append(fatbinary, "bin", "fatbinary");
  return llvm::sys::fs::can_execute(ptxas) && llvm::sys::fs::can_execute(fatbinary);
}

std::string findCUDAToolkit() {
  for (const char *env : {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"})
    if (const char *v = getenv(env); v && *v && hasTools(v))
      return v;
  if (hasTools("/usr/local/cuda"))
    return "/usr/local/cuda";
  if (auto ptxas = llvm::sys::findProgramByName("ptxas")) {
    StringRef dir = llvm::sys::path::parent_path(llvm::sys::path::parent_path(*ptxas));
    if (hasTools(dir))
      return dir.str();
  }
  return "";
}

LogicalResult gpuBinaryFormat(StringRef choice, StringRef toolkit, std::string &format,
                              std::string &error) {
  if (choice == "auto") {
    format = toolkit.empty() ? "isa" : "fatbin";
    return success();
  }
  if (choice == "ptx") {
    format = "isa";
    return success();
  }
  if (choice != "cubin" && choice != "fatbin") {
    error = "--gpu-binary: unknown value '" + choice.str() +
            "' (expected auto, ptx, cubin or fatbin)";
    return failure();
  }
  if (toolkit.empty()) {
    error = "--gpu-binary=" + choice.str() +
            " needs a CUDA toolkit (ptxas and fatbinary; set CUDA_HOME), none was found; "
            "--gpu-binary=ptx needs none";
    return failure();
  }
  format = choice == "cubin" ? "bin" : "fatbin";
  return success();
}

void terminatePTXObjects(ModuleOp module) {
  module.walk([](gpu::BinaryOp binary) {
    SmallVector<Attribute> objects;
    bool changed = false;
    for (Attribute a : binary.getObjectsAttr()) {
      auto object = cast<gpu::ObjectAttr>(a);
      StringRef text = object.getObject().getValue();
      if (object.getFormat() != gpu::CompilationTarget::Assembly || text.ends_with(StringRef("\0", 1))) {
        objects.push_back(a);
        continue;
      }
      std::string terminated = text.str();
      terminated.push_back('\0');
      objects.push_back(gpu::ObjectAttr::get(
          binary.getContext(), object.getTarget(), object.getFormat(),
          StringAttr::get(binary.getContext(), terminated), object.getProperties(),
          object.getKernels()));
      changed = true;
    }
    if (changed)
      binary.setObjectsAttr(ArrayAttr::get(binary.getContext(), objects));
  });
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QOPT_SANITIZED_BUILD 1
#endif
#endif

LogicalResult linkCUDASharedLibrary(StringRef objectPath, StringRef outputPath,
                                    std::string &error, ArrayRef<StringRef> extraInputs) {
  return linkModelLibrary(
      objectPath, outputPath,
      findRuntimeLibrary("libqopt_model_runtime_cuda.a", "QOPT_CUDA_RUNTIME_LIB"),
      // -z defs: a runtime entry point generated code calls and runtime/cuda
      // lacks is a link error here, not a dlopen failure on the GPU machine.
      // A sanitized build's runtime leaves the sanitizer's symbols to the
      // process that loads the model (scripts/sanitize.sh).
#ifdef QOPT_SANITIZED_BUILD
      {"-ldl", "-lstdc++", "-lm", "-lpthread"},
#else
      {"-ldl", "-lstdc++", "-lm", "-lpthread", "-Wl,-z,defs"},
#endif
      error, extraInputs);
}

} // namespace qopt
