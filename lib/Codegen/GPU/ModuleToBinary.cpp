//===- ModuleToBinary.cpp - qopt-gpu-module-to-binary -----------------------===//
//
// Upstream gpu-module-to-binary with the toolkit directory under qopt's
// control: the real one when it has libdevice, else a stand-in, and a clear
// error for kernels that need libdevice when there is none (Passes.td).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "llvm/ADT/Hashing.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>
#include <unistd.h>

extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
}

namespace qopt {
#define GEN_PASS_DEF_QOPTGPUMODULETOBINARY
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

bool hasLibDevice(StringRef toolkit) {
  if (toolkit.empty())
    return false;
  SmallString<256> p(toolkit);
  llvm::sys::path::append(p, "nvvm", "libdevice", "libdevice.10.bc");
  return llvm::sys::fs::is_regular_file(p);
}

/// A directory with nvvm/libdevice/libdevice.10.bc holding an empty NVPTX
/// module and, when `tools` (a toolkit without libdevice) is given, bin/ as a
/// link to its bin/ (ptxas, fatbinary); created once per user and toolkit in
/// the temporary directory.
FailureOr<std::string> stubToolkit(StringRef tools, std::string &error) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  SmallString<256> dir;
  llvm::sys::path::system_temp_directory(/*erasedOnReboot=*/true, dir);
  llvm::sys::path::append(dir, "qopt-no-libdevice-v2-" + std::to_string(getuid()) + "-" +
                                   std::to_string(llvm::hash_value(tools)));
  if (!tools.empty()) {
    SmallString<256> bin(dir), target(tools);
    llvm::sys::path::append(bin, "bin");
    llvm::sys::path::append(target, "bin");
    if (auto ec = llvm::sys::fs::create_directories(dir)) {
      error = "cannot create " + std::string(dir) + ": " + ec.message();
      return failure();
    }
    if (!llvm::sys::fs::exists(bin))
      if (auto ec = llvm::sys::fs::create_link(target, bin)) {
        error = "cannot create " + std::string(bin) + ": " + ec.message();
        return failure();
      }
  }
  SmallString<256> lib(dir);
  llvm::sys::path::append(lib, "nvvm", "libdevice");
  if (auto ec = llvm::sys::fs::create_directories(lib)) {
    error = "cannot create " + std::string(lib) + ": " + ec.message();
    return failure();
  }
  llvm::sys::path::append(lib, "libdevice.10.bc");
  if (llvm::sys::fs::is_regular_file(lib))
    return std::string(dir);
  llvm::LLVMContext ctx;
  llvm::Module m("qopt-empty-libdevice", ctx);
  llvm::Triple triple("nvptx64-nvidia-cuda");
  m.setTargetTriple(triple);
  // The NVPTX data layout, so that linking it into the kernels is silent.
  LLVMInitializeNVPTXTargetInfo();
  LLVMInitializeNVPTXTarget();
  LLVMInitializeNVPTXTargetMC();
  std::string lookupError;
  if (const llvm::Target *t = llvm::TargetRegistry::lookupTarget(triple, lookupError)) {
    std::unique_ptr<llvm::TargetMachine> tm(
        t->createTargetMachine(triple, "sm_80", "", llvm::TargetOptions(), std::nullopt));
    if (tm)
      m.setDataLayout(tm->createDataLayout());
  }
  SmallString<256> tmp;
  if (auto ec = llvm::sys::fs::createUniqueFile(lib + ".tmp-%%%%%%", tmp)) {
    error = "cannot write " + std::string(lib) + ": " + ec.message();
    return failure();
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = "cannot write " + std::string(tmp) + ": " + ec.message();
      return failure();
    }
    llvm::WriteBitcodeToFile(m, os);
  }
  if (auto ec = llvm::sys::fs::rename(tmp, lib)) {
    error = "cannot write " + std::string(lib) + ": " + ec.message();
    return failure();
  }
  return std::string(dir);
}

struct ModuleToBinaryPass : qopt::impl::QOptGPUModuleToBinaryBase<ModuleToBinaryPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string dir = toolkit;
    if (!hasLibDevice(dir)) {
      // Which libdevice functions do the kernels call, and from where?
      bool failedCheck = false;
      module.walk([&](gpu::GPUModuleOp gm) {
        gm.walk([&](LLVM::CallOp call) {
          std::optional<StringRef> callee = call.getCallee();
          if (!callee || !callee->starts_with("__nv_") || failedCheck)
            return;
          call.emitError("a GPU kernel needs libdevice's ")
              << *callee << ", and no CUDA toolkit with nvvm/libdevice/libdevice.10.bc was "
              << "found (install one or set CUDA_HOME)";
          failedCheck = true;
        });
      });
      if (failedCheck)
        return signalPassFailure();
      if (format != "isa" && toolkit.empty()) {
        module.emitError("qopt-gpu-module-to-binary: format ")
            << format << " needs a CUDA toolkit (ptxas), none was given";
        return signalPassFailure();
      }
      std::string error;
      FailureOr<std::string> stub = stubToolkit(toolkit, error);
      if (failed(stub)) {
        module.emitError("qopt-gpu-module-to-binary: ") << error;
        return signalPassFailure();
      }
      dir = *stub;
    }
    GpuModuleToBinaryPassOptions options;
    options.compilationTarget = format;
    options.toolkitPath = dir;
    OpPassManager pm(ModuleOp::getOperationName());
    pm.addPass(createGpuModuleToBinaryPass(options));
    if (failed(runPipeline(pm, module)))
      return signalPassFailure();
  }
};

} // namespace
