//===- Compiler.h - qopt dialect → LLVM → object → shared library -*- C++ -*-===//
//
// The back half of qoptc, shared by the driver, the Python package (through
// qoptc) and tests: the lowering pipeline to the LLVM dialect, translation to
// LLVM IR with the runtime entry point, native code generation and linking.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_COMPILER_COMPILER_H
#define QOPT_COMPILER_COMPILER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace qopt {

struct CompileOptions {
  /// 0: no fusion, LLVM -O0; 1: elementwise fusion, LLVM -O1; 2/3: LLVM -O2/-O3.
  unsigned optLevel = 2;
  /// LLVM CPU name; empty or "native" = the host CPU with its features.
  std::string targetCPU;
  /// Extra LLVM target features ("+avx2,-avx512f"); appended to the host's
  /// when targetCPU is native.
  std::string targetFeatures;
  /// Int8 GEMM kernel variant (qopt-matmul-microkernel{isa}): avx512vnni,
  /// avxvnni, avx2, generic, or empty to pick from the target's features.
  std::string kernelIsa;
  /// Threads the compiled model's kernels use unless QOPT_NUM_THREADS is set
  /// at run time; 0 = every core.
  unsigned threads = 0;
};

/// The int8 kernel variant the target of `options` supports best (see
/// CompileOptions::kernelIsa); "generic" if the target cannot be created.
std::string selectKernelIsa(const CompileOptions &options);

/// Registers the upstream MLIR passes the lowering pipeline names, the qopt
/// passes, and the `qopt-lower-to-llvm` pipeline.
void registerCompilerPasses();

/// The textual pass pipeline from the qopt dialect to the LLVM dialect.
std::string lowerToLLVMPipelineText(const CompileOptions &options);

/// Adds the lowering pipeline to `pm` (a builtin.module pass manager).
llvm::LogicalResult buildLowerToLLVMPipeline(mlir::OpPassManager &pm,
                                             const CompileOptions &options);

/// Registers every dialect and interface the pipeline touches.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Translates an LLVM-dialect module to LLVM IR for the target, adds the
/// packed entry point `void qopt_model_invoke(void **)` and optimizes it.
/// Errors are reported as MLIR diagnostics (on the module) or in `error`.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &ctx,
                                                const CompileOptions &options,
                                                std::string &error);

/// Writes a relocatable object for `module` (already optimized).
llvm::LogicalResult emitObjectFile(llvm::Module &module, llvm::StringRef path,
                                   const CompileOptions &options,
                                   std::string &error);

/// Links `objectPath` with the model runtime into a shared library at
/// `outputPath` (written to a temporary and renamed, so that a failed link
/// leaves nothing behind). The runtime archive is looked up next to the
/// running executable (../lib/libqopt_model_runtime.a) unless
/// QOPT_RUNTIME_LIB is set; the linker is QOPT_LINKER, clang-22, clang or cc.
llvm::LogicalResult linkSharedLibrary(llvm::StringRef objectPath,
                                      llvm::StringRef outputPath,
                                      std::string &error);

/// The whole back half: lowers `module` (qopt dialect, modified in place)
/// and writes a shared library to `outputPath`.
llvm::LogicalResult compileToSharedLibrary(mlir::ModuleOp module,
                                           const CompileOptions &options,
                                           llvm::StringRef outputPath,
                                           std::string &error);

} // namespace qopt

#endif
